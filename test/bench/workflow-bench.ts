/*
 * npm run bench:workflow [-- --small N --large N --large-mb M]
 *
 * Builds 1,000 small CSV files (~10 KB) and 20 larger ones (~20 MB), then converts them to Parquet and Avro
 * (a) through `csv2lake run` — the whole local workflow: synthesized state machine, Distributed Map
 * emulation, converter threads, per-item records, reducer — and (b) with the same core in one plain loop
 * (convertFile, one file after another). Prints both times and the ratio. Asserts nothing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

async function main(): Promise<void> {
  const small = flag('--small', 1000);
  const large = flag('--large', 20);
  const largeRows = Math.round(flag('--large-mb', 20) * 3900);
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

    const t = process.hrtime.bigint();
    const run = spawnSync(
      node,
      [
        join(root, 'dist/csv2lake.cjs'),
        'run',
        '--input',
        input,
        '--output',
        join(work, name, 'run-out'),
        '--json',
        '--concurrency',
        '8',
      ],
      { encoding: 'utf8', cwd: work },
    );
    const runSeconds = Number(process.hrtime.bigint() - t) / 1e9;
    const summary = JSON.parse(run.stdout || '{}') as { status?: string; items?: { converted: number } };
    const loop = spawnSync(node, ['-e', LOOP, loopBundle, input, join(work, name, 'loop-out')], {
      encoding: 'utf8',
      cwd: root,
    });
    if (loop.status !== 0) throw new Error(`plain loop failed: ${loop.stderr}`);
    const loopSeconds = Number(loop.stdout);
    console.log(
      `${String(count).padStart(5)} ${name} files, ${mb.toFixed(1)} MB: csv2lake run ${runSeconds.toFixed(2)} s ` +
        `(${summary.status}, ${summary.items?.converted} converted), plain loop ${loopSeconds.toFixed(2)} s, ratio ${(runSeconds / loopSeconds).toFixed(2)}x`,
    );
  }
  if (!args.includes('--keep')) rmSync(work, { recursive: true, force: true });
  writeFileSync(join(tmpdir(), 'csv2lake-wf-bench.done'), '');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
