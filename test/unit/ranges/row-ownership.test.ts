/*
 * The row-boundary rule, property-tested: over random CSV (quoted fields holding delimiters, quotes and line
 * breaks, CRLF and lone CR rows, multi-byte characters, ragged rows) and random cuts, the ranges together own
 * every row exactly once, in order: the ranged conversion gives the rows, rejects and summary of the
 * one-item conversion. With the default quote and with `'` quoting and a backslash escape.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { ConvertOptions } from '../../../lambdas/core/model/options';
import { convertFile } from '../../../lambdas/io/convert-file';
import { convertFileInRanges } from '../../../lambdas/ranges/local-ranges';
import type { ByteRange } from '../../../lambdas/ranges/range-plan';
import { readAvro } from '../../support/readers';
import { folder } from '../core/table-support';

interface Dialect {
  readonly quote: string;
  readonly escape: string;
}

/** A field as a CSV writer would quote it, or an awkward unquoted one. */
function fieldArb(d: Dialect): fc.Arbitrary<string> {
  const q = d.quote;
  const piece = fc.constantFrom('a', 'b', '7', '1.5', ',', '\n', '\r\n', '\r', 'é', '€', '☕', '𝄞', q, ' ');
  return fc.oneof(
    fc.array(fc.constantFrom('x', 'y', '12', 'é', '€', '𝄞', '-'), { maxLength: 4 }).map((p) => p.join('')),
    fc
      .array(piece, { maxLength: 8 })
      .map((p) => q + p.join('').replaceAll(q, d.escape === q ? q + q : d.escape + q) + q),
  );
}

function csvArb(d: Dialect): fc.Arbitrary<string> {
  const row = fc
    .tuple(fc.integer({ min: 0, max: 9 }), fieldArb(d), fieldArb(d), fc.constantFrom('\n', '\r\n', '\r'))
    .map(([n, a, b, end]) => ({ text: `${n},${a},${b}`, end }));
  const ragged = fc.constantFrom({ text: '1,only-two', end: '\n' }, { text: '', end: '\n' });
  return fc
    .array(fc.oneof({ weight: 9, arbitrary: row }, { weight: 1, arbitrary: ragged }), {
      minLength: 1,
      maxLength: 60,
    })
    .map((rows) => `n,a,b\n${rows.map((r) => r.text + r.end).join('')}`);
}

/** Ranges from cut points (sorted, deduplicated, inside the file). */
function rangesFrom(size: number, cuts: number[]): ByteRange[] {
  const points = [...new Set(cuts.map((c) => 1 + (c % Math.max(1, size - 1))))].sort((a, b) => a - b);
  const bounds = [0, ...points.filter((p) => p < size), size];
  return bounds.slice(0, -1).map((start, index) => ({ index, start, end: bounds[index + 1]! }));
}

const cases: [string, Dialect, ConvertOptions][] = [
  ['double quotes', { quote: '"', escape: '"' }, {}],
  ["' quotes, \\ escape", { quote: "'", escape: '\\' }, { quote: "'", escape: '\\' }],
];

test.each(cases)(
  '%s: every row is owned by exactly one range, whatever the cuts',
  async (_name, dialect, extra) => {
    const dir = folder('ownership-');
    let run = 0;
    let compared = 0;
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(
        csvArb(dialect),
        fc.array(fc.nat(), { minLength: 1, maxLength: 12 }),
        async (text, cuts) => {
          const input = join(dir, `in-${run}.csv`);
          const bytes = Buffer.from(text);
          writeFileSync(input, bytes);
          const options: ConvertOptions = {
            ...extra,
            delimiter: ',',
            header: true,
            formats: ['avro'],
            maxRejects: 1000,
          };
          const one = await convertFile(input, join(dir, `one-${run}`), options).catch((e: Error) => e);
          const out = join(dir, `r-${run}.avro`);
          const rejects = join(dir, `r-${run}.rejects.csv`);
          const ranged = await convertFileInRanges(input, out, rejects, {
            options,
            format: 'avro',
            ranges: rangesFrom(bytes.length, cuts),
            partsDir: join(dir, `parts-${run}`),
          }).catch((e: Error) => e);
          run++;
          if (one instanceof Error) {
            expect(ranged).toBeInstanceOf(Error);
            expect((ranged as Error).name).toBe(one.name);
            return;
          }
          if (ranged instanceof Error) throw ranged;
          if (ranged === undefined) return; // one range: not split
          expect((await readAvro(out)).rows).toEqual((await readAvro(one.outputs.avro!)).rows);
          expect(existsSync(rejects) ? readFileSync(rejects, 'utf8') : undefined).toEqual(
            one.outputs.rejects ? readFileSync(one.outputs.rejects, 'utf8') : undefined,
          );
          expect(ranged.rows).toBe(one.rows);
          compared++;
          rejected += one.rejectedRows;
        },
      ),
      { numRuns: 60 },
    );
    // The property was checked on split files, rejects among them, not only on errors or single ranges.
    expect(compared).toBeGreaterThan(40);
    expect(rejected).toBeGreaterThan(0);
  },
  120_000,
);
