/*
 * The Parquet writer, read back by DuckDB and hyparquet (neither shares code with it): values cell by
 * cell, types, logical types, statistics, row groups, pages and the footer's key/value metadata.
 */
import type { ParquetCompression } from '../../../../lambdas/core/convert';
import type { ColumnType } from '../../../../lambdas/core/schema';
import {
  cleanUp,
  duck,
  readWithDuckDB,
  readWithHyparquet,
  sqlPath,
  tableSchema,
  writeParquet,
  type Cell,
} from './read-back';

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
      const { path, bytes, stats } = await writeParquet(schema, everyRow, { compression }, 3);

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
