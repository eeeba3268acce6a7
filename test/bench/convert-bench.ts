/*
 * npm run bench [-- --rows N | --gb 1] [--keep]
 *
 * Generates a deterministic mixed CSV (1,000,000 rows ≈ 230 MB by default), then converts it in the same
 * run with csv2lake (Parquet only, then Avro only) and with DuckDB single-threaded (COPY … TO parquet,
 * snappy), each in its own child process so that peak RSS is measured per conversion. Prints MB/s, the
 * ratio to DuckDB and peak RSS. It asserts nothing: the figures are for people to read.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateCsv } from './generate-csv';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const rows = flag('--gb')
  ? Math.round(Number(flag('--gb')) * 4_350_000)
  : Number(flag('--rows') ?? 1_000_000);
const runs = Number(flag('--runs') ?? 1);
const root = resolve(__dirname, '../..');
const node = process.execPath;

interface Measure {
  seconds: number;
  rssMB: number;
  outMB: number;
}

function csv2lake(input: string, out: string, format: 'parquet' | 'avro'): Measure {
  const started = process.hrtime.bigint();
  const result = spawnSync(
    node,
    [join(root, 'dist/csv2lake.cjs'), 'convert', input, '--out', out, '--format', format, '--json'],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    },
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`csv2lake failed: ${result.stderr}`);
  const summary = JSON.parse(result.stdout) as { peakRssBytes: number; bytesOut: Record<string, number> };
  return { seconds, rssMB: summary.peakRssBytes / 2 ** 20, outMB: (summary.bytesOut[format] ?? 0) / 2 ** 20 };
}

const DUCKDB_CHILD = `
const { DuckDBInstance } = require('@duckdb/node-api');
(async () => {
  const [input, output] = process.argv.slice(1);
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const c = await db.connect();
  const t = process.hrtime.bigint();
  await c.run("COPY (SELECT * FROM read_csv('" + input + "')) TO '" + output + "' (FORMAT parquet, COMPRESSION snappy)");
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  process.stdout.write(JSON.stringify({ seconds, rss: process.resourceUsage().maxRSS * 1024 }));
})().catch((e) => { console.error(e.message); process.exit(1); });
`;

function duckdb(input: string, output: string): Measure {
  const started = process.hrtime.bigint();
  const result = spawnSync(node, ['-e', DUCKDB_CHILD, input, output], { encoding: 'utf8', cwd: root });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`duckdb failed: ${result.stderr}`);
  const child = JSON.parse(result.stdout) as { seconds: number; rss: number };
  void child.seconds; // DuckDB's own COPY time; the wall time below includes its start-up, as csv2lake's does
  return { seconds: wall, rssMB: child.rss / 2 ** 20, outMB: statSync(output).size / 2 ** 20 };
}

async function main(): Promise<void> {
  if (!existsSync(join(root, 'dist/csv2lake.cjs')))
    execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), 'csv2lake-bench-'));
  const input = join(dir, 'bench.csv');
  process.stdout.write(`Generating ${rows.toLocaleString('en')} rows… `);
  const bytes = await generateCsv(input, rows);
  const mb = bytes / 1e6;
  process.stdout.write(`${mb.toFixed(1)} MB (${input})\n`);
  const best = (f: () => Measure): Measure => {
    let m = f();
    for (let i = 1; i < runs; i++) {
      const next = f();
      if (next.seconds < m.seconds) m = next;
    }
    return m;
  };
  const duck = best(() => duckdb(input, join(dir, 'duckdb.parquet')));
  const parquet = best(() => csv2lake(input, join(dir, 'out'), 'parquet'));
  const avro = best(() => csv2lake(input, join(dir, 'out'), 'avro'));
  const line = (name: string, m: Measure, target: string) =>
    `${name.padEnd(26)} ${m.seconds.toFixed(2).padStart(6)} s ${(mb / m.seconds).toFixed(1).padStart(7)} MB/s ` +
    `${(duck.seconds / m.seconds).toFixed(2).padStart(6)}x  ${m.rssMB.toFixed(0).padStart(5)} MB RSS ${m.outMB.toFixed(1).padStart(7)} MB out  ${target}`;
  const verdict = (m: Measure, ratio: number) =>
    `${duck.seconds / m.seconds >= ratio ? 'meets' : 'MISSES'} ≥${ratio}x; ${m.rssMB <= 256 ? 'meets' : 'MISSES'} ≤256 MB`;
  console.log(
    `\nnode ${process.version}, ${rows.toLocaleString('en')} rows, ${mb.toFixed(1)} MB of CSV; speed ratio = DuckDB time / time (best of ${runs})`,
  );
  console.log(line('DuckDB threads=1 → Parquet', duck, 'reference'));
  console.log(line('csv2lake → Parquet', parquet, verdict(parquet, 1.0)));
  console.log(line('csv2lake → Avro', avro, verdict(avro, 1.5)));
  if (!args.includes('--keep')) rmSync(dir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
