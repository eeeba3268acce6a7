/*
 * npm run bench [-- --rows N | --gb 1] [--runs N] [--only a,b] [--input file.csv] [--baseline dir] [--tsx] [--keep]
 *
 * Generates a deterministic mixed CSV (1,000,000 rows × 16 columns ≈ 255 MB by default; --gb 1 for
 * ≈ 1 GB; --input to convert a file of your own instead), then converts it with every tool at one and at
 * two threads, each conversion in a process of its own, interleaved (each round runs every tool once, so
 * load from other processes weighs on all alike), best of --runs per tool:
 * - DuckDB (COPY … TO parquet, threads=1 and 2), through @duckdb/node-api;
 * - pyarrow (`read_csv` + `write_table`) and polars (`scan_csv(try_parse_dates=True).sink_parquet()`, the
 *   same without `try_parse_dates`, and `write_avro`) from a Python venv (see peers.ts for where it is looked for; skipped, with a line saying how to install them,
 *   when there is none);
 * - csv2lake → Parquet and → Avro, on one thread (as a one-vCPU Lambda converts) and on two (with the
 *   writer thread, as the CLI converts).
 * All write snappy. Each child times its own conversion and reports its own peak RSS (maxRSS of the whole
 * process) and output size; the bench prints one table (MB/s = CSV MB (10^6) per second, × DuckDB 1t =
 * DuckDB single-thread time / this time), the load average before and after, and whether csv2lake meets
 * the targets of issue 15. Every Parquet output's column types are read back by DuckDB and compared with
 * csv2lake's: polars by default leaves ISO dates and timestamps as text (a cheaper, different conversion),
 * so only peers with csv2lake's kinds of column type count as "the fastest peer". It asserts nothing: the figures are for people to read. `--only` keeps the
 * tools whose key contains one of the words (keys: duckdb, pyarrow, polars, csv2lake-parquet,
 * csv2lake-avro). `--baseline <dir>` adds csv2lake as another checkout has it (e.g. `git archive <rev> | tar
 * -x -C dir`, with `node_modules` linked), interleaved with this one: a before and after from one run.
 *
 * The csv2lake child calls convertFile as the CLI does. It is this very file, bundled fresh by esbuild on
 * every run (never a stale dist/), because running it through tsx adds ≈ 40 MB of loader to the child's
 * RSS (90 MB vs 49 MB measured for an idle child) and RSS is one of the targets. `--tsx` runs the child
 * through tsx instead (same code, more RSS).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { convertFile } from '../../lambdas/io/convert-file';
import { generateCsv } from './generate-csv';
import {
  cpuSince,
  findPython,
  printTable,
  spawnChild,
  typeDifferences,
  type BenchRow,
  type ChildReport,
} from './peers';

const root = resolve(__dirname, '../..');
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};

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

/** Child mode: convert with DuckDB on `threads` threads and report as {@link csv2lakeChild} does. */
async function duckdbChild(input: string, output: string, threads: string) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:', { threads });
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

/**
 * Each Parquet output's columns (name → DuckDB type), read by DuckDB; a folder is read as all its Parquet
 * files.
 */
async function parquetColumns(paths: readonly string[]): Promise<Map<string, Map<string, string>>> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  const columns = new Map<string, Map<string, string>>();
  for (const path of paths) {
    const files = statSync(path).isDirectory() ? join(path, '*.parquet') : path;
    const reader = await connection.runAndReadAll(
      `DESCRIBE SELECT * FROM read_parquet('${files.replaceAll("'", "''")}')`,
    );
    const rows = reader.getRowObjectsJson() as { column_name: string; column_type: string }[];
    columns.set(path, new Map(rows.map((r) => [r.column_name, r.column_type])));
  }
  return columns;
}

/**
 * A fresh bundle of a checkout's bench script (child mode, the same in earlier checkouts) and of its writer
 * thread; returns the worker's path.
 */
function bundle(checkout: string): string {
  // Inside the checkout, so that the external packages (DuckDB, snappy) resolve from its node_modules.
  const bundles = join(checkout, 'dist/bench');
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
    { cwd: checkout },
  );
  return join(bundles, 'writer-worker.cjs');
}

async function main(): Promise<void> {
  const rows = flag('--gb')
    ? Math.round(Number(flag('--gb')) * 4_350_000)
    : Number(flag('--rows') ?? 1_000_000);
  const runs = Number(flag('--runs') ?? 1);
  const only = flag('--only')?.split(',');
  const dir = mkdtempSync(join(tmpdir(), 'csv2lake-bench-'));
  try {
    const worker = bundle(root);
    const baseline = flag('--baseline') && resolve(flag('--baseline')!);
    const baselineWorker = baseline && bundle(baseline);
    const self = args.includes('--tsx')
      ? [join(root, 'node_modules/.bin/tsx'), join(root, 'test/bench/convert-bench.ts')]
      : [process.execPath, join(root, 'dist/bench/convert-bench.cjs')];
    const node = (...childArgs: string[]) => spawnChild(root, self[0]!, [...self.slice(1), ...childArgs]);

    let input = flag('--input');
    let expectRows: number | undefined = rows;
    if (input) {
      expectRows = undefined;
    } else {
      input = join(dir, 'bench.csv');
      process.stdout.write(`Generating ${rows.toLocaleString('en')} rows… `);
      await generateCsv(input, rows);
    }
    const mb = statSync(input).size / 1e6;
    console.log(`${mb.toFixed(1)} MB of CSV (${input})`);

    const out = (name: string) => join(dir, name);
    const python = findPython(root);
    const peer = (tool: string, threads: number, file: string) => () =>
      spawnChild(root, python!.path, [
        join(root, 'test/bench/peer-convert.py'),
        tool,
        String(threads),
        input!,
        out(file),
      ]);
    const c2l = (format: 'parquet' | 'avro', threads: number) => () =>
      node('--csv2lake-child', input!, out(`c2l-${threads}`), format, threads > 1 ? worker : '');
    const before = (format: 'parquet' | 'avro', threads: number) => () =>
      spawnChild(root, process.execPath, [
        join(baseline!, 'dist/bench/convert-bench.cjs'),
        '--csv2lake-child',
        input!,
        out(`base-${threads}`),
        format,
        threads > 1 ? baselineWorker! : '',
      ]);
    const table: BenchRow[] = [];
    for (const threads of [1, 2]) {
      table.push({
        key: 'duckdb',
        tool: 'DuckDB → Parquet',
        threads,
        run: () => node('--duckdb-child', input!, out('duck.parquet'), String(threads)),
        output: out('duck.parquet'),
      });
      if (python) {
        table.push({
          key: 'pyarrow',
          tool: `pyarrow ${python.pyarrow} read_csv + write_table`,
          threads,
          run: peer('pyarrow-parquet', threads, 'pa.parquet'),
          output: out('pa.parquet'),
        });
        table.push({
          key: 'polars',
          tool: `polars ${python.polars} scan_csv(try_parse_dates=True).sink_parquet()`,
          threads,
          run: peer('polars-parquet', threads, 'pl.parquet'),
          output: out('pl.parquet'),
        });
        table.push({
          key: 'polars-text',
          tool: 'polars scan_csv().sink_parquet() (dates left as text)',
          threads,
          run: peer('polars-parquet-text', threads, 'pl-text.parquet'),
          output: out('pl-text.parquet'),
        });
        table.push({
          key: 'polars-avro',
          tool: 'polars read_csv().write_avro()',
          threads,
          run: peer('polars-avro', threads, 'pl.avro'),
        });
      }
      if (baseline) {
        table.push({
          key: 'csv2lake-parquet-baseline',
          tool: 'csv2lake → Parquet (baseline)',
          threads,
          run: before('parquet', threads),
          output: out(`base-${threads}`),
        });
        table.push({
          key: 'csv2lake-avro-baseline',
          tool: 'csv2lake → Avro (baseline)',
          threads,
          run: before('avro', threads),
        });
      }
      table.push({
        key: 'csv2lake-parquet',
        tool: '**csv2lake → Parquet**',
        threads,
        run: c2l('parquet', threads),
        output: out(`c2l-${threads}`),
      });
      table.push({ key: 'csv2lake-avro', tool: '**csv2lake → Avro**', threads, run: c2l('avro', threads) });
    }
    const chosen = table.filter((r) => r.key === 'duckdb' || !only || only.some((w) => r.key.includes(w)));
    if (!python)
      console.log(
        'pyarrow and polars skipped: no Python with both found (set CSV2LAKE_BENCH_PYTHON to a python, or ' +
          '`python3 -m venv v && v/bin/pip install pyarrow polars` in the repository or beside it)',
      );
    const loadBefore = loadavg();
    for (let run = 0; run < runs; run++) {
      for (const row of chosen) {
        try {
          const m = row.run();
          if (!row.best || m.seconds < row.best.seconds) row.best = m;
        } catch (error) {
          // A peer that fails (a version that cannot read this CSV…) is reported, not fatal.
          row.failure ??=
            String(error)
              .split('\n')
              .filter((l) => /error|invalid/iu.test(l))
              .pop() ?? String(error);
        }
      }
    }
    // Rows whose last run failed left no output, or another run's: only rows with a best run are read.
    const compared = chosen.filter((r) => r.best && r.output);
    const columns = await parquetColumns(compared.map((r) => r.output!));
    const reference = compared.find((r) => r.key === 'csv2lake-parquet');
    if (reference)
      for (const row of compared)
        row.typeDifferences = typeDifferences(columns.get(reference.output!)!, columns.get(row.output!)!);
    const loads = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
    console.log(
      `\nnode ${process.version}, ${expectRows === undefined ? input : `${expectRows.toLocaleString('en')} rows`}, ${mb.toFixed(1)} MB of CSV, ` +
        `best of ${runs}, interleaved; load average ${loads(loadBefore)} before, ${loads(loadavg())} after\n`,
    );
    printTable(chosen, mb, expectRows);
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
      ? duckdbChild(args[1]!, args[2]!, args[3] ?? '1')
      : main();
done.catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
