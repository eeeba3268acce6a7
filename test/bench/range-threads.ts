/*
 * One key converted with 1 vs N threads (issue 12, "converters with two or more vCPUs use both"): the
 * one-item conversion on one thread, as a one-vCPU converter does today, against the same file cut into N
 * byte ranges converted on N worker threads and joined (lambdas/ranges/local-ranges.ts). Each run in its own
 * process, so that its peak RSS (all threads) is its own.
 *
 *   npx tsx test/bench/range-threads.ts --mb 500 --format parquet --runs 2 --threads 2
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OutputFormat } from '../../lambdas/core/model/options';
import { convertFile } from '../../lambdas/io/convert-file';
import { convertFileInRanges } from '../../lambdas/ranges/local-ranges';
import { generateCsv } from './generate-csv';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const root = join(__dirname, '..', '..');

async function child(): Promise<void> {
  const [path, format, threads, worker, out] = process.argv.slice(3) as [
    string,
    OutputFormat,
    string,
    string,
    string,
  ];
  const started = performance.now();
  const cpu = process.cpuUsage();
  let rows: number;
  let detail = '';
  if (threads === '1') {
    rows = (await convertFile(path, join(out, 'one'), { formats: [format] })).rows;
  } else {
    const summary = await convertFileInRanges(path, join(out, `ranged.${format}`), join(out, 'rejects.csv'), {
      options: { formats: [format] },
      format,
      partsDir: join(out, 'parts'),
      workerPath: worker,
      threads: Number(threads),
    });
    rows = summary!.rows;
    detail = `, rounds ${summary!.rounds}, moved ${summary!.moved}`;
  }
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  process.stdout.write(
    JSON.stringify({
      ms,
      rows,
      detail,
      maxRssMB: process.resourceUsage().maxRSS / 1024,
      mainCpuS: (used.user + used.system) / 1e6,
    }),
  );
}

async function main(): Promise<void> {
  const mb = Number(arg('mb', '500'));
  const format = arg('format', 'parquet') as OutputFormat;
  const runs = Number(arg('runs', '2'));
  const threads = Number(arg('threads', '2'));
  const dir = mkdtempSync(join(tmpdir(), 'range-bench-'));
  try {
    const path = join(dir, 'in.csv');
    await generateCsv(path, Math.round((mb * 1e6) / 237));
    const size = statSync(path).size;
    // Inside the repository, so that the bundle finds node_modules (snappy).
    const worker = join(root, 'dist', `range-bench-${process.pid}`, 'range-worker.cjs');
    execFileSync(join(root, 'node_modules/.bin/esbuild'), [
      join(root, 'lambdas/ranges/range-worker.ts'),
      '--bundle',
      '--platform=node',
      '--target=node22',
      '--packages=external',
      `--outfile=${worker}`,
      '--log-level=warning',
    ]);
    console.log(
      `${(size / 1e6).toFixed(0)} MB CSV, ${format}, ${runs} run(s) each, load ${loadavg()[0]!.toFixed(2)}`,
    );
    for (let r = 0; r < runs; r++)
      for (const t of [1, threads]) {
        const out = mkdtempSync(join(dir, 'out-'));
        const text = execFileSync(
          join(root, 'node_modules/.bin/tsx'),
          [__filename, '--child', path, format, String(t), worker, out],
          { maxBuffer: 1 << 20, cwd: root },
        ).toString();
        const m = JSON.parse(text) as {
          ms: number;
          rows: number;
          detail: string;
          maxRssMB: number;
          mainCpuS: number;
        };
        console.log(
          `${t === 1 ? 'one item, 1 thread ' : `${t} ranges, ${t} threads`}: ${(m.ms / 1000).toFixed(2)} s, ` +
            `${(size / 1e6 / (m.ms / 1000)).toFixed(0)} MB/s, CPU ${m.mainCpuS.toFixed(1)} s (all threads), peak RSS ${m.maxRssMB.toFixed(0)} MB, rows ${m.rows}${m.detail}`,
        );
        rmSync(out, { recursive: true, force: true });
      }
  } finally {
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    rmSync(join(root, 'dist', `range-bench-${process.pid}`), { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') void child();
else void main();
