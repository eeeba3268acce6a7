import fc from 'fast-check';
import { JsonArraySplitter, resultEntries } from '../../../lambdas/handlers/run-report';

/** The bytes of `text` cut at the given offsets (multi-byte characters may be split). */
async function* pieces(text: string, cuts: number[]): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text);
  let at = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    yield bytes.subarray(at, cut);
    at = cut;
  }
  yield bytes.subarray(at);
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const entry = fc.record({
  Status: fc.constantFrom('SUCCEEDED', 'FAILED'),
  Input: fc.string({ unit: 'grapheme' }),
  Output: fc.oneof(fc.constant('{"a":[1,{"b":"]}"}]}'), fc.string()),
  Nested: fc.array(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean())), {
    maxLength: 3,
  }),
});

test("property: a JSON array streamed in any pieces gives exactly JSON.parse's elements", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(entry, { maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      fc.boolean(),
      async (entries, cuts, pretty) => {
        const text = pretty ? JSON.stringify(entries, null, 2) : JSON.stringify(entries);
        expect(await all(resultEntries(pieces(text, cuts)))).toEqual(entries);
      },
    ),
  );
});

test('property: JSON Lines streamed in any pieces give every line', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(entry, { maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      async (entries, cuts) => {
        const text = entries.map((e) => JSON.stringify(e)).join('\n') + (entries.length ? '\n' : '');
        expect(await all(resultEntries(pieces(text, cuts)))).toEqual(entries);
      },
    ),
  );
});

test('an empty file has no entries; a truncated array or a stray value is an error, not a shorter list', async () => {
  expect(await all(resultEntries(pieces('', [])))).toEqual([]);
  expect(await all(resultEntries(pieces(' [ ] ', [2])))).toEqual([]);
  await expect(all(resultEntries(pieces('[{"Status":"FAILED"},{"Sta', [5])))).rejects.toThrow(
    /ends before its closing \]/,
  );
  expect(() => new JsonArraySplitter().push('[1,2]')).toThrow(/not a JSON array of objects: unexpected "1"/);
});
