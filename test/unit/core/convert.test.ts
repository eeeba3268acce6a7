/*
 * Generated inputs too large or too many to keep as fixtures: late type changes, huge fields, many row
 * groups and pages, every codec; read back by DuckDB, hyparquet and avsc.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AvroCodec, ParquetCompression } from '../../../lambdas/core/model/options';
import { convertFile } from '../../../lambdas/io/convert-file';
import { query, readAvro, readParquetWithHyparquet } from '../../support/readers';

async function csvFile(name: string, text: string): Promise<{ path: string; out: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'convert-'));
  const path = join(dir, name);
  await writeFile(path, text);
  return { path, out: join(dir, 'out') };
}

test('59,999 integers then text on row 60,000: the column is text and nothing fails', async () => {
  // Padded past the 1 MiB sample, so that the change comes after the first pass's type guess.
  const pad = 'p'.repeat(24);
  const rows = Array.from({ length: 59999 }, (_, i) => `${i},${i % 7},${pad}`);
  rows.push(`N/A,3,${pad}`);
  const { path, out } = await csvFile('late.csv', `code,k,pad\n${rows.join('\n')}\n`);
  const result = await convertFile(path, out);
  expect(result.columns).toEqual([
    { name: 'code', type: 'string' },
    { name: 'k', type: 'int64' },
    { name: 'pad', type: 'string' },
  ]);
  expect(result.passes).toBe(2);
  const [summary] = await query(
    `SELECT count(*)::INT AS n, max(k) AS k, list(code ORDER BY k, code)[1] AS first,
            count(*) FILTER (WHERE code = 'N/A')::INT AS text FROM read_parquet('${result.outputs.parquet}')`,
  );
  expect(summary).toEqual({ n: 60000, k: '6', first: '0', text: 1 });
  const avro = await readAvro(result.outputs.avro!);
  expect(avro.rows).toHaveLength(60000);
  expect(avro.rows[59999]).toEqual({ code: 'N/A', k: 3n, pad });
  expect(avro.rows[12345]).toEqual({ code: '12345', k: BigInt(12345 % 7), pad });
});

test('a field of several megabytes', async () => {
  const big = 'ab,"c'.repeat(700_000); // 3.5 MB with delimiters and quotes inside
  const { path, out } = await csvFile(
    'big-field.csv',
    `id,text\n1,"${big.replaceAll('"', '""')}"\n2,small\n`,
  );
  const result = await convertFile(path, out);
  const rows = await query(
    `SELECT id, length(text)::INT AS n, text = '${big.replaceAll("'", "''")}' AS same FROM read_parquet('${result.outputs.parquet}') ORDER BY id`,
  );
  expect(rows).toEqual([
    { id: '1', n: big.length, same: true },
    { id: '2', n: 5, same: false },
  ]);
  const avro = await readAvro(result.outputs.avro!);
  expect(avro.rows[0]!.text).toBe(big);
});

describe.each<[ParquetCompression, AvroCodec]>([
  ['snappy', 'snappy'],
  ['zstd', 'deflate'],
  ['gzip', 'null'],
  ['none', 'snappy'],
])('parquet %s / avro %s over many row groups, pages and blocks', (compression, codec) => {
  test('every value survives', async () => {
    const n = 70000; // batches hold 16,384 rows: five batches, so several row groups
    const lines = ['i,l,d,b,day,ts,s,sparse'];
    for (let i = 0; i < n; i++) {
      lines.push(
        [
          i - 10000,
          BigInt(i) * 1000000007n - 9007199254740993n,
          (i / 7).toFixed(6),
          i % 3 === 0 ? 'true' : 'false',
          new Date(Date.UTC(1960, 0, 1) + i * 86400000).toISOString().slice(0, 10),
          `${new Date(Date.UTC(1969, 11, 31) + i * 61001).toISOString().slice(0, 19)}.${String(i % 1000000).padStart(6, '0')}Z`,
          `"s${i % 97},é\n${'x'.repeat(i % 50)}"`,
          i % 5 === 0 ? String(i) : '',
        ].join(','),
      );
    }
    const { path, out } = await csvFile('many.csv', lines.join('\r\n'));
    const result = await convertFile(path, out, {
      parquetCompression: compression,
      avroCodec: codec,
      rowGroupBytes: 256 * 1024,
      avroBlockBytes: 32 * 1024,
    });
    expect(result.columns.map((c) => c.type)).toEqual([
      'int64',
      'int64',
      'double',
      'boolean',
      'date',
      'timestamp',
      'string',
      'int64',
    ]);

    const parquet = `read_parquet('${result.outputs.parquet}')`;
    const groups = await query(
      `SELECT count(DISTINCT row_group_id)::INT AS g, min(compression) AS c FROM parquet_metadata('${result.outputs.parquet}')`,
    );
    expect(groups[0]!.g).toBeGreaterThan(3);
    expect(groups[0]!.c).toBe(
      { snappy: 'SNAPPY', zstd: 'ZSTD', gzip: 'GZIP', none: 'UNCOMPRESSED' }[compression],
    );
    const [agg] = await query(
      `SELECT count(*)::INT AS n, sum(i)::BIGINT::VARCHAR AS si, sum(l)::HUGEINT::VARCHAR AS sl, count(*) FILTER (WHERE b)::INT AS nb,
              min(day)::VARCHAR AS d0, max(ts)::VARCHAR AS t1, count(sparse)::INT AS ns, sum(length(s))::INT AS ls FROM ${parquet}`,
    );
    let sl = 0n;
    let ls = 0;
    for (let i = 0; i < n; i++) {
      sl += BigInt(i) * 1000000007n - 9007199254740993n;
      ls += `s${i % 97},é\n${'x'.repeat(i % 50)}`.length;
    }
    expect(agg).toEqual({
      n,
      si: String(((n - 1) * n) / 2 - 10000 * n),
      sl: sl.toString(),
      nb: Math.ceil(n / 3),
      d0: '1960-01-01',
      t1: `${new Date(Date.UTC(1969, 11, 31) + (n - 1) * 61001).toISOString().slice(0, 19).replace('T', ' ')}.${String((n - 1) % 1000000).padStart(6, '0')}+00`,
      ns: n / 5,
      ls,
    });

    // Statistics of the first row group match its values.
    const stats = await query(
      `SELECT stats_min_value AS lo, stats_max_value AS hi FROM parquet_metadata('${result.outputs.parquet}') WHERE row_group_id = 0 AND path_in_schema = 'i'`,
    );
    expect(stats[0]!.lo).toBe('-10000');

    const hy = await readParquetWithHyparquet(result.outputs.parquet!);
    expect(hy.rows).toHaveLength(n);
    expect(hy.rows[n - 1]!.l).toBe(BigInt(n - 1) * 1000000007n - 9007199254740993n);
    expect(hy.rows[7]!.s).toBe(`s7,é\n${'x'.repeat(7)}`);

    const avro = await readAvro(result.outputs.avro!);
    expect(avro.header['avro.codec']!.toString()).toBe(codec);
    expect(avro.rows).toHaveLength(n);
    expect(avro.rows[n - 1]).toMatchObject({
      i: BigInt(n - 1 - 10000),
      l: BigInt(n - 1) * 1000000007n - 9007199254740993n,
      b: (n - 1) % 3 === 0,
    });
    expect(avro.rows[10]!.sparse).toBe(10n);
    expect(avro.rows[11]!.sparse).toBeNull();
  });
});
