/*
 * npm run bench:workflow [-- --small N --large N --large-mb M]
 *
 * Builds 1,000 small CSV files (~10 KB) and 20 larger ones (~20 MB), then converts them to Parquet and Avro
 * (a) through `csv2lake run` — the whole local workflow: synthesized state machine, Distributed Map
 * emulation, converter threads, per-item records, reducer — and (b) with the same core in one plain loop
 * (convertFile, one file after another, both formats per call, one thread). Prints both times, the
 * ratio, the CPU time of each (user + sys, from /usr/bin/time when present: how many cores it kept busy)
 * and the load average, which tells how much of the machine other work took. Asserts nothing.
 *
 * Two ratios: against the loop's own timing of its conversions (from its first file to its last), and
 * against the loop's whole process (node start-up and module loading included, as in the run's time).
 * The first run after a build also synthesizes the stack (~0.5 s); later ones read it from
 * dist/.synth-cache.
 *
 * --repeat N runs each pair N times, alternating (a) and (b), each run into a fresh output folder, and then
 * prints the median of the pairs' ratios and the ratio of the best times.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateCsv } from './generate-csv';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const root = resolve(__dirname, '../..');
const node = process.execPath;

const LOOP = `
const { convertFile } = require(process.argv[1]);
const { readdirSync } = require('node:fs');
const { join } = require('node:path');
(async () => {
  const [dir, out] = process.argv.slice(2);
  const t = process.hrtime.bigint();
  for (const name of readdirSync(dir).sort()) await convertFile(join(dir, name), out);
  process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e9));
})();
`;

const TIME = '/usr/bin/time';

/** Runs a command to its end; with /usr/bin/time, also its CPU seconds (user + sys, every thread). */
function timed(
  command: string,
  argv: string[],
  cwd: string,
): { status: number | null; stdout: string; stderr: string; cpu?: number } {
  const report = join(tmpdir(), `csv2lake-wf-bench-${process.pid}.time`);
  const withTime = existsSync(TIME);
  const result = withTime
    ? spawnSync(TIME, ['-o', report, '-f', '%U %S', command, ...argv], { encoding: 'utf8', cwd })
    : spawnSync(command, argv, { encoding: 'utf8', cwd });
  if (!withTime) return result;
  const [user, sys] = readFileSync(report, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
  rmSync(report, { force: true });
  return { ...result, cpu: user! + sys! };
}

async function main(): Promise<void> {
  const small = flag('--small', 1000);
  const large = flag('--large', 20);
  const largeRows = Math.round(flag('--large-mb', 20) * 3900);
  const repeat = Math.max(1, flag('--repeat', 1));
  execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
  const work = mkdtempSync(join(tmpdir(), 'csv2lake-wf-bench-'));
  // Inside the repository, so that its packages resolve.
  const loopBundle = join(root, 'dist/bench-convert-file.cjs');
  execFileSync(
    join(root, 'node_modules/.bin/esbuild'),
    [
      'lambdas/io/convert-file.ts',
      '--bundle',
      '--platform=node',
      '--target=node22',
      '--packages=external',
      `--outfile=${loopBundle}`,
      '--log-level=warning',
    ],
    { cwd: root },
  );

  for (const [name, count, rows] of [
    ['small', small, 45],
    ['large', large, largeRows],
  ] as const) {
    const input = join(work, name, 'in');
    mkdirSync(input, { recursive: true });
    let bytes = 0;
    for (let i = 0; i < count; i++)
      bytes += await generateCsv(join(input, `${name}-${String(i).padStart(4, '0')}.csv`), rows, i + 1);
    const mb = bytes / 1e6;
    // Read once before anything is timed: the first read of a file just written updates its access time
    // (relatime), an inode write that would fall on whichever of (a) and (b) runs first.
    for (const file of readdirSync(input)) readFileSync(join(input, file));

    const pairs: { run: number; loop: number }[] = [];
    for (let r = 0; r < repeat; r++) {
      const load = loadavg()[0]!.toFixed(2);
      const runOut = join(work, name, `run-out-${r}`);
      const t = process.hrtime.bigint();
      const run = timed(
        node,
        [
          join(root, 'dist/csv2lake.cjs'),
          'run',
          '--input',
          input,
          '--output',
          runOut,
          '--json',
          '--concurrency',
          '8',
        ],
        work,
      );
      const runSeconds = Number(process.hrtime.bigint() - t) / 1e9;
      const summary = JSON.parse(run.stdout || '{}') as { status?: string; items?: { converted: number } };
      const tl = process.hrtime.bigint();
      const loop = timed(node, ['-e', LOOP, loopBundle, input, join(work, name, `loop-out-${r}`)], root);
      const loopProcessSeconds = Number(process.hrtime.bigint() - tl) / 1e9;
      if (loop.status !== 0) throw new Error(`plain loop failed: ${loop.stderr}`);
      const loopSeconds = Number(loop.stdout);
      const cpu = (c: number | undefined, wall: number) =>
        c === undefined ? '' : ` (CPU ${c.toFixed(1)} s = ${(c / wall).toFixed(2)} cores)`;
      console.log(
        `${String(count).padStart(5)} ${name} files, ${mb.toFixed(1)} MB: csv2lake run ${runSeconds.toFixed(2)} s` +
          `${cpu(run.cpu, runSeconds)} (${summary.status}, ${summary.items?.converted} converted), ` +
          `plain loop ${loopSeconds.toFixed(2)} s${cpu(loop.cpu, loopSeconds)}, ` +
          `ratio ${(runSeconds / loopSeconds).toFixed(2)}x; ` +
          `loop process ${loopProcessSeconds.toFixed(2)} s, ratio ${(runSeconds / loopProcessSeconds).toFixed(2)}x; ` +
          `load average ${load}`,
      );
      pairs.push({ run: runSeconds, loop: loopProcessSeconds });
      if (!args.includes('--keep')) {
        rmSync(runOut, { recursive: true, force: true });
        rmSync(join(work, name, `loop-out-${r}`), { recursive: true, force: true });
      }
    }
    if (pairs.length > 1) {
      // On a shared VM one invocation's time swings by tens of percent: the median of the pairs' ratios,
      // and the ratio of each side's best time (the least disturbed run of each), say more than any one pair.
      const ratios = pairs.map((p) => p.run / p.loop).sort((a, b) => a - b);
      const median = (ratios[(ratios.length - 1) >> 1]! + ratios[ratios.length >> 1]!) / 2;
      const best = Math.min(...pairs.map((p) => p.run)) / Math.min(...pairs.map((p) => p.loop));
      console.log(
        `${String(count).padStart(5)} ${name} files over ${pairs.length} pairs, against the loop's whole process: ` +
          `ratios ${ratios.map((r) => r.toFixed(2)).join(' ')}; median ${median.toFixed(2)}x; ` +
          `best run / best loop ${best.toFixed(2)}x`,
      );
    }
  }
  if (!args.includes('--keep')) rmSync(work, { recursive: true, force: true });
  writeFileSync(join(tmpdir(), 'csv2lake-wf-bench.done'), '');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
