/*
 * One large CSV through `csv2lake run` (issue 16): converted as ONE item against the same file planned as N
 * byte-range items converted on the runner's converter threads and joined into one output per format.
 *
 *   npx tsx test/bench/range-items.ts [--gb 2] [--ranges 4,8] [--runs 2] [--format both|parquet|avro] [--keep]
 *
 * The CSV (generate-csv.ts, ~255 bytes a row) is cached under os.tmpdir() and reused by a later invocation
 * with the same --gb; it is deleted at the end unless --keep. The CLI is bundled once (the working tree as it
 * is then), and every run is its own process, the configurations interleaved (one item, N₁, N₂, one item, …),
 * each into a fresh output folder deleted after it, after one warm-up run per configuration over a one-row
 * file (which synthesizes and caches the stack). Per run it prints:
 * - wall seconds, CPU seconds (user + sys, every thread) and peak RSS of the whole process (/usr/bin/time);
 * - per converter thread (a probe preloaded with --require into every thread of the process samples each
 *   isolate every 200 ms): its CPU seconds (`process.threadCpuUsage`) and its peak own memory, the JS heap
 *   plus external memory (Buffers, ArrayBuffers) of its isolate. Threads share one address space, so no
 *   per-thread RSS exists; that is the memory a thread holds. Samples miss spikes shorter than 200 ms and
 *   the last 200 ms of a thread's CPU;
 * - rows, output bytes per format (report.json), the items planned, and the load average before and after.
 * Then the best and median of each configuration. Asserts nothing.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { formatBytes } from '../../lambdas/shared/units';
import { generateCsv } from './generate-csv';
import { bundleCliFolder } from '../support/cli-bundle';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1]! : fallback;
};
const root = resolve(__dirname, '../..');
const TIME = '/usr/bin/time';
/** Bytes a row of generate-csv.ts takes on average. */
const ROW_BYTES = 255;

/**
 * Preloaded into every thread of the CLI's process (`--require` reaches worker threads too): samples the
 * thread's CPU time and its isolate's memory, and writes its peaks to a file of its own.
 */
const THREAD_PROBE = `
const { isMainThread, threadId, workerData } = require('node:worker_threads');
const { writeFileSync } = require('node:fs');
const dir = process.env.CSV2LAKE_BENCH_PROBE_DIR;
if (dir) {
  const role = isMainThread ? 'main' : workerData && workerData.input && workerData.output ? 'converter' : 'other';
  let peak = 0;
  const tick = () => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.heapTotal + m.external);
    const cpu = process.threadCpuUsage();
    writeFileSync(dir + '/' + threadId + '.json', JSON.stringify({ threadId, role, peak, cpu: (cpu.user + cpu.system) / 1e6 }));
  };
  setInterval(tick, 200).unref();
  process.on('exit', tick);
}
`;

interface ThreadFigures {
  threadId: number;
  role: 'main' | 'converter' | 'other';
  /** Peak JS heap + external bytes of the thread's isolate. */
  peak: number;
  /** CPU seconds of the thread. */
  cpu: number;
}

interface RunFigures {
  label: string;
  wall: number;
  cpu: number;
  rssBytes: number;
  rows: number;
  items: number;
  bytesOut: Record<string, number>;
  threads: ThreadFigures[];
  load: [number, number];
}

/** The CSV of `gb` GB, generated once and cached under os.tmpdir() (reused while its size is the one noted). */
async function cachedCsv(gb: number): Promise<{ dir: string; path: string; size: number; reused: boolean }> {
  const dir = join(tmpdir(), 'csv2lake-range-items-bench', `${gb}GB`);
  const input = join(dir, 'in');
  const path = join(input, 'range-items.csv');
  const note = join(dir, 'size');
  if (existsSync(path) && existsSync(note) && statSync(path).size === Number(readFileSync(note, 'utf8')))
    return { dir, path, size: statSync(path).size, reused: true };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(input, { recursive: true });
  await generateCsv(path, Math.round((gb * 1e9) / ROW_BYTES));
  const size = statSync(path).size;
  writeFileSync(note, String(size));
  return { dir, path, size, reused: false };
}

/** One `csv2lake run` of the input folder into a fresh output folder, measured. */
async function runOnce(
  label: string,
  bundle: string,
  input: string,
  work: string,
  extra: string[],
): Promise<RunFigures> {
  const out = mkdtempSync(join(work, 'out-'));
  const probeDir = mkdtempSync(join(work, 'probe-'));
  const probe = join(probeDir, 'probe.cjs');
  writeFileSync(probe, THREAD_PROBE);
  const timeFile = join(probeDir, 'time');
  const argv = [join(bundle, 'csv2lake.cjs'), 'run', '-i', input, '-o', out, '--json', ...extra];
  const loadBefore = loadavg()[0]!;
  const started = process.hrtime.bigint();
  const child = spawn(TIME, ['-o', timeFile, '-f', '%U %S %M', process.execPath, ...argv], {
    cwd: root,
    env: {
      ...process.env,
      NODE_PATH: join(root, 'node_modules'),
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${probe}`.trim(),
      CSV2LAKE_BENCH_PROBE_DIR: probeDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  try {
    const summary = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
      status?: string;
      reportPath?: string;
    };
    if (code !== 0 || summary.status !== 'SUCCEEDED' || !summary.reportPath)
      throw new Error(`${label}: csv2lake run exited ${code}: ${stdout.slice(-500)} ${stderr.slice(-2000)}`);
    const [user, sys, maxKb] = readFileSync(timeFile, 'utf8')
      .trim()
      .split('\n')
      .pop()!
      .split(/\s+/)
      .map(Number);
    const report = JSON.parse(readFileSync(summary.reportPath, 'utf8')) as {
      rows: number;
      bytesOut: Record<string, number>;
    };
    const items = (
      JSON.parse(readFileSync(join(summary.reportPath, '..', 'plan', 'items.json'), 'utf8')) as unknown[]
    ).length;
    const threads = readdirSync(probeDir)
      .filter((name) => /^\d+\.json$/.test(name))
      .map((name) => JSON.parse(readFileSync(join(probeDir, name), 'utf8')) as ThreadFigures)
      .sort((a, b) => a.threadId - b.threadId);
    return {
      label,
      wall,
      cpu: user! + sys!,
      rssBytes: maxKb! * 1024,
      rows: report.rows,
      items,
      bytesOut: report.bytesOut,
      threads,
      load: [loadBefore, loadavg()[0]!],
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
    rmSync(probeDir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function line(r: RunFigures): string {
  const converters = r.threads.filter((t) => t.role === 'converter');
  const threadText = converters
    .map((t) => `t${t.threadId} ${t.cpu.toFixed(1)} s / ${formatBytes(t.peak)}`)
    .join(', ');
  const main = r.threads.find((t) => t.role === 'main');
  return (
    `| ${r.label} | ${r.items} | ${r.wall.toFixed(1)} | ${r.cpu.toFixed(1)} | ${formatBytes(r.rssBytes)} | ` +
    `${threadText || '—'} | ${main ? `${main.cpu.toFixed(1)} s / ${formatBytes(main.peak)}` : '—'} | ` +
    `${r.rows.toLocaleString('en-US')} | ${Object.entries(r.bytesOut)
      .map(([f, n]) => `${f} ${formatBytes(n)}`)
      .join(', ')} | ${r.load[0].toFixed(2)} → ${r.load[1].toFixed(2)} |`
  );
}

async function main(): Promise<void> {
  const gb = Number(option('gb', '2'));
  const runs = Number(option('runs', '2'));
  const ranges = option('ranges', '4,8').split(',').map(Number);
  const format = option('format', 'both');
  const keep = args.includes('--keep');
  if (!existsSync(TIME)) throw new Error(`${TIME} is needed for the process's CPU time and peak RSS`);
  const t0 = performance.now();
  const csv = await cachedCsv(gb);
  console.log(
    `${formatBytes(csv.size)} CSV (${csv.reused ? 'cached' : `generated in ${((performance.now() - t0) / 1000).toFixed(0)} s`}) ` +
      `at ${csv.path}; node ${process.version}; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  const bundle = bundleCliFolder('bench-range-items');
  const work = mkdtempSync(join(tmpdir(), 'csv2lake-range-items-'));
  // One item: rangeBytes at the file's size (a key is split only when LARGER than rangeBytes).
  const configs = [
    { label: 'one item', extra: ['--range-bytes', String(csv.size)] },
    ...ranges.map((n) => ({
      label: `${n} ranges`,
      extra: ['--range-bytes', String(Math.ceil(csv.size / n))],
    })),
  ].map((c) => ({ ...c, extra: [...c.extra, '--format', format] }));
  const results = new Map<string, RunFigures[]>(configs.map((c) => [c.label, []]));
  // The runner synthesizes the stack once per bundle and settings (rangeBytes among them) and caches it:
  // each configuration first runs over a one-row file, so that no measured run pays for synthesis.
  const tiny = mkdtempSync(join(work, 'warm-'));
  writeFileSync(join(tiny, 'warm.csv'), 'a,b\n1,x\n');
  for (const c of configs) await runOnce(c.label, bundle, tiny, work, c.extra);
  console.log(
    '\n| run | items | wall s | CPU s | peak RSS (process) | converter threads: CPU s / peak heap+external | main thread | rows | output | load 1-min before → after |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  try {
    for (let r = 0; r < runs; r++)
      for (const c of configs) {
        const figures = await runOnce(c.label, bundle, join(csv.dir, 'in'), work, c.extra);
        results.get(c.label)!.push(figures);
        console.log(line(figures));
      }
    console.log(
      '\n| configuration | wall s best / median | CPU s best / median | peak RSS best / median | converter thread peak heap+external (max) |',
    );
    console.log('|---|---|---|---|---|');
    for (const [label, rs] of results) {
      const walls = rs.map((x) => x.wall);
      const cpus = rs.map((x) => x.cpu);
      const rss = rs.map((x) => x.rssBytes);
      const threadPeak = Math.max(
        ...rs.flatMap((x) => x.threads.filter((t) => t.role === 'converter').map((t) => t.peak)),
      );
      console.log(
        `| ${label} | ${Math.min(...walls).toFixed(1)} / ${median(walls).toFixed(1)} | ` +
          `${Math.min(...cpus).toFixed(1)} / ${median(cpus).toFixed(1)} | ` +
          `${formatBytes(Math.min(...rss))} / ${formatBytes(median(rss))} | ${formatBytes(threadPeak)} |`,
      );
    }
    console.log(
      `\nload average at the end ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(bundle, { recursive: true, force: true });
    if (!keep) rmSync(csv.dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
