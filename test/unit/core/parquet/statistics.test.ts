/*
 * String statistics of dictionary-encoded chunks: the writer compares only a batch's new dictionary
 * entries (a value already in the dictionary cannot move a bound) and every value once the chunk is PLAIN.
 * Whatever the path, the footer must hold the bounds of every value of the chunk, compared as unsigned
 * bytes, read back by hyparquet (which shares no code with the writer).
 */
import fc from 'fast-check';
import { MemorySink } from '../../../../lambdas/core/model/sink';
import { readWithHyparquet, type Cell } from '../../../support/readers';
import { cleanUp, tableSchema, writeParquet } from './read-back';

afterAll(cleanUp);

const schema = tableSchema([['s', 'string']]);

/** Per row group: null count, min and max of `rows` as unsigned bytes (undefined bounds with no value). */
function expectedBounds(rows: readonly Cell[][], groupRows: readonly number[]) {
  let at = 0;
  return groupRows.map((n) => {
    const values = rows.slice(at, (at += n)).map((r) => r[0]);
    const present = values.filter((v): v is string => v !== null).map((v) => Buffer.from(v));
    present.sort(Buffer.compare);
    return {
      nulls: values.length - present.length,
      min: present[0]?.toString(),
      max: present.at(-1)?.toString(),
    };
  });
}

/** What the footer says, per row group, with the chunk's encodings. */
async function footerBounds(bytes: Buffer) {
  const { metadata } = await readWithHyparquet(bytes, schema);
  return metadata.row_groups.map((group) => {
    const meta = group.columns[0]!.meta_data!;
    const s = meta.statistics!;
    return {
      rows: Number(group.num_rows),
      nulls: Number(s.null_count),
      min: s.min_value as string | undefined,
      max: s.max_value as string | undefined,
      encodings: meta.encodings,
    };
  });
}

describe('string statistics of dictionary-encoded chunks', () => {
  test('a chunk that falls back to PLAIN mid-way: bounds over the indexed and the PLAIN values', async () => {
    // Few distinct values first (indexed; the minimum '' among them), then distinct ones that fill the
    // 200-byte dictionary: the rest of the chunk is PLAIN, its values (the maximum among them) compared
    // one by one.
    const rows: Cell[][] = [];
    for (let i = 0; i < 3000; i++) rows.push([i % 7 === 0 ? null : ['b', 'ÿ', '', 'é'][i % 4]!]);
    for (let i = 0; i < 3000; i++) rows.push([i === 2500 ? 'ÿz' : `m${i}`]);
    const { bytes } = await writeParquet(
      schema,
      rows,
      { compression: 'none', dictionaryBytes: 200 },
      { batchRows: 500 },
    );

    const footer = await footerBounds(bytes);

    expect(footer).toHaveLength(1);
    expect(footer[0]!.encodings).toEqual(['PLAIN', 'PLAIN_DICTIONARY', 'RLE']);
    expect(footer.map(({ nulls, min, max }) => ({ nulls, min, max }))).toEqual(
      expectedBounds(rows, [rows.length]),
    );
    expect(footer[0]).toMatchObject({ min: '', max: 'ÿz' });
  });

  test("bounds found among a later batch's new entries, and unmoved by values seen before", async () => {
    // Batch 1 holds 'm' and 'n'; batch 2 repeats them and adds 'a' (a new minimum); batch 3 adds 'z'.
    const rows: Cell[][] = [
      ...Array.from({ length: 600 }, (_, i) => [i % 2 ? 'm' : 'n']),
      ...Array.from({ length: 600 }, (_, i) => [i === 300 ? 'a' : i % 2 ? 'n' : null]),
      ...Array.from({ length: 600 }, (_, i) => [i % 3 ? 'z' : 'm']),
    ];
    const { bytes } = await writeParquet(schema, rows, { compression: 'none' }, { batchRows: 600 });

    const footer = await footerBounds(bytes);

    expect(footer).toEqual([
      { rows: 1800, nulls: 299, min: 'a', max: 'z', encodings: ['PLAIN_DICTIONARY', 'RLE'] },
    ]);
  });

  test('random values, nulls, empty strings and multi-byte UTF-8 in any chunking: the bounds of every value', async () => {
    // A small alphabet whose byte order is not its UTF-16 order ('\uFFFF' < '🌍' as bytes, not as text),
    // so that the dictionary holds few entries, with random strings mixed in to fill it and fall back.
    const common = fc.constantFrom('', 'a', 'ab', 'b', 'é', 'ß', 'z', '\u00FF', '\uFFFF', '🌍', 'a\u0000');
    const cell = fc.oneof(
      { weight: 6, arbitrary: common },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
      { weight: 2, arbitrary: fc.constant(null) },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(cell, { minLength: 1, maxLength: 3000 }),
        fc.integer({ min: 1, max: 700 }),
        fc.constantFrom(0, 40, 300, 1 << 20),
        fc.constantFrom(150, 4000, 1 << 20),
        async (values, batchRows, dictionaryBytes, rowGroupBytes) => {
          const rows = values.map((v) => [v]);
          const { bytes } = await writeParquet(
            schema,
            rows,
            { compression: 'none', dictionaryBytes, rowGroupBytes },
            { batchRows, sink: new MemorySink() },
          );

          const footer = await footerBounds(bytes);

          const expected = expectedBounds(
            rows,
            footer.map((g) => g.rows),
          );
          expect(footer.map(({ nulls, min, max }) => ({ nulls, min, max }))).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });
});
