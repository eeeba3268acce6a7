/*
 * Decimals of 19 to 38 digits in Parquet: FIXED_LEN_BYTE_ARRAY of the fewest bytes the precision needs
 * (what Hive, Impala and legacy Spark read), sign-extended, PLAIN, with signed min/max statistics. Read
 * back by hyparquet (the footer, and the unscaled bytes rendered by the test readers) and DuckDB.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parquetMetadata } from 'hyparquet';
import { convertFile } from '../../../../lambdas/io/convert-file';
import { query, readParquetWithHyparquet, sqlPath } from '../../../support/readers';
import { folder } from '../table-support';

const MAX38 = '9'.repeat(38);
const table = {
  recordName: 'Accounts',
  columns: [
    { name: 'id', type: 'decimal(23,0)' as const },
    { name: 'big', type: 'decimal(38,0)' as const },
    { name: 'frac', type: 'decimal(38,10)' as const },
  ],
};

/** Converts `rows` (CSV lines of id,big,frac) under {@link table}; the Parquet file's path. */
async function convertRows(rows: readonly string[], rowGroupBytes?: number): Promise<string> {
  const dir = folder('fixed-decimals-');
  const path = join(dir, 'accounts.csv');
  await writeFile(path, `id,big,frac\n${rows.join('\n')}\n`);
  const result = await convertFile(path, join(dir, 'out'), { table, formats: ['parquet'], rowGroupBytes });
  expect(result.columns.map((c) => c.type)).toEqual(table.columns.map((c) => c.type));
  return result.outputs.parquet!;
}

const awkward = [
  `12345678901234567890123,${MAX38},-1234567890123456789012345678.0123456789`,
  `-98765432109876543210987,-${MAX38},0.0000000001`,
  `${'9'.repeat(23)},0,${'9'.repeat(28)}.${'9'.repeat(10)}`,
  `-${'9'.repeat(23)},-1,-${'9'.repeat(28)}.${'9'.repeat(10)}`,
  ',1,',
  '-1,-128,-0.5',
  `0,${MAX38},0`,
];

test('the footer: FIXED_LEN_BYTE_ARRAY, type_length 10 for decimal(23,0) and 16 for 38 digits, PLAIN', async () => {
  // Prepare, act: the same value on many rows (a dictionary would pay off, FLBA decimals are PLAIN).
  const path = await convertRows([...awkward, ...Array.from({ length: 3000 }, () => '7,7,7')]);
  const bytes = await readFile(path);

  const metadata = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));

  // Assert
  expect(
    metadata.schema
      .slice(1)
      .map((e) => [e.name, e.type, e.type_length, e.converted_type, e.precision, e.scale]),
  ).toEqual([
    ['id', 'FIXED_LEN_BYTE_ARRAY', 10, 'DECIMAL', 23, 0],
    ['big', 'FIXED_LEN_BYTE_ARRAY', 16, 'DECIMAL', 38, 0],
    ['frac', 'FIXED_LEN_BYTE_ARRAY', 16, 'DECIMAL', 38, 10],
  ]);
  expect(metadata.schema[3]!.logical_type).toEqual({ type: 'DECIMAL', precision: 38, scale: 10 });
  for (const chunk of metadata.row_groups[0]!.columns) {
    expect(chunk.meta_data!.type).toBe('FIXED_LEN_BYTE_ARRAY');
    expect(chunk.meta_data!.encodings).toEqual(['PLAIN', 'RLE']);
  }
  // Each value takes its type_length: 10 + 16 + 16 bytes a row, uncompressed.
  const plain = metadata.row_groups[0]!.columns.map((c) => Number(c.meta_data!.total_uncompressed_size));
  expect(plain[0]).toBeGreaterThanOrEqual(10 * (awkward.length - 1 + 3000));
  expect(plain[0]).toBeLessThan(10 * (awkward.length + 3000) + 500);
});

test('DuckDB and hyparquet read every value exact: negatives, zero, ±(10^38 − 1) and 28.10 digits', async () => {
  // Act
  const path = await convertRows(awkward);

  const duck = await query(
    `SELECT id::VARCHAR AS id, big::VARCHAR AS big, frac::VARCHAR AS frac FROM read_parquet(${sqlPath(path)})`,
  );
  const hy = await readParquetWithHyparquet(path);

  // Assert
  const expected = [
    ['12345678901234567890123', MAX38, '-1234567890123456789012345678.0123456789'],
    ['-98765432109876543210987', `-${MAX38}`, '0.0000000001'],
    ['9'.repeat(23), '0', `${'9'.repeat(28)}.${'9'.repeat(10)}`],
    [`-${'9'.repeat(23)}`, '-1', `-${'9'.repeat(28)}.${'9'.repeat(10)}`],
    [null, '1', null],
    ['-1', '-128', '-0.5000000000'],
    ['0', MAX38, '0.0000000000'],
  ].map(([id, big, frac]) => ({ id, big, frac }));
  expect(duck).toEqual(expected);
  expect(hy.rows).toEqual(expected);
});

test('min/max statistics in signed order, per row group, across batches: what DuckDB computes', async () => {
  // Prepare: 40,000 rows of every sign and length (more than a batch), in several row groups.
  let seed = 12345n;
  const next = (digits: number): bigint => {
    seed = (seed * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n;
    const magnitude = (seed * 7919n) % 10n ** BigInt(1 + Number(seed % BigInt(digits)));
    return seed % 3n === 0n ? -magnitude : magnitude;
  };
  const rows = Array.from({ length: 40000 }, (_, i) =>
    i % 11 === 0 ? ',,' : `${next(23)},${next(38)},${next(38)}`,
  );
  rows[20000] = `-${'9'.repeat(23)},-${MAX38},-${'9'.repeat(28)}.${'9'.repeat(10)}`;
  rows[39999] = `${'9'.repeat(23)},${MAX38},${'9'.repeat(28)}.${'9'.repeat(10)}`;

  // Act
  const path = await convertRows(rows, 256 * 1024);

  // Assert: each row group's bounds are the min and max DuckDB finds over the group's rows.
  const file = sqlPath(path);
  const stats = await query(
    `SELECT row_group_id AS g, path_in_schema AS col, stats_min_value AS min, stats_max_value AS max,
       stats_null_count AS nulls, row_group_num_rows AS n
     FROM parquet_metadata(${file}) ORDER BY g, column_id`,
  );
  expect(new Set(stats.map((s) => s.g)).size).toBeGreaterThan(1);
  let first = 0;
  for (let g = 0; g < stats.length / 3; g++) {
    const n = Number(stats[3 * g]!.n);
    const [actual] = await query(
      `SELECT min(id)::VARCHAR AS id_min, max(id)::VARCHAR AS id_max, min(big)::VARCHAR AS big_min,
         max(big)::VARCHAR AS big_max, min(frac)::VARCHAR AS frac_min, max(frac)::VARCHAR AS frac_max,
         count(*) - count(id) AS nulls
       FROM read_parquet(${file}, file_row_number = true)
       WHERE file_row_number >= ${first} AND file_row_number < ${first + n}`,
    );
    for (const [k, col] of ['id', 'big', 'frac'].entries()) {
      const s = stats[3 * g + k]!;
      expect([s.col, s.min, s.max, Number(s.nulls)]).toEqual([
        col,
        actual![`${col}_min`],
        actual![`${col}_max`],
        Number(actual!.nulls),
      ]);
    }
    first += n;
  }
  expect(first).toBe(40000);
  const bounds = await query(
    `SELECT path_in_schema AS col, min(stats_min_value::DECIMAL(38,0))::VARCHAR AS min
     FROM parquet_metadata(${file}) WHERE path_in_schema = 'big' GROUP BY ALL`,
  );
  expect(bounds).toEqual([{ col: 'big', min: `-${MAX38}` }]);
});
