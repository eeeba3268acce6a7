/*
 * Dictionary encoding of numeric columns (int32, date, int64, timestamp, double): what DuckDB and hyparquet
 * read back, which encodings each chunk declares, and the measured-gain rule that keeps distinct values
 * PLAIN; and the NumberDictionary itself.
 */
import type { ColumnType } from '../../../../lambdas/core/model/schema';
import { NumberDictionary } from '../../../../lambdas/core/parquet/number-dictionary';
import { duck, readWithDuckDB, readWithHyparquet, sqlPath, type Cell } from '../../../support/readers';
import { random } from '../../../bench/generate-csv';
import { cleanUp, tableSchema, writeParquet } from './read-back';

afterAll(cleanUp);

const NUMERIC: [string, ColumnType][] = [
  ['i', 'int32'],
  ['dt', 'date'],
  ['l', 'int64'],
  ['t', 'timestamp'],
  ['d', 'double'],
];

/** Per column: its encodings and whether it has a dictionary page, in every row group. */
async function encodingsOf(path: string): Promise<Record<string, string[]>> {
  const rows = await duck(
    `SELECT path_in_schema AS col, encodings, dictionary_page_offset IS NOT NULL AS dict
     FROM parquet_metadata(${sqlPath(path)}) ORDER BY row_group_id, column_id`,
  );
  const out: Record<string, string[]> = {};
  for (const r of rows) (out[String(r.col)] ??= []).push(`${String(r.encodings)}${r.dict ? ' +dict' : ''}`);
  return out;
}

async function roundTrip(columns: [string, ColumnType][], rows: Cell[][], rowGroupBytes?: number) {
  const schema = tableSchema(columns);
  const written = await writeParquet(schema, rows, {
    compression: 'snappy',
    ...(rowGroupBytes ? { rowGroupBytes } : {}),
  });
  expect((await readWithDuckDB(written.path)).rows).toEqual(rows);
  expect((await readWithHyparquet(written.bytes, schema)).rows).toEqual(rows);
  return written;
}

describe('dictionary-encoded numeric columns', () => {
  test('few distinct values, extremes, -0, NaN and nulls: indexed, read back exactly', async () => {
    const pick = <T>(values: readonly T[], i: number) => values[(i * 7) % values.length]!;
    const rows: Cell[][] = Array.from({ length: 5000 }, (_, i) =>
      i % 11 === 0
        ? [null, null, null, null, null]
        : [
            pick([-2147483648, 2147483647, 0, 7, -1], i),
            pick([-719528, 0, 19000, 2932896], i),
            pick([-(2n ** 63n), 2n ** 63n - 1n, 2n ** 53n + 1n, 0n, -5n], i),
            pick([-1n, 0n, 1_700_000_000_000_000n], i),
            pick([-0, 0, NaN, Infinity, -Infinity, 0.1, 1e300], i),
          ],
    );

    const { path } = await roundTrip(NUMERIC, rows);

    const encodings = await encodingsOf(path);
    for (const [name] of NUMERIC) expect(encodings[name]).toEqual(['PLAIN_DICTIONARY, RLE +dict']);
  });

  test('distinct values stay PLAIN, with no dictionary page, in every row group', async () => {
    const rows: Cell[][] = Array.from({ length: 30000 }, (_, i) => [
      i * 3 - 40000,
      i,
      BigInt(i) * 1_000_003n,
      BigInt(i) * 1000n,
      i / 7,
    ]);

    const { path, stats } = await roundTrip(NUMERIC, rows, 200_000);

    expect(stats.chunks).toBeGreaterThan(1);
    const encodings = await encodingsOf(path);
    for (const [name] of NUMERIC) expect(new Set(encodings[name])).toEqual(new Set(['PLAIN, RLE']));
  });

  test('a few distinct values in a small chunk do not pay for a dictionary page: PLAIN', async () => {
    const rows: Cell[][] = [
      [1, 1, 1n, 1n, 1.5],
      [2, 2, 2n, 2n, 2.5],
      [3, 3, 3n, 3n, 3.5],
    ];

    const { path } = await roundTrip(NUMERIC, rows);

    const encodings = await encodingsOf(path);
    for (const [name] of NUMERIC) expect(encodings[name]).toEqual(['PLAIN, RLE']);
  });

  test('20,000 distinct dates over 100,000 rows: mostly distinct at first, indexed, and smaller', async () => {
    // Drawn at random, as the bench's birth dates are: 90% of the first 4,096 are distinct.
    const draw = random(7);
    const rows: Cell[][] = Array.from({ length: 100000 }, () => [Math.floor(draw() * 20000)]);
    const schema = tableSchema([['dt', 'date']]);

    const dictionary = await writeParquet(schema, rows, { compression: 'snappy' }, { batchRows: 16384 });
    const plain = await writeParquet(
      schema,
      rows,
      { compression: 'snappy', dictionaryBytes: 0 },
      { batchRows: 16384 },
    );

    expect((await encodingsOf(dictionary.path)).dt).toEqual(['PLAIN_DICTIONARY, RLE +dict']);
    expect((await readWithDuckDB(dictionary.path)).rows).toEqual(rows);
    expect(dictionary.bytes.length).toBeLessThan(0.7 * plain.bytes.length);
  });
});

describe('NumberDictionary', () => {
  test('gives each distinct value one index, in order of first appearance, with its PLAIN entry', () => {
    const dictionary = new NumberDictionary(8, 1 << 20);
    const words: [number, number][] = [
      [1, 0],
      [0, 1],
      [1, 0],
      [0, 0],
      [-1, -1],
      [0, 1],
    ];

    const indices = words.map(([lo, hi]) => dictionary.indexOf(lo, hi));

    expect(indices).toEqual([0, 1, 0, 2, 3, 1]);
    expect(Buffer.from(dictionary.plain.used())).toEqual(
      Buffer.from([
        1,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        1,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        ...Array(8).fill(255),
      ]),
    );
  });

  test('4-byte values take 4 bytes each; keeps every value apart through table growth', () => {
    const dictionary = new NumberDictionary(4, 1 << 22);

    const first = Array.from({ length: 50000 }, (_, i) => dictionary.indexOf((i * 65536) | 0, 0));
    const again = Array.from({ length: 50000 }, (_, i) => dictionary.indexOf((i * 65536) | 0, 0));

    expect(first).toEqual(Array.from({ length: 50000 }, (_, i) => i));
    expect(again).toEqual(first);
    expect(dictionary.plain.pos).toBe(4 * 50000);
  });

  test('answers -1 when a new value would pass the byte limit, and clears', () => {
    const dictionary = new NumberDictionary(8, 16);

    const results = [5, 6, 7, 5].map((x) => dictionary.indexOf(x, 0));
    dictionary.clear();

    expect(results).toEqual([0, 1, -1, 0]);
    const index = dictionary.indexOf(7, 0);
    expect([index, dictionary.size, dictionary.plain.pos]).toEqual([0, 1, 8]);
  });
});
