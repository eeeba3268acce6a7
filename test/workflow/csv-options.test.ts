/*
 * How to read the CSV text, given to a local run: it reaches both converters through the environment the
 * deployed functions read (CSV2LAKE_CSV_OPTIONS, CSV2LAKE_NULL_TOKENS), is part of what skip-unchanged
 * compares, and is kept with the run so that a redrive reads the files as the run did.
 */
import './quiet';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRunner } from '../../lib/local/runner';
import { readAvro, readParquetWithDuckDB } from '../support/readers';

function folder(files: Record<string, string>): { input: string; output: string } {
  const root = mkdtempSync(join(tmpdir(), 'csvopt-'));
  mkdirSync(join(root, 'in'), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, 'in', name), text);
  return { input: join(root, 'in'), output: join(root, 'out') };
}

test('a run reads every file with its CSV options, in both formats; a redrive keeps them; a change of options converts again', async () => {
  // Headerless, ';'-delimited, with 'n/a' for null: read with the defaults, the first row would be the header.
  const dir = folder({ 'a.csv': '1;x\n2;n/a\n', 'late.csv': '' });
  const input = { kind: 'dir', path: dir.input } as const;
  const output = { kind: 'dir', path: dir.output } as const;
  const csv = { header: false, delimiter: ';' };
  const run = await LocalRunner.run({ input, output, csv, nullTokens: ['n/a'], retryIntervalMs: 1 });
  expect(run.items).toMatchObject({ total: 2, converted: 1, failed: 1 });

  // A top-level file is a dataset named after its stem; integers are int64 (DuckDB renders BIGINT as
  // text, avsc's longs are BigInt here).
  const parquet = await readParquetWithDuckDB(join(dir.output, 'parquet/a/a.parquet'));
  expect(parquet.columns).toEqual([
    ['column_1', 'BIGINT'],
    ['column_2', 'VARCHAR'],
  ]);
  expect(parquet.rows).toEqual([
    ['1', 'x'],
    ['2', null],
  ]);
  const avro = await readAvro(join(dir.output, 'avro/a/a.avro'));
  expect(avro.rows).toEqual([
    { column_1: 1n, column_2: 'x' },
    { column_1: 2n, column_2: null },
  ]);

  // The empty file is fixed; the redrive converts it with the run's options, not the defaults.
  writeFileSync(join(dir.input, 'late.csv'), '3;y\n');
  const redriven = await LocalRunner.redrive(run.runId, output, { retryIntervalMs: 1 });
  expect(redriven).toMatchObject({ status: 'SUCCEEDED', items: { total: 2, converted: 2, failed: 0 } });
  expect((await readParquetWithDuckDB(join(dir.output, 'parquet/late/late.parquet'))).rows).toEqual([
    ['3', 'y'],
  ]);

  // The same options again: unchanged. Other options: what is written would differ, so both convert again.
  const again = await LocalRunner.run({ input, output, csv, nullTokens: ['n/a'] });
  expect(again.items).toMatchObject({ total: 2, converted: 0, skipped: 2 });
  const other = await LocalRunner.run({
    input,
    output,
    csv: { ...csv, delimiter: ',' },
    nullTokens: ['n/a'],
  });
  expect(other.items).toMatchObject({ total: 2, converted: 2, skipped: 0 });
  // One column read with ','; the dataset's schema (stored by the first run) keeps column_2, null in this
  // file, and column_1 widens from BIGINT to VARCHAR.
  expect((await readParquetWithDuckDB(join(dir.output, 'parquet/a/a.parquet'))).columns).toEqual([
    ['column_1', 'VARCHAR'],
    ['column_2', 'VARCHAR'],
  ]);
});
