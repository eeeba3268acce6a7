/*
 * `csv2lake run --range-bytes` end to end, as users run it (the bundled CLI in its own process): a file of a
 * few MB cut into 1 MiB ranges (the smallest allowed) converted on the converter threads and joined gives
 * outputs equal, value for value and in row order, to a run without the flag, read by DuckDB (Parquet) and
 * avsc (Avro); the key counts once in the report, with its ranges under it, and its part objects are gone.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIN_RANGE_BYTES } from '../../../lambdas/ranges/range-plan';
import { bundledCli } from '../../support/cli-bundle';
import { closeDuckdb, decodeAvro, readWithDuckDB } from '../../support/readers';
import { generateCsv } from '../../bench/generate-csv';

jest.setTimeout(180_000);

const cli = bundledCli();
const dir = mkdtempSync(join(tmpdir(), 'cli-range-bytes-'));
afterAll(() => {
  closeDuckdb();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `csv2lake run` over `input` into `out`; the run's summary and its report.json. */
function runCli(input: string, out: string, ...extra: string[]) {
  const result = cli('run', '-i', input, '-o', out, '--json', ...extra);
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  const summary = JSON.parse(result.stdout) as {
    runId: string;
    reportPath: string;
    items: Record<string, number>;
  };
  const report = JSON.parse(readFileSync(summary.reportPath, 'utf8')) as {
    items: Record<string, number>;
    rows: number;
    files: { key: string; status: string; rows: number; parts?: { index: number; rows: number }[] }[];
  };
  return { summary, report, runFolder: join(out, '_runs', summary.runId) };
}

test('a file cut in 1 MiB ranges gives the outputs of one item, and is one file of the report', async () => {
  const input = join(dir, 'in');
  mkdirSync(input);
  // ~4 MB of mixed columns, quoted fields with commas and newlines, multi-byte text: cuts land anywhere.
  await generateCsv(join(input, 'orders.csv'), 16_000);
  const size = statSync(join(input, 'orders.csv')).size;
  const ranges = Math.ceil(size / MIN_RANGE_BYTES);
  expect(ranges).toBeGreaterThanOrEqual(3);

  const whole = runCli(input, join(dir, 'whole'));
  const split = runCli(input, join(dir, 'split'), '--range-bytes', String(MIN_RANGE_BYTES));

  // Planned as range items plus one join, converted once: one file in the report.
  const items = JSON.parse(readFileSync(join(split.runFolder, 'plan', 'items.json'), 'utf8')) as {
    Key: string;
    Range?: { index: number; count: number };
  }[];
  expect(items.map((i) => i.Range?.index)).toEqual([...Array(ranges).keys()]);
  expect(items.every((i) => i.Key === 'orders.csv' && i.Range?.count === ranges)).toBe(true);
  expect(JSON.parse(readFileSync(join(split.runFolder, 'plan', 'joins.json'), 'utf8'))).toHaveLength(1);
  expect(split.summary.items).toMatchObject({ total: 1, converted: 1, failed: 0 });
  expect(split.report.files.map((f) => [f.key, f.status, f.rows])).toEqual([
    ['orders.csv', 'converted', 16_000],
  ]);
  expect(split.report.rows).toBe(16_000);
  expect(whole.report.files.map((f) => [f.key, f.rows])).toEqual([['orders.csv', 16_000]]);
  // Its parts under it, in report.json and report.md; the one-item run has none.
  const parts = split.report.files[0]!.parts ?? [];
  expect(parts.map((p) => p.index)).toEqual([...Array(ranges).keys()]);
  expect(parts.reduce((sum, p) => sum + p.rows, 0)).toBe(16_000);
  expect(whole.report.files[0]).not.toHaveProperty('parts');
  const md = readFileSync(join(split.runFolder, 'report.md'), 'utf8');
  expect(md).toContain(`## Files converted in byte ranges`);
  expect(md).toContain(`### \`orders.csv\`: ${ranges} ranges, 16,000 rows,`);
  expect(md.match(/^\| \d+ \| [\d.]+ [KM]B \| [\d,]+ \| /gm)).toHaveLength(ranges);
  // The parts were joined and deleted (a folder store keeps the emptied folders, as S3 has none).
  const partsFolder = join(split.runFolder, 'ranges');
  const left = existsSync(partsFolder)
    ? readdirSync(partsFolder, { recursive: true, withFileTypes: true })
    : [];
  expect(left.filter((entry) => entry.isFile()).map((entry) => entry.name)).toEqual([]);

  const parquet = (out: string) => join(dir, out, 'parquet', 'orders', 'orders.parquet');
  const fromWhole = await readWithDuckDB(parquet('whole'));
  const fromSplit = await readWithDuckDB(parquet('split'));
  expect(fromSplit.rows).toHaveLength(16_000);
  expect(fromSplit.columns).toEqual(fromWhole.columns);
  expect(fromSplit.rows).toEqual(fromWhole.rows);

  const avro = (out: string) => readFileSync(join(dir, out, 'avro', 'orders', 'orders.avro'));
  const [avroWhole, avroSplit] = await Promise.all([decodeAvro(avro('whole')), decodeAvro(avro('split'))]);
  expect(avroSplit.schema).toEqual(avroWhole.schema);
  expect(avroSplit.rows).toHaveLength(16_000);
  expect(avroSplit.rows).toEqual(avroWhole.rows);
});

test('--range-bytes below the minimum is bad usage: exit 2, one line, nothing converted', () => {
  const out = join(dir, 'refused');
  const result = cli('run', '-i', join(dir, 'in'), '-o', out, '--range-bytes', String(MIN_RANGE_BYTES - 1));
  expect(result.code).toBe(2);
  expect(result.stderr.trim()).toMatch(/--range-bytes must be a whole number >= 1048576$/);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(existsSync(out)).toBe(false);
});
