/*
 * npm run bench:reliability [-- --only files,hostile,gb,reduce] [--files N] [--columns N] [--gb N]
 *   [--records N] [--reducer <module>]
 *
 * The reliability cases that take minutes, as figures (items, time, peak RSS); asserts nothing.
 * - files: N small CSVs (default 10,000) on fauxqs (loopback, in this process), one `csv2lake run` of the
 *   whole workflow (the bundled CLI in its own process: runner, converter threads, reducer), then the
 *   reducer alone again over the same run, in this process; prints whether the report accounts for every
 *   key exactly once.
 * - hostile: full-size hostile CSV, each converted in its own process: a 100 MB field (refused at the 16 MiB
 *   field limit), a 16 MB field (just under it), N columns (default 50,000: refused past the 4,096-column
 *   limit), 4,096 columns over 247 MB (the widest accepted, long), a million tiny rows, a quote never closed
 *   before 100 MB (refused at the field limit), a million rows of quote soup, NUL bytes, mixed line endings.
 * - gb: a ~N GB mixed CSV (default 2) converted to Parquet and Avro in its own process.
 * - reduce: the reducer alone over a synthetic run of N keys (default 100,000; two records each, the first
 *   map's result files with an entry per child; see synthetic-run.ts), in its own process with a 900 MB
 *   heap (as in a 1,024 MB function): `Reduce` with the map's results, then the execution-status rule's
 *   reducer (no map results: it finds them, and reads the earlier report back). Prints time, CPU, peak RSS
 *   and whether the report's items are those of the run. `--reducer <path of a reduce.ts>` measures another
 *   version of the reducer (e.g. an older commit's, checked out elsewhere).
 * Peak RSS is the process's maxRSS (Node included).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import * as hostile from '../reliability/hostile-csv';
import { startS3Server } from '../support/s3-server';
import { generateCsv } from './generate-csv';
import { expectedItems, SyntheticRunStore } from './synthetic-run';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const only = (args[args.indexOf('--only') + 1] ?? '').split(',').filter(Boolean);
const wanted = (part: string) => args.indexOf('--only') < 0 || only.includes(part);
const root = resolve(__dirname, '../..');
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

async function files(count: number): Promise<void> {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  // Imported now: the handlers' logger reads the settings above when its module loads.
  const { createReduceHandler } = await import('../../lambdas/handlers/reduce');
  process.env.AWS_ACCESS_KEY_ID = 'bench';
  process.env.AWS_SECRET_ACCESS_KEY = 'bench';
  process.env.AWS_REGION ??= 'us-east-1';
  const server = await startS3Server();
  try {
    await server.createBucket('bench-in');
    await server.createBucket('bench-out');
    const s3 = server.client();
    const keys = Array.from({ length: count }, (_, i) => `in/${String(i % 100).padStart(2, '0')}/f-${i}.csv`);
    const t0 = Date.now();
    for (let at = 0; at < keys.length; at += 64)
      await Promise.all(
        keys.slice(at, at + 64).map((Key, j) =>
          s3.send(
            new PutObjectCommand({
              Bucket: 'bench-in',
              Key,
              Body: `id,label\n${at + j},"file ${at + j}"\n`,
            }),
          ),
        ),
      );
    console.log(`files: ${count} uploaded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // The run as a user starts it: the bundled CLI in its own process (its converter threads included),
    // so that its peak RSS is the runner's, not this process's with the S3 server's objects in it.
    spawnSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
    const timeFile = join(mkdtempSync(join(tmpdir(), 'rel-files-')), 'time');
    const t1 = Date.now();
    const cli = spawnSync(
      '/usr/bin/time',
      [
        '-o',
        timeFile,
        '-f',
        '%M',
        process.execPath,
        join(root, 'dist/csv2lake.cjs'),
        'run',
        '--input',
        's3://bench-in/in/',
        '--output',
        's3://bench-out/',
        '--endpoint',
        server.endpoint,
        '--concurrency',
        '16',
        '--json',
      ],
      { encoding: 'utf8', cwd: root, maxBuffer: 1 << 26 },
    );
    const runSeconds = (Date.now() - t1) / 1000;
    const result = JSON.parse(cli.stdout || '{}') as {
      runId: string;
      status?: string;
      items?: unknown;
      error?: { name: string; message: string };
    };
    const runnerRssMb = Math.round(Number(readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)) / 1024);
    console.log(
      `files: run ${result.status} items ${JSON.stringify(result.items)} in ${runSeconds.toFixed(1)} s ` +
        `(${(count / runSeconds).toFixed(0)} files/s), runner process peak RSS ${runnerRssMb} MB` +
        (result.error ? `; error ${result.error.name}: ${result.error.message.slice(0, 300)}` : '') +
        (cli.status === 0 ? '' : `; exit ${cli.status}: ${cli.stderr.slice(0, 300)}`),
    );
    const report = JSON.parse(
      await (
        await s3.send(new GetObjectCommand({ Bucket: 'bench-out', Key: `_runs/${result.runId}/report.json` }))
      ).Body!.transformToString(),
    ) as { files: { key: string }[]; ignoredKeys: string[] };
    const reported = [...report.files.map((f) => f.key), ...report.ignoredKeys].sort();
    const once = reported.length === keys.length && new Set(reported).size === keys.length;
    const same = once && [...keys].sort().every((k, i) => k === reported[i]);
    console.log(`files: report accounts for every key exactly once: ${same ? 'yes' : 'NO'}`);

    // The reducer alone over the finished run (it reads every record and the map's result files).
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    const sampler = setInterval(() => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)), 20);
    const t2 = Date.now();
    const reduce = createReduceHandler({
      env: {
        CSV2LAKE_S3_ENDPOINT: server.endpoint,
        CSV2LAKE_DEFAULT_RUN: JSON.stringify({
          inputBucket: 'bench-in',
          inputPrefix: 'in/',
          outputBucket: 'bench-out',
          outputPrefixes: { parquet: 'parquet/', avro: 'avro/' },
        }),
      },
    });
    const reduced = await reduce({
      detail: { name: result.runId, status: 'SUCCEEDED', input: '{}' },
    });
    clearInterval(sampler);
    console.log(
      `files: reducer alone ${((Date.now() - t2) / 1000).toFixed(1)} s over ${reduced.items.total} items, ` +
        `heap growth at peak ${mb(heapPeak - heapBefore)}`,
    );
  } finally {
    await server.stop();
  }
}

/** Converts a file in its own process (the reliability tests' child) and prints the outcome. */
function convertInChild(name: string, input: string): void {
  const out = `${input}.out`;
  const t = Date.now();
  const child = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules/tsx/dist/cli.mjs'),
      join(root, 'test/reliability/fixtures/convert-file-child.ts'),
      JSON.stringify({ input, out }),
    ],
    { encoding: 'utf8', timeout: 30 * 60_000 },
  );
  const outcome =
    child.stdout.trim() || `(no outcome: ${child.signal ?? child.status} ${child.stderr.slice(0, 300)})`;
  console.log(
    `${name}: ${mb(statSync(input).size)} in ${((Date.now() - t) / 1000).toFixed(1)} s: ${outcome}`,
  );
  rmSync(out, { recursive: true, force: true });
  rmSync(input, { force: true });
}

async function hostileCases(columns: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'csv2lake-rel-bench-'));
  const cases: [string, (path: string) => Promise<number>][] = [
    ['100 MB field', (p) => hostile.singleField(p, 100_000_000)],
    ['16 MB field', (p) => hostile.singleField(p, 16_000_000)],
    [`${columns} columns`, (p) => hostile.wideColumns(p, columns, 3)],
    ['4,096 columns x 7,000 rows', (p) => hostile.wideColumns(p, 4096, 7000)],
    ['1M tiny rows', (p) => hostile.tinyRows(p, 1_000_000)],
    ['unclosed quote before 100 MB', (p) => hostile.unclosedQuote(p, 100_000_000)],
    ['1M rows of quote soup', (p) => hostile.quoteSoup(p, 1_000_000)],
    ['NUL bytes', (p) => hostile.nulBytes(p)],
    ['mixed line endings', (p) => hostile.mixedLineEndings(p)],
  ];
  for (const [name, generate] of cases) {
    const input = join(dir, 'input.csv');
    await generate(input);
    convertInChild(name, input);
  }
  rmSync(dir, { recursive: true, force: true });
}

async function gigabytes(gb: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'csv2lake-rel-bench-'));
  const input = join(dir, 'input.csv');
  const t = Date.now();
  // ≈255 bytes a row (see generate-csv).
  await generateCsv(input, Math.round((gb * 1e9) / 255));
  console.log(`gb: generated ${mb(statSync(input).size)} in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  convertInChild(`${gb} GB mixed CSV`, input);
  rmSync(dir, { recursive: true, force: true });
}

/** The child of the reduce part: one reduction over the synthetic run, its figures as one JSON line. */
async function reduceChild(options: { count: number; dir: string; mode: 'state' | 'rule'; reducer: string }) {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const { createReduceHandler } = (await import(
    options.reducer
  )) as typeof import('../../lambdas/handlers/reduce');
  const run = {
    runId: 'bench-run',
    inputBucket: 'in',
    inputPrefix: 'landing/',
    outputBucket: 'out',
    outputPrefixes: { parquet: 'parquet/', avro: 'avro/' },
  };
  const store = new SyntheticRunStore(run, options.count, options.dir);
  const { runId: _id, ...defaults } = run;
  const reduce = createReduceHandler({ store, env: { CSV2LAKE_DEFAULT_RUN: JSON.stringify(defaults) } });
  const baseRssMb = process.memoryUsage().rss / 1e6;
  const cpu = process.cpuUsage();
  const t = performance.now();
  const result =
    options.mode === 'state'
      ? await reduce({ run, mapResults: [store.mapResult()], final: 'ifNoneFailed' })
      : await reduce({ detail: { name: run.runId, status: 'FAILED', input: '{}' } });
  const seconds = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  const expected = expectedItems(options.count);
  const items = result.items as Record<string, number>;
  console.log(
    JSON.stringify({
      seconds,
      cpuSeconds: (used.user + used.system) / 1e6,
      baseRssMb,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      items,
      right: Object.entries(expected).every(([k, v]) => items[k] === undefined || items[k] === v),
      reportMb: store.size(`_runs/${run.runId}/report.json`) / 1e6,
    }),
  );
}

async function reducer(count: number, module: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'csv2lake-reduce-bench-'));
  console.log(`reduce: ${count} keys, ${expectedItemsLine(count)}; reducer ${module}`);
  for (const mode of ['state', 'rule'] as const) {
    const started = Date.now();
    const child = spawnSync(
      process.execPath,
      [
        join(root, 'node_modules/tsx/dist/cli.mjs'),
        __filename,
        '--reduce-child',
        JSON.stringify({ count, dir, mode, reducer: module }),
      ],
      {
        encoding: 'utf8',
        timeout: 60 * 60_000,
        env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=900' },
        maxBuffer: 1 << 24,
      },
    );
    const line = child.stdout.trim().split('\n').at(-1) ?? '';
    let figures: Record<string, unknown> | undefined;
    try {
      figures = JSON.parse(line) as Record<string, unknown>;
    } catch {
      figures = undefined;
    }
    const label = mode === 'state' ? 'Reduce (map results given)' : "rule's reducer (finds them, merges)";
    if (!figures) {
      const fatal = child.stderr.split('\n').find((l) => /FATAL|Error/.test(l)) ?? child.stderr.slice(-300);
      console.log(
        `reduce: ${label}: failed after ${((Date.now() - started) / 1000).toFixed(1)} s ` +
          `(${child.signal ?? child.status}): ${fatal.trim()}`,
      );
      continue;
    }
    const n = (key: string, digits = 1) => Number(figures![key]).toFixed(digits);
    console.log(
      `reduce: ${label}: ${n('seconds')} s, CPU ${n('cpuSeconds')} s, peak RSS ${n('peakRssMb', 0)} MB ` +
        `(${n('baseRssMb', 0)} MB before reducing), report.json ${n('reportMb')} MB, items ` +
        `${JSON.stringify(figures.items)} ${figures.right ? 'as the run' : 'NOT as the run'}`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
}

function expectedItemsLine(count: number): string {
  return Object.entries(expectedItems(count))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

async function main(): Promise<void> {
  const child = args.indexOf('--reduce-child');
  if (child >= 0) return reduceChild(JSON.parse(args[child + 1]!));
  if (wanted('reduce'))
    await reducer(
      flag('--records', 100_000),
      args.includes('--reducer')
        ? resolve(args[args.indexOf('--reducer') + 1]!)
        : join(root, 'lambdas/handlers/reduce.ts'),
    );
  if (wanted('files')) await files(flag('--files', 10_000));
  if (wanted('hostile')) await hostileCases(flag('--columns', 50_000));
  if (wanted('gb')) await gigabytes(flag('--gb', 2));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
