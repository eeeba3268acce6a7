/*
 * Dictionary encoding of string columns: what DuckDB and hyparquet read back, which encodings each chunk
 * declares, the bit widths of the indices, and the fall-back to PLAIN.
 */
import type { ParquetWriterOptions } from '../../../../lambdas/core/parquet/parquet-writer';
import { StringDictionary } from '../../../../lambdas/core/parquet/string-dictionary';
import { duck, readWithDuckDB, readWithHyparquet, sqlPath, type Cell } from '../../../support/readers';
import { cleanUp, tableSchema, writeParquet } from './read-back';

afterAll(cleanUp);

/** Per row group: the string column's encodings and whether it has a dictionary page. */
async function chunkEncodings(path: string): Promise<[string, boolean][]> {
  const rows = await duck(
    `SELECT encodings, dictionary_page_offset IS NOT NULL AS dict FROM parquet_metadata(${sqlPath(path)})
     WHERE path_in_schema = 's' ORDER BY row_group_id`,
  );
  return rows.map((r) => [String(r.encodings), Boolean(r.dict)]);
}

async function roundTrip(rows: Cell[][], options: ParquetWriterOptions, batchRows = 500) {
  const schema = tableSchema([
    ['n', 'int32'],
    ['s', 'string'],
  ]);
  const written = await writeParquet(schema, rows, options, { batchRows });
  expect((await readWithDuckDB(written.path)).rows).toEqual(rows);
  expect((await readWithHyparquet(written.bytes, schema)).rows).toEqual(rows);
  return written;
}

describe('dictionary-encoded string columns', () => {
  test.each([1, 2, 3, 4, 5, 8, 9, 255, 256, 257, 1000, 5000])(
    '%i distinct values (index bit widths 1 to 13), scattered and in runs, with nulls',
    async (distinct) => {
      const rows: Cell[][] = Array.from({ length: 3 * distinct + 600 }, (_, i) => {
        if (i % 13 === 0) return [i, null];
        // Runs of one value (RLE runs of indices) between stretches of scattered values (bit-packed).
        const k = Math.floor(i / 50) % 2 === 0 ? Math.floor(i / 50) : (i * 7919) % distinct;
        return [i, `value ${k % distinct} ${'é'.repeat(k % 3)}`];
      });

      // One batch: the share of distinct values is judged over what the chunk has seen.
      const { path } = await roundTrip(rows, { compression: 'snappy' }, rows.length);

      expect(await chunkEncodings(path)).toEqual([['PLAIN_DICTIONARY, RLE', true]]);
    },
  );

  test('the empty string and long values are entries like any other', async () => {
    const long = 'x'.repeat(5000);
    const rows: Cell[][] = Array.from({ length: 2000 }, (_, i) => [i, ['', long, `${long}y`, 'a'][i % 4]!]);

    const { path } = await roundTrip(rows, { compression: 'zstd' });

    expect(await chunkEncodings(path)).toEqual([['PLAIN_DICTIONARY, RLE', true]]);
  });

  test('values that are mostly distinct are PLAIN, with no dictionary page, in every row group', async () => {
    const rows: Cell[][] = Array.from({ length: 6000 }, (_, i) => [i, `id-${i}`]);

    const { path } = await roundTrip(rows, { compression: 'snappy', rowGroupBytes: 40_000 }, 2000);

    const encodings = await chunkEncodings(path);
    expect(encodings.length).toBeGreaterThan(1);
    expect(encodings.every(([e, dict]) => e === 'PLAIN, RLE' && !dict)).toBe(true);
  });

  test("a column that gives up on a chunk's first values skips 1, then 2 chunks, and gets its dictionary back", async () => {
    // One 5,000-row batch per row group: ids for three row groups, then three values only.
    const rows: Cell[][] = Array.from({ length: 30_000 }, (_, i) => [
      i,
      i < 15_000 ? `id-${i}` : `v${i % 3}`,
    ]);

    const { path } = await roundTrip(rows, { compression: 'snappy', rowGroupBytes: 1 }, 5000);

    // Group 1 gives up, 2 is skipped, 3 tries and gives up, 4 and 5 (already repetitive) are skipped,
    // 6 tries and keeps it.
    const plain = ['PLAIN, RLE', false];
    expect(await chunkEncodings(path)).toEqual([
      plain,
      plain,
      plain,
      plain,
      plain,
      ['PLAIN_DICTIONARY, RLE', true],
    ]);
  });

  test('a dictionary that fills up: the first pages indexed, the rest PLAIN, in one chunk', async () => {
    // 40 distinct values per 500-row batch: few enough for the share, but the dictionary's 1,000 bytes
    // fill up after a few batches.
    const rows: Cell[][] = Array.from({ length: 5000 }, (_, i) => [i, `v${Math.floor(i / 500)}-${i % 40}`]);

    const { path } = await roundTrip(rows, { compression: 'gzip', dictionaryBytes: 1000 });

    expect(await chunkEncodings(path)).toEqual([['PLAIN, PLAIN_DICTIONARY, RLE', true]]);
  });

  test('a column of nulls only has no dictionary page', async () => {
    const rows: Cell[][] = Array.from({ length: 3000 }, (_, i) => [i, null]);

    const { path } = await roundTrip(rows, { compression: 'none' });

    expect(await chunkEncodings(path)).toEqual([['PLAIN, RLE', false]]);
  });

  test('dictionaries are per row group, each with its own entries', async () => {
    const rows: Cell[][] = Array.from({ length: 8000 }, (_, i) => [
      i,
      `group ${Math.floor(i / 2000)} #${i % 7}`,
    ]);

    const { path, stats } = await roundTrip(rows, { compression: 'snappy', rowGroupBytes: 10_000 });

    expect(stats.chunks).toBeGreaterThan(2);
    const encodings = await chunkEncodings(path);
    expect(encodings.every(([e, dict]) => e === 'PLAIN_DICTIONARY, RLE' && dict)).toBe(true);
  });

  test('dictionaryBytes 0 turns dictionaries off', async () => {
    const rows: Cell[][] = Array.from({ length: 3000 }, (_, i) => [i, `v${i % 3}`]);

    const { path } = await roundTrip(rows, { compression: 'snappy', dictionaryBytes: 0 });

    expect(await chunkEncodings(path)).toEqual([['PLAIN, RLE', false]]);
  });
});

describe('StringDictionary', () => {
  const bytes = (text: string) => Buffer.from(text);

  test('gives each distinct value one index, in order of first appearance, with its PLAIN entry', () => {
    const dictionary = new StringDictionary(1 << 20);
    const words = ['b', 'a', '', 'b', 'ümlaut', 'a', 'a'.repeat(40), 'a'.repeat(40), 'a'.repeat(39) + 'b'];

    const indices = words.map((w) => dictionary.indexOf(bytes(`<${w}>`), 1, 1 + Buffer.byteLength(w)));

    expect(indices).toEqual([0, 1, 2, 0, 3, 1, 4, 4, 5]);
    expect(dictionary.size).toBe(6);
    const plain = Buffer.from(dictionary.plain.used());
    expect(plain.subarray(0, 10)).toEqual(Buffer.from([1, 0, 0, 0, 98, 1, 0, 0, 0, 97]));
  });

  test('keeps every value apart through table growth', () => {
    const dictionary = new StringDictionary(1 << 22);
    const key = (i: number) => (i % 2 ? `k${i}` : `${'long '.repeat(8)}${i}${'tail '.repeat(4)}`);

    const first = Array.from({ length: 20000 }, (_, i) =>
      dictionary.indexOf(bytes(key(i)), 0, key(i).length),
    );
    const again = Array.from({ length: 20000 }, (_, i) =>
      dictionary.indexOf(bytes(key(i)), 0, key(i).length),
    );

    expect(first).toEqual(Array.from({ length: 20000 }, (_, i) => i));
    expect(again).toEqual(first);
  });

  test('long values that differ only in the middle stay apart', () => {
    const dictionary = new StringDictionary(1 << 22);
    const value = (i: number) => `${'p'.repeat(16)}${String(i).padStart(6, '0')}${'s'.repeat(16)}`;

    const first = Array.from({ length: 500 }, (_, i) => dictionary.indexOf(bytes(value(i)), 0, 38));
    const again = Array.from({ length: 500 }, (_, i) => dictionary.indexOf(bytes(value(i)), 0, 38));

    expect(first).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(again).toEqual(first);
  });

  test('long values that differ only where a long value is not sampled: apart, hashed whole from then on', () => {
    // 40 bytes whose differing digits (12-17) are neither in the first or last 12 bytes nor the middle
    // four that a long value's first hash takes: every value shares that hash.
    const dictionary = new StringDictionary(1 << 22);
    const value = (i: number) => `${'a'.repeat(12)}${String(i).padStart(6, '0')}${'b'.repeat(22)}`;
    const batch = Buffer.from(Array.from({ length: 2000 }, (_, i) => value(i % 1000)).join(''));
    const offsets = Int32Array.from({ length: 2001 }, (_, k) => 40 * k);
    const indices = new Int32Array(2000);

    const end = dictionary.lookUp(batch, offsets, 0, 2000, indices, 0, Infinity);

    expect(end).toBe(2000);
    expect(Array.from(indices)).toEqual(Array.from({ length: 2000 }, (_, i) => i % 1000));
    expect(dictionary.size).toBe(1000);
  });

  test('lookUp stops at the first index that reaches maxSize', () => {
    const dictionary = new StringDictionary(1 << 20);
    const batch = Buffer.from('abcabd');
    const indices = new Int32Array(4);

    expect(dictionary.lookUp(batch, Int32Array.of(0, 3, 6), 0, 2, indices, 0, 2)).toBe(2);
    expect(dictionary.lookUp(Buffer.from('xyz'), Int32Array.of(0, 3), 0, 1, indices, 2, 2)).toBe(-1);
  });

  test('answers -1 when a new value would pass the byte limit', () => {
    const small = new StringDictionary(12);

    const results = ['abcd', 'efgh', 'abcd'].map((w) => small.indexOf(bytes(w), 0, 4));

    expect(results).toEqual([0, -1, 0]);
  });

  test('answers -1 past the probe limit, and never a wrong index', () => {
    // One probe only: a value whose slot is taken by another value cannot be placed.
    const dictionary = new StringDictionary(1 << 22, 1);
    const key = (i: number) => `key ${i}`;

    const first = Array.from({ length: 1500 }, (_, i) => dictionary.indexOf(bytes(key(i)), 0, key(i).length));
    const again = Array.from({ length: 1500 }, (_, i) => dictionary.indexOf(bytes(key(i)), 0, key(i).length));

    const placed = first.filter((index) => index >= 0);
    expect(placed.length).toBeLessThan(1500);
    expect(placed).toEqual(Array.from({ length: placed.length }, (_, i) => i));
    expect(again.filter((_, i) => first[i]! >= 0)).toEqual(placed);
  });

  test('clear forgets the entries', () => {
    const dictionary = new StringDictionary(1 << 20);
    dictionary.indexOf(bytes('x'), 0, 1);

    dictionary.clear();

    expect(dictionary.size).toBe(0);
    expect(dictionary.indexOf(bytes('y'), 0, 1)).toBe(0);
  });
});
