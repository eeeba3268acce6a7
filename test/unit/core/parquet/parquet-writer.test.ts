/*
 * The Parquet writer, read back by DuckDB and hyparquet (neither shares code with it): values cell by
 * cell, types, logical types, statistics, row groups, pages and the footer's key/value metadata.
 */
import fc from 'fast-check';
import type { ParquetCompression } from '../../../../lambdas/core/model/options';
import { rowGroupBudget } from '../../../../lambdas/core/parquet/parquet-writer';
import { truncateUpper } from '../../../../lambdas/core/parquet/statistics';
import type { ColumnType } from '../../../../lambdas/core/model/schema';
import { MemorySink } from '../../../../lambdas/core/model/sink';
import { duck, readWithDuckDB, readWithHyparquet, sqlPath, type Cell } from '../../../support/readers';
import { cleanUp, tableSchema, writeParquet } from './read-back';

afterAll(cleanUp);

const MAX_I64 = 2n ** 63n - 1n;
const MIN_I64 = -(2n ** 63n);

/** Every type, with the awkward values of each, names in several scripts. */
const everyType: [string, ColumnType][] = [
  ['flag', 'boolean'],
  ['n32', 'int32'],
  ['n64', 'int64'],
  ['x', 'double'],
  ['día', 'date'],
  ['at', 'timestamp'],
  ['名前 "quoted", spaced', 'string'],
];
const everyRow: Cell[][] = [
  [true, 0, 0n, 0, 0, 0n, ''],
  [false, -1, -1n, -0, -1, -1n, 'a'],
  [null, null, null, null, null, null, null],
  [true, 2147483647, 2n ** 53n + 1n, Infinity, -719162, -62135596800000000n, 'Grüße, 世界 🌍'],
  [false, -2147483648, MAX_I64, -Infinity, 2932896, 253402300799999999n, 'line\nbreak\t"quote"'],
  [null, 42, MIN_I64, NaN, 19000, 1700000000123456n, '\u0000nul'],
  [true, null, -(2n ** 53n) - 7n, 5e-324, -25567, -315619199999999n, null],
  [null, 7, 4294967296n, 1.7976931348623157e308, null, 1n, 'zzz'],
];

const DUCK_TYPES: Record<ColumnType, string> = {
  boolean: 'BOOLEAN',
  int32: 'INTEGER',
  int64: 'BIGINT',
  double: 'DOUBLE',
  date: 'DATE',
  timestamp: 'TIMESTAMP WITH TIME ZONE',
  string: 'VARCHAR',
};

describe.each<ParquetCompression>(['none', 'snappy', 'zstd', 'gzip'])(
  'with %s compression',
  (compression) => {
    test('every type and awkward value reads back cell by cell in DuckDB and hyparquet', async () => {
      const schema = tableSchema(everyType);
      const { path, bytes, stats } = await writeParquet(schema, everyRow, { compression }, { batchRows: 3 });

      const fromDuck = await readWithDuckDB(path);
      const fromHy = await readWithHyparquet(bytes, schema);

      expect(stats).toEqual({ rows: everyRow.length, bytesWritten: bytes.length, chunks: 1 });
      expect(fromDuck.columns).toEqual(everyType.map(([name, type]) => [name, DUCK_TYPES[type]]));
      expect(fromDuck.rows).toEqual(everyRow);
      expect(fromHy.rows).toEqual(everyRow);
      const codec = (await duck(`SELECT DISTINCT compression FROM parquet_metadata(${sqlPath(path)})`))[0]!;
      expect(codec.compression).toBe(compression === 'none' ? 'UNCOMPRESSED' : compression.toUpperCase());
    });
  },
);

describe('schema and footer', () => {
  test('each column is an OPTIONAL leaf with its physical, converted and logical type, names as given', async () => {
    const schema = tableSchema(everyType);
    const { path, bytes } = await writeParquet(schema, everyRow.slice(0, 2), { compression: 'snappy' });

    const leaves = await duck(
      `SELECT name, type, repetition_type, converted_type, logical_type FROM parquet_schema(${sqlPath(path)}) WHERE name <> 'schema'`,
    );
    const { metadata } = await readWithHyparquet(bytes, schema);

    expect(leaves).toEqual([
      {
        name: 'flag',
        type: 'BOOLEAN',
        repetition_type: 'OPTIONAL',
        converted_type: null,
        logical_type: null,
      },
      { name: 'n32', type: 'INT32', repetition_type: 'OPTIONAL', converted_type: null, logical_type: null },
      { name: 'n64', type: 'INT64', repetition_type: 'OPTIONAL', converted_type: null, logical_type: null },
      { name: 'x', type: 'DOUBLE', repetition_type: 'OPTIONAL', converted_type: null, logical_type: null },
      {
        name: 'día',
        type: 'INT32',
        repetition_type: 'OPTIONAL',
        converted_type: 'DATE',
        logical_type: 'DateType()',
      },
      {
        name: 'at',
        type: 'INT64',
        repetition_type: 'OPTIONAL',
        converted_type: 'TIMESTAMP_MICROS',
        logical_type: expect.stringMatching(
          /^TimestampType\(isAdjustedToUTC=1, unit=.*MICROS=MicroSeconds\(\)/,
        ),
      },
      {
        name: '名前 "quoted", spaced',
        type: 'BYTE_ARRAY',
        repetition_type: 'OPTIONAL',
        converted_type: 'UTF8',
        logical_type: 'StringType()',
      },
    ]);
    expect(metadata.schema[0]).toEqual({ name: 'schema', num_children: everyType.length });
    expect(metadata.schema[6]!.logical_type).toEqual({
      type: 'TIMESTAMP',
      isAdjustedToUTC: true,
      unit: 'MICROS',
    });
    expect(metadata.schema[5]!.logical_type).toEqual({ type: 'DATE' });
    expect(metadata.schema[7]!.logical_type).toEqual({ type: 'STRING' });
  });

  test('the footer names csv2lake, orders columns by type, and keeps the source header names', async () => {
    const schema = tableSchema([
      ['a', 'int32'],
      ['Ünï', 'string'],
    ]);
    const { path, bytes } = await writeParquet(schema, [[1, 'x']], { compression: 'none' });

    const [file] = await duck(
      `SELECT created_by, num_rows, column_orders FROM parquet_file_metadata(${sqlPath(path)})`,
    );
    const kv = await duck(
      `SELECT decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata(${sqlPath(path)})`,
    );

    expect(file!.created_by).toBe('csv2lake');
    expect(file!.num_rows).toBe(1n);
    expect(String(file!.column_orders)).toMatch(/TYPE_DEFINED_ORDER|TypeDefinedOrder/);
    expect(kv).toHaveLength(1);
    expect(kv[0]!.key).toBe('csv2lake.columns');
    expect(JSON.parse(String(kv[0]!.value))).toEqual([
      { name: 'a', sourceName: 'a (source)', type: 'int32' },
      { name: 'Ünï', sourceName: 'Ünï (source)', type: 'string' },
    ]);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('PAR1');
    expect(bytes.subarray(-4).toString('latin1')).toBe('PAR1');
    expect(bytes.readUInt32LE(bytes.length - 8)).toBeLessThan(bytes.length - 12);
  });

  test.each([false, true])(
    '0 rows give a valid file with the schema and no row groups (empty batch: %s)',
    async (emptyBatch) => {
      const schema = tableSchema(everyType);
      const { path, bytes, stats } = await writeParquet(
        schema,
        [],
        { compression: 'snappy' },
        { emptyBatch },
      );

      const fromDuck = await readWithDuckDB(path);
      const [file] = await duck(
        `SELECT num_rows, num_row_groups FROM parquet_file_metadata(${sqlPath(path)})`,
      );
      const fromHy = await readWithHyparquet(bytes, schema);

      expect(stats).toEqual({ rows: 0, bytesWritten: bytes.length, chunks: 0 });
      expect(fromDuck.columns).toEqual(everyType.map(([name, type]) => [name, DUCK_TYPES[type]]));
      expect(fromDuck.rows).toEqual([]);
      expect(file).toEqual({ num_rows: 0n, num_row_groups: 0n });
      expect(fromHy.rows).toEqual([]);
      expect(fromHy.metadata.row_groups).toEqual([]);
    },
  );
});

/** parquet_metadata() rows of one file: per row group and column, its statistics and sizes. */
function chunkStats(path: string) {
  return duck(
    `SELECT row_group_id::INTEGER AS rg, path_in_schema AS col, row_group_num_rows::INTEGER AS rows,
       num_values::INTEGER AS n, stats_null_count::INTEGER AS nulls, stats_min_value AS min,
       stats_max_value AS max, min_is_exact, max_is_exact, encodings
     FROM parquet_metadata(${sqlPath(path)}) ORDER BY row_group_id, column_id`,
  );
}

describe('statistics', () => {
  test('null count, min and max per column chunk, over several batches and row groups', async () => {
    const schema = tableSchema([
      ['b', 'boolean'],
      ['i', 'int32'],
      ['l', 'int64'],
      ['d', 'double'],
      ['dt', 'date'],
      ['t', 'timestamp'],
      ['s', 'string'],
    ]);
    const groupA: Cell[][] = [
      [true, 5, MAX_I64, NaN, -1, -1n, 'b'],
      [null, -7, 3n, -0, 0, 0n, ''],
      [true, null, MIN_I64, 0, null, 1_700_000_000_000_000n, 'ÿ'],
      [true, 2, -2n, 2.5, 19000, null, 'z'],
    ];
    const groupB: Cell[][] = [
      [false, 1, 2n ** 53n + 1n, NaN, 1, 5n, 'é'],
      [false, 1, 2n ** 53n + 3n, -5, 1, 5n, 'e'],
      [null, null, null, null, null, null, null],
      [false, 1, 2n ** 53n + 2n, NaN, 1, 5n, 'f'],
    ];
    // Each batch is about 100 bytes of values: a row group per two batches.
    const { path, stats } = await writeParquet(
      schema,
      [...groupA, ...groupB],
      { compression: 'snappy', rowGroupBytes: 150 },
      { batchRows: 2 },
    );

    const chunks = await chunkStats(path);

    expect(stats.chunks).toBe(2);
    const pick = (rg: number) =>
      chunks.filter((c) => c.rg === rg).map((c) => [c.col, c.rows, c.n, c.nulls, c.min, c.max]);
    expect(pick(0)).toEqual([
      ['b', 4, 4, 1, 'true', 'true'],
      ['i', 4, 4, 1, '-7', '5'],
      ['l', 4, 4, 0, '-9223372036854775808', '9223372036854775807'],
      ['d', 4, 4, 0, '-0.0', '2.5'],
      ['dt', 4, 4, 1, '1969-12-31', '2022-01-08'],
      ['t', 4, 4, 1, '1969-12-31 23:59:59.999999+00', '2023-11-14 22:13:20+00'],
      ['s', 4, 4, 0, '', 'ÿ'],
    ]);
    expect(pick(1)).toEqual([
      ['b', 4, 4, 1, 'false', 'false'],
      ['i', 4, 4, 1, '1', '1'],
      ['l', 4, 4, 1, '9007199254740993', '9007199254740995'],
      ['d', 4, 4, 1, '-5.0', '-5.0'],
      ['dt', 4, 4, 1, '1970-01-02', '1970-01-02'],
      ['t', 4, 4, 1, '1970-01-01 00:00:00.000005+00', '1970-01-01 00:00:00.000005+00'],
      ['s', 4, 4, 1, 'e', 'é'],
    ]);
    // Strings are dictionary-encoded (a handful of distinct values), the rest PLAIN.
    expect(chunks.map((c) => c.encodings)).toEqual(
      chunks.map((c) => (c.col === 's' ? 'PLAIN_DICTIONARY, RLE' : 'PLAIN, RLE')),
    );
  });

  test.each([
    [[-0, 0, -3], -3, 0],
    [[0, 4], -0, 4],
    [[NaN, -0, NaN], -0, 0],
    [[Infinity, NaN, -Infinity], -Infinity, Infinity],
  ])(
    'doubles %j: min %d, max %d (NaN ignored, a zero max is +0, a zero min is -0)',
    async (values, min, max) => {
      const schema = tableSchema([['d', 'double']]);
      const { bytes } = await writeParquet(
        schema,
        values.map((v) => [v]),
        { compression: 'none' },
      );

      const { metadata } = await readWithHyparquet(bytes, schema);

      const statistics = metadata.row_groups[0]!.columns[0]!.meta_data!.statistics!;
      expect(statistics.min_value).toBe(min);
      expect(statistics.max_value).toBe(max);
    },
  );

  test('a column that is all null (or all NaN) has a null count and no bounds, and reads back', async () => {
    const schema = tableSchema([
      ['none', 'string'],
      ['nan', 'double'],
      ['n', 'int64'],
    ]);
    const rows: Cell[][] = Array.from({ length: 300 }, (_, i) => [
      null,
      i % 2 ? NaN : null,
      i % 3 ? null : BigInt(i),
    ]);
    const { path, bytes } = await writeParquet(schema, rows, { compression: 'zstd' }, { batchRows: 64 });

    const chunks = await chunkStats(path);
    const fromDuck = await readWithDuckDB(path);
    const fromHy = await readWithHyparquet(bytes, schema);

    expect(chunks.map((c) => [c.col, c.nulls, c.min, c.max])).toEqual([
      ['none', 300, null, null],
      ['nan', 150, null, null],
      ['n', 200, '0', '297'],
    ]);
    expect(fromDuck.rows).toEqual(rows);
    expect(fromHy.rows).toEqual(rows);
  });

  test('long strings: bounds truncated at a character boundary, the maximum incremented, flagged inexact', async () => {
    const schema = tableSchema([['s', 'string']]);
    const low = 'a'.repeat(63) + 'é' + 'zzz'; // 'é' straddles byte 64: the minimum keeps 63 bytes
    const high = 'é'.repeat(40); // 80 bytes: 32 characters kept, the last one incremented
    const rows: Cell[][] = [['b'], [high], [low], [null]];
    const { path, bytes } = await writeParquet(schema, rows, { compression: 'snappy' });

    const [chunk] = await chunkStats(path);
    const fromHy = await readWithHyparquet(bytes, schema);

    expect(chunk).toMatchObject({
      min: 'a'.repeat(63),
      max: 'é'.repeat(31) + 'ê',
      min_is_exact: false,
      max_is_exact: false,
    });
    expect(fromHy.rows).toEqual(rows);
    expect((await readWithDuckDB(path)).rows).toEqual(rows);
  });

  test('long string bounds across batches (only a prefix of each is kept) equal those of the whole chunk', async () => {
    // Long values sharing long prefixes, over batches of a few rows: the writer keeps a prefix of each
    // bound between batches; the footer must still hold the bounds computed over every whole value.
    const schema = tableSchema([['s', 'string']]);
    const piece = fc.constantFrom('a', 'b', 'é', 'ab');
    const value = fc
      .tuple(fc.integer({ min: 55, max: 90 }), fc.array(piece, { minLength: 1, maxLength: 30 }))
      .map(([n, tail]) => 'a'.repeat(n) + tail.join(''));
    await fc.assert(
      fc.asyncProperty(
        fc.array(value, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 4 }),
        async (values, batchRows) => {
          const { path } = await writeParquet(
            schema,
            values.map((v) => [v]),
            { compression: 'none' },
            { batchRows },
          );
          const sorted = values.map((v) => Buffer.from(v)).sort(Buffer.compare);
          const min = sorted[0]!;
          const max = sorted.at(-1)!;
          const cut = (b: Buffer) => {
            let n = 64;
            while (n > 0 && (b[n]! & 0xc0) === 0x80) n--;
            return b.subarray(0, n).toString();
          };
          const [chunk] = await chunkStats(path);
          expect(chunk).toMatchObject({
            min: min.length <= 64 ? min.toString() : cut(min),
            min_is_exact: min.length <= 64,
            max:
              max.length <= 64 ? max.toString() : Buffer.from(truncateUpper(new Uint8Array(max))!).toString(),
            max_is_exact: max.length <= 64,
          });
        },
      ),
      { numRuns: 40 },
    );
  });

  test('short string bounds are exact', async () => {
    const schema = tableSchema([['s', 'string']]);
    const { path } = await writeParquet(schema, [['x'.repeat(64)], ['a']], { compression: 'none' });

    const [chunk] = await chunkStats(path);

    expect(chunk).toMatchObject({ min: 'a', max: 'x'.repeat(64), min_is_exact: true, max_is_exact: true });
  });
});

test('the row-group budget shrinks past 1,024 columns in proportion to the width, down to 8 MiB', () => {
  const MiB = 1 << 20;
  expect([1, 12, 1024, 2048, 4096, 8192, 50_000].map((c) => rowGroupBudget(32 * MiB, c) / MiB)).toEqual([
    32, 32, 32, 16, 8, 8, 8,
  ]);
  // Never above what was configured (tests and the split's half-size groups configure less).
  expect(rowGroupBudget(MiB, 4096)).toBe(MiB);
});

describe('truncateUpper', () => {
  test.each([
    ['abc', 2, 'ac'],
    ['.', 17, '/'], // a limit beyond the value: the whole value, incremented
    ['a\u{10ffff}\u{10ffff}', 9, 'b'],
    ['\u{d7ff}x', 3, '\u{e000}'],
    ['\u{10ffff}', 4, undefined],
    ['ab\u{7f}', 3, 'ab\u{80}'],
  ])('%j cut to %i bytes gives %j', (text, limit, expected) => {
    const upper = truncateUpper(Buffer.from(text), limit);

    expect(upper === undefined ? undefined : Buffer.from(upper).toString()).toBe(expected);
  });

  test('any string with the same prefix sorts below the bound (unsigned bytes)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 20 }),
        (text, limit) => {
          const bytes = Buffer.from(text);
          const upper = truncateUpper(bytes, limit);
          if (upper === undefined) return;
          expect(Buffer.compare(bytes, Buffer.from(upper))).toBe(-1);
          // Valid UTF-8: it decodes and encodes back to the same bytes, and holds no replacement character
          // that the text did not (a U+FFFD of the text itself may stay in the kept prefix).
          expect(Buffer.from(Buffer.from(upper).toString())).toEqual(Buffer.from(upper));
          if (!text.includes('\ufffd')) expect(Buffer.from(upper).toString()).not.toContain('\ufffd');
        },
      ),
    );
  });
});

/** A sink that remembers how many bytes it had received at each moment the test asks. */
class WatchedSink {
  received = 0;
  private readonly memory = new MemorySink();
  write(chunk: Uint8Array): void {
    this.received += chunk.length;
    this.memory.write(chunk);
  }
  bytes(): Buffer {
    return this.memory.bytes();
  }
}

describe('row groups and pages', () => {
  const schema = tableSchema([
    ['id', 'int32'],
    ['big', 'int64'],
    ['flag', 'boolean'],
    ['text', 'string'],
    ['sparse', 'double'],
  ]);
  const rows: Cell[][] = Array.from({ length: 5000 }, (_, i) => [
    i,
    BigInt(i) * 1_000_000_007n - 2n ** 62n,
    i % 3 === 0,
    i % 11 === 0 ? null : `row ${i} ${'·'.repeat(i % 7)}`,
    i % 97 === 0 ? i / 4 : null,
  ]);

  test('row groups are bounded in bytes and written as they fill; pages are bounded too', async () => {
    const sink = new WatchedSink();
    const seen: number[] = [];
    const { path, bytes, stats } = await writeParquet(
      schema,
      rows,
      { compression: 'snappy', rowGroupBytes: 20_000, pageBytes: 2_000, dictionaryBytes: 0 },
      { batchRows: 250, sink, afterWrite: () => seen.push(sink.received) },
    );

    const groups = await duck(
      `SELECT DISTINCT row_group_id::INTEGER AS rg, row_group_num_rows::INTEGER AS rows
       FROM parquet_metadata(${sqlPath(path)}) ORDER BY rg`,
    );
    const fromHy = await readWithHyparquet(bytes, schema);

    expect(stats.chunks).toBe(groups.length);
    expect(groups.length).toBeGreaterThan(3);
    expect(groups.reduce((sum, g) => sum + Number(g.rows), 0)).toBe(rows.length);
    // Written while writing, not at close: the sink grew in steps during the writes.
    expect(new Set(seen).size).toBeGreaterThan(3);
    expect(seen.at(-1)!).toBeLessThan(bytes.length);
    // Several pages per column chunk (2,000-byte pages, 250-row batches of ~2 KB+ for the text column).
    const textPages = fromHy.pages.get('text')!;
    expect(textPages.length).toBeGreaterThan(groups.length);
    expect(textPages.reduce((a, b) => a + b, 0)).toBe(rows.length);
    expect((await readWithDuckDB(path)).rows).toEqual(rows);
    expect(fromHy.rows).toEqual(rows);
  });

  test('row groups of several hundred kilobytes, one after the other, uncompressed', async () => {
    const schema1 = tableSchema([
      ['n', 'int64'],
      ['s', 'string'],
    ]);
    const data: Cell[][] = Array.from({ length: 1200 }, (_, i) => [
      BigInt(i),
      i % 5 === 0 ? null : String.fromCharCode(97 + (i % 26)).repeat(100 + ((i * 37) % 2000)),
    ]);
    const { path, bytes, stats } = await writeParquet(
      schema1,
      data,
      { compression: 'none', rowGroupBytes: 300_000, pageBytes: 50_000 },
      { batchRows: 20 },
    );

    expect(stats.chunks).toBeGreaterThan(3);
    expect((await readWithDuckDB(path)).rows).toEqual(data);
    expect((await readWithHyparquet(bytes, schema1)).rows).toEqual(data);
  });

  test('column chunk offsets and sizes match the bytes of the file', async () => {
    const { path, bytes } = await writeParquet(schema, rows, {
      compression: 'gzip',
      rowGroupBytes: 30_000,
      pageBytes: 4_000,
    });

    const chunks = await duck(
      `SELECT coalesce(dictionary_page_offset, data_page_offset)::BIGINT AS start, total_compressed_size::BIGINT AS size
       FROM parquet_metadata(${sqlPath(path)}) ORDER BY row_group_id, column_id`,
    );
    const footerLength = bytes.readUInt32LE(bytes.length - 8);

    // Chunks are contiguous from byte 4 up to the footer.
    let expected = 4n;
    for (const chunk of chunks) {
      expect(chunk.start).toBe(expected);
      expected += chunk.size as bigint;
    }
    expect(expected).toBe(BigInt(bytes.length - 8 - footerLength));
  });

  test.each<ParquetCompression>(['none', 'zstd'])(
    'one string of several megabytes (%s)',
    async (compression) => {
      const big = 'ü'.repeat(2_600_000) + 'end'; // 5.2 MB of UTF-8: bigger than a page and than a slab
      const schema1 = tableSchema([
        ['k', 'int32'],
        ['blob', 'string'],
      ]);
      const data: Cell[][] = [
        [1, 'small'],
        [2, big],
        [3, null],
        [4, big.slice(1)],
      ];
      const { path, bytes } = await writeParquet(
        schema1,
        data,
        { compression, pageBytes: 1 << 20 },
        { batchRows: 1 },
      );

      const fromDuck = await readWithDuckDB(path);
      const fromHy = await readWithHyparquet(bytes, schema1);

      expect(fromDuck.rows).toEqual(data);
      expect(fromHy.rows).toEqual(data);
    },
  );
});

describe('definition levels', () => {
  /** Validity patterns that exercise RLE runs, bit-packed groups and the switches between them. */
  const patterns: [string, (i: number) => boolean][] = [
    ['all valid', () => true],
    ['all null', () => false],
    ['alternating', (i) => i % 2 === 0],
    ['runs of 7', (i) => Math.floor(i / 7) % 2 === 0],
    ['runs of 8', (i) => Math.floor(i / 8) % 2 === 0],
    ['runs of 9', (i) => Math.floor(i / 9) % 2 === 0],
    ['one null in 16', (i) => i % 16 !== 5],
    ['last is null', (i) => i !== 12],
    ['first is null', (i) => i !== 0],
    ['noise', (i) => ((i * 2654435761) >>> 7) % 3 !== 0],
  ];

  test.each(patterns)('%s, for lengths 1 to 40 and 1,003, across pages', async (_, isValid) => {
    const schema = tableSchema([
      ['v', 'int32'],
      ['b', 'boolean'],
    ]);
    for (const length of [1, 2, 7, 8, 9, 15, 16, 17, 23, 24, 25, 33, 40, 1003]) {
      const rows: Cell[][] = Array.from({ length }, (_, i) => (isValid(i) ? [i, i % 3 === 1] : [null, null]));
      const { path, bytes } = await writeParquet(
        schema,
        rows,
        { compression: 'none', pageBytes: 64 },
        { batchRows: 13 },
      );

      expect((await readWithDuckDB(path)).rows).toEqual(rows);
      expect((await readWithHyparquet(bytes, schema)).rows).toEqual(rows);
    }
  });
});

describe('randomized round trip', () => {
  const I64 = { min: MIN_I64, max: MAX_I64 };
  /** A non-null value of each type, as the writer takes it and the readers give it back. */
  const valueOf: Record<ColumnType, fc.Arbitrary<Cell>> = {
    boolean: fc.boolean(),
    int32: fc.integer(),
    int64: fc.bigInt(I64),
    double: fc.double(),
    date: fc.integer({ min: -719162, max: 2932896 }), // 0001-01-01 .. 9999-12-31
    timestamp: fc.bigInt({ min: -62135596800000000n, max: 253402300799999999n }),
    string: fc.string({ unit: 'binary', maxLength: 30 }),
  };
  const columnTypes = fc.constantFrom<ColumnType>(
    'boolean',
    'int32',
    'int64',
    'double',
    'date',
    'timestamp',
    'string',
  );

  test('random schemas, rows, nulls, batch/page/row-group/dictionary sizes and codecs read back exactly', async () => {
    const table = fc
      .array(fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), columnTypes), { minLength: 1, maxLength: 5 })
      .map((cols) => cols.map(([name, type], i) => [`${i}:${name}`, type] as [string, ColumnType]))
      .chain((cols) =>
        fc.record({
          cols: fc.constant(cols),
          rows: fc.array(
            fc.tuple(...cols.map(([, type]) => fc.option(valueOf[type]!, { freq: 3, nil: null }))),
            { maxLength: 120 },
          ),
          batchRows: fc.integer({ min: 1, max: 50 }),
          pageBytes: fc.integer({ min: 1, max: 600 }),
          rowGroupBytes: fc.integer({ min: 1, max: 3000 }),
          compression: fc.constantFrom<ParquetCompression>('none', 'snappy', 'zstd', 'gzip'),
          dictionaryBytes: fc.constantFrom(undefined, 0, 40, 400),
        }),
      );
    await fc.assert(
      fc.asyncProperty(
        table,
        async ({ cols, rows, batchRows, pageBytes, rowGroupBytes, compression, dictionaryBytes }) => {
          const schema = tableSchema(cols);
          const { path, bytes, stats } = await writeParquet(
            schema,
            rows,
            { compression, pageBytes, rowGroupBytes, dictionaryBytes },
            { batchRows },
          );

          const fromDuck = await readWithDuckDB(path);
          const fromHy = await readWithHyparquet(bytes, schema);

          expect(stats.rows).toBe(rows.length);
          expect(fromDuck.columns).toEqual(cols.map(([name, type]) => [name, DUCK_TYPES[type]]));
          expect(fromDuck.rows).toEqual(rows);
          expect(fromHy.rows).toEqual(rows);
          expect(fromHy.metadata.row_groups.length).toBe(stats.chunks);
        },
      ),
      { numRuns: 100 },
    );
  });
});
