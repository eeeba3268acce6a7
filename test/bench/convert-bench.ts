/*
 * npm run bench [-- --rows N | --gb 1] [--runs N] [--tsx] [--keep]
 *
 * Generates a deterministic mixed CSV (1,000,000 rows ≈ 230 MB by default; --gb 1 for ≈ 1 GB), then
 * converts it in the same run with csv2lake (Parquet only, then Avro only) and with DuckDB single-threaded
 * (COPY … TO parquet, snappy). Each conversion runs in its own child process, which times the conversion
 * itself and reports its own peak RSS (process.resourceUsage().maxRSS), so memory is measured per
 * conversion. Prints MB/s, the ratio to DuckDB, peak RSS, CPU seconds and whether the targets are met,
 * for csv2lake as the CLI runs it (a second thread) and on one thread (as a one-vCPU Lambda converts). It
 * asserts nothing: the figures are for people to read. Other load on the machine weighs on csv2lake's two
 * threads more than on DuckDB's one: compare figures taken on a quiet machine (the load average is printed).
 *
 * The csv2lake child calls convertFile with the writer thread, as the CLI does. It is this very file,
 * bundled fresh by esbuild on every run (never a stale dist/), because running it through tsx adds
 * ≈ 40 MB of loader to the child's RSS (90 MB vs 49 MB measured for an idle child) and RSS is one of the
 * targets. `--tsx` runs the child through tsx instead (same code, more RSS).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { convertFile } from '../../lambdas/io/convert-file';
import { generateCsv } from './generate-csv';

const root = resolve(__dirname, '../..');
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};

/** What a child reports about its one conversion. */
interface ChildReport {
  seconds: number;
  /** CPU seconds (user + system, every thread) spent in the conversion. */
  cpuSeconds: number;
  rssBytes: number;
  outBytes: number;
  rows: number;
}

/** A conversion as measured from the parent. */
interface Measure extends ChildReport {
  wallSeconds: number;
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/** Child mode: convert with csv2lake and report time, RSS and output size on stdout. */
async function csv2lakeChild(input: string, out: string, format: 'parquet' | 'avro', worker: string) {
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const result = await convertFile(input, out, {
    formats: [format],
    ...(worker ? { writerWorkerPath: worker } : {}),
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const report: ChildReport = {
    seconds,
    cpuSeconds: cpuSince(cpu),
    rssBytes: process.resourceUsage().maxRSS * 1024,
    outBytes: result.bytesOut[format] ?? 0,
    rows: result.rows,
  };
  process.stdout.write(JSON.stringify(report));
}

/** Child mode: convert with DuckDB (threads=1) and report time, RSS and output size on stdout. */
async function duckdbChild(input: string, output: string) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await db.connect();
  const q = (s: string) => `'${s.replaceAll("'", "''")}'`;
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  await connection.run(
    `COPY (SELECT * FROM read_csv(${q(input)})) TO ${q(output)} (FORMAT parquet, COMPRESSION snappy)`,
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuSeconds = cpuSince(cpu);
  const rssBytes = process.resourceUsage().maxRSS * 1024;
  const count = await connection.runAndReadAll(
    `SELECT count(*)::INTEGER AS n FROM read_parquet(${q(output)})`,
  );
  const report: ChildReport = {
    seconds,
    cpuSeconds,
    rssBytes,
    outBytes: statSync(output).size,
    rows: Number(count.getRowObjectsJson()[0]!.n),
  };
  process.stdout.write(JSON.stringify(report));
}

function spawnChild(command: string, childArgs: string[]): Measure {
  const env = {
    ...process.env,
    PATH: [dirname(process.execPath), join(root, 'node_modules/.bin'), process.env.PATH].join(delimiter),
  };
  const started = process.hrtime.bigint();
  const result = spawnSync(command, childArgs, { cwd: root, encoding: 'utf8', env, maxBuffer: 1 << 24 });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`child ${childArgs.join(' ')} failed: ${result.stderr}`);
  return { ...(JSON.parse(result.stdout) as ChildReport), wallSeconds };
}

async function main(): Promise<void> {
  const rows = flag('--gb')
    ? Math.round(Number(flag('--gb')) * 4_350_000)
    : Number(flag('--rows') ?? 1_000_000);
  const runs = Number(flag('--runs') ?? 1);
  const dir = mkdtempSync(join(tmpdir(), 'csv2lake-bench-'));
  try {
    // A fresh bundle of this script (child mode) and of the writer thread, side by side, inside the
    // repository so that the external packages (DuckDB, snappy) resolve from its node_modules.
    const bundles = join(root, 'dist/bench');
    execFileSync(
      join(root, 'node_modules/.bin/esbuild'),
      [
        'test/bench/convert-bench.ts',
        'lambdas/core/writer-worker.ts',
        '--bundle',
        '--platform=node',
        '--target=node22',
        '--packages=external',
        `--outdir=${bundles}`,
        '--entry-names=[name]',
        '--out-extension:.js=.cjs',
        '--log-level=warning',
      ],
      { cwd: root },
    );
    const worker = join(bundles, 'writer-worker.cjs');
    const self = args.includes('--tsx')
      ? { command: join(root, 'node_modules/.bin/tsx'), script: [join(root, 'test/bench/convert-bench.ts')] }
      : { command: process.execPath, script: [join(bundles, 'convert-bench.cjs')] };
    const child = (...childArgs: string[]) => spawnChild(self.command, [...self.script, ...childArgs]);

    const input = join(dir, 'bench.csv');
    process.stdout.write(`Generating ${rows.toLocaleString('en')} rows… `);
    const bytes = await generateCsv(input, rows);
    const mb = bytes / 1e6;
    process.stdout.write(`${mb.toFixed(1)} MB (${input})\n`);

    // Interleaved runs, so that load from other processes weighs on all three alike; best of each.
    const best: Partial<Record<'duck' | 'parquet' | 'avro' | 'parquet1' | 'avro1', Measure>> = {};
    const keep = (key: keyof typeof best, m: Measure) => {
      if (!best[key] || m.seconds < best[key].seconds) best[key] = m;
    };
    for (let run = 0; run < runs; run++) {
      keep('duck', child('--duckdb-child', input, join(dir, 'duckdb.parquet')));
      keep('parquet', child('--csv2lake-child', input, join(dir, 'out'), 'parquet', worker));
      keep('avro', child('--csv2lake-child', input, join(dir, 'out'), 'avro', worker));
      // No second thread, as a one-vCPU Lambda converts.
      keep('parquet1', child('--csv2lake-child', input, join(dir, 'out'), 'parquet', ''));
      keep('avro1', child('--csv2lake-child', input, join(dir, 'out'), 'avro', ''));
    }
    const duck = best.duck!;
    const line = (name: string, m: Measure, verdict: string) =>
      `${name.padEnd(27)} ${m.seconds.toFixed(2).padStart(6)} s ${(mb / m.seconds).toFixed(1).padStart(6)} MB/s ` +
      `${(duck.seconds / m.seconds).toFixed(2).padStart(5)}x ${(m.rssBytes / 2 ** 20).toFixed(0).padStart(5)} MB RSS ` +
      `${(m.outBytes / 2 ** 20).toFixed(1).padStart(6)} MB out ${m.cpuSeconds.toFixed(2).padStart(6)} s CPU ` +
      `${m.rows === rows ? '' : `ROWS ${m.rows} ≠ ${rows} `}${verdict}`;
    const verdict = (m: Measure, ratio: number) =>
      `speed ${duck.seconds / m.seconds >= ratio ? 'meets' : 'MISSES'} ≥${ratio}x, ` +
      `RSS ${m.rssBytes <= 256 * 2 ** 20 ? 'meets' : 'MISSES'} ≤256 MB`;
    console.log(
      `\nnode ${process.version}, ${rows.toLocaleString('en')} rows, ${mb.toFixed(1)} MB of CSV, best of ${runs}; ` +
        `s = conversion time inside the child, ratio = DuckDB's time / this time, MB/s = CSV MB (10^6) per s, ` +
        `CPU = user + system seconds of every thread; load average ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
    );
    console.log(line('DuckDB threads=1 → Parquet', duck, 'reference'));
    console.log(line('csv2lake → Parquet (snappy)', best.parquet!, verdict(best.parquet!, 1.0)));
    console.log(line('csv2lake → Avro (snappy)', best.avro!, verdict(best.avro!, 1.5)));
    console.log(line('  Parquet, one thread', best.parquet1!, verdict(best.parquet1!, 1.0)));
    console.log(line('  Avro, one thread', best.avro1!, verdict(best.avro1!, 1.5)));
  } finally {
    if (!args.includes('--keep')) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  }
}

const mode = args[0];
const done =
  mode === '--csv2lake-child'
    ? csv2lakeChild(args[1]!, args[2]!, args[3] as 'parquet' | 'avro', args[4] ?? '')
    : mode === '--duckdb-child'
      ? duckdbChild(args[1]!, args[2]!)
      : main();
done.catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
