/*
 * npm run bench:kill [-- --trials 20] [--files 600] [--large 4] [--large-rows 60000] [--concurrency 8] [--seed 1]
 *
 * kill -9 trials of `csv2lake run` (issue 10, item 10): the bundled CLI, in its own process, over a folder of
 * generated CSVs (small ones in sub-folders, a few large ones, one with rejected rows, one that is no CSV),
 * killed with SIGKILL at a random moment of a run, then brought to completion — by a redrive of the killed
 * run, or by a new run over the same output, in turn. After each kill and each recovery it checks:
 * - no partial file is visible in the output's data folders (parquet/, avro/): every name there that does
 *   not start with `.` is a finished output of an input (temporary files are hidden; the hidden ones found
 *   after a kill are counted as leftovers, and none may remain after the recovery, which sweeps them);
 * - every output is readable and complete: each Parquet file by DuckDB (one glob query over the folder,
 *   which also proves the folder reads as a dataset), each Avro file by avsc, with the rows of its input;
 * - the final report accounts for every input key exactly once (converted or skipped; the non-CSV ignored).
 * Each trial is bounded: the kill falls within the length of an uninterrupted run, measured first, and a
 * recovery that has not ended after 10 times that length is killed and counted as hung. Prints figures;
 * exits 1 when any check failed.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readAvro, query } from '../support/readers';
import { generateCsv, random } from './generate-csv';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const TRIALS = flag('--trials', 20);
const FILES = flag('--files', 600);
const LARGE = flag('--large', 4);
const LARGE_ROWS = flag('--large-rows', 60_000);
const CONCURRENCY = flag('--concurrency', 8);
const rnd = random(flag('--seed', 1));
const root = resolve(__dirname, '../..');
const bundle = join(root, 'dist', 'csv2lake.cjs');

/** An input: its key and the rows its outputs must hold (undefined: not a CSV, ignored). */
interface Input {
  readonly key: string;
  readonly rows?: number;
}

async function dataset(dir: string): Promise<{ inputs: Input[]; bytes: number }> {
  const inputs: Input[] = [];
  let bytes = 0;
  const put = (key: string, text: string, rows?: number) => {
    mkdirSync(join(dir, key, '..'), { recursive: true });
    writeFileSync(join(dir, key), text);
    bytes += Buffer.byteLength(text);
    inputs.push({ key, ...(rows === undefined ? {} : { rows }) });
  };
  for (let i = 0; i < FILES; i++) {
    const rows = 1 + Math.floor(rnd() * 300);
    const lines = Array.from({ length: rows }, (_, r) => `${r},item ${i}-${r},${(r * 1.25).toFixed(2)}`);
    put(
      `day-${String(i % 20).padStart(2, '0')}/file-${String(i).padStart(5, '0')}.csv`,
      `id,label,amount\n${lines.join('\n')}\n`,
      rows,
    );
  }
  // Rows of the wrong width are rejected: the outputs hold the others.
  put('odd/rejects.csv', 'id,label\n1,a\n2\n3,c\n4,d,extra\n5,e\n', 3);
  put('notes.md', '# not a CSV\n');
  for (let i = 0; i < LARGE; i++) {
    const key = `large/big-${i}.csv`;
    mkdirSync(join(dir, 'large'), { recursive: true });
    bytes += await generateCsv(join(dir, key), LARGE_ROWS, 100 + i);
    inputs.push({ key, rows: LARGE_ROWS });
  }
  inputs.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  return { inputs, bytes };
}

interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  /** The last line on stderr: the CLI's one-line error, if any. */
  readonly error: string;
  readonly ms: number;
}

function cli(...cliArgs: string[]): { child: ChildProcess; ended: Promise<Ended> } {
  const started = Date.now();
  const child = spawn(process.execPath, [bundle, ...cliArgs], {
    cwd: root,
    env: { ...process.env, NODE_PATH: join(root, 'node_modules') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4096)));
  const ended = new Promise<Ended>((ok) =>
    child.on('exit', (code, signal) =>
      ok({ code, signal, stdout, error: stderr.trim().split('\n').pop() ?? '', ms: Date.now() - started }),
    ),
  );
  return { child, ended };
}

/** Runs a command to its end, or kills it after `limitMs` (undefined: it hung). */
async function bounded(limitMs: number, ...cliArgs: string[]): Promise<Ended | undefined> {
  const run = cli(...cliArgs);
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    run.child.kill('SIGKILL');
  }, limitMs);
  const ended = await run.ended;
  clearTimeout(timer);
  return hung ? undefined : ended;
}

const DATA_FOLDERS = ['parquet', 'avro'];

/** Files under the output's data folders: hidden ones (temporary files) and the visible names. */
function dataFiles(output: string): { hidden: { path: string; bytes: number }[]; visible: string[] } {
  const hidden: { path: string; bytes: number }[] = [];
  const visible: string[] = [];
  for (const folder of DATA_FOLDERS) {
    let names: string[];
    try {
      names = readdirSync(join(output, folder), { recursive: true }).map(String);
    } catch {
      continue; // not made yet
    }
    for (const name of names) {
      const path = join(output, folder, name);
      if (!statSync(path).isFile()) continue;
      if (name.split('/').pop()!.startsWith('.')) hidden.push({ path, bytes: statSync(path).size });
      else visible.push(`${folder}/${name}`);
    }
  }
  return { hidden, visible };
}

/** The names a finished output may have, per input. */
function finalNames(inputs: readonly Input[]): Set<string> {
  const names = new Set<string>();
  for (const { key, rows } of inputs) {
    if (rows === undefined) continue;
    const stem = key.replace(/\.csv$/, '');
    for (const f of DATA_FOLDERS) {
      names.add(`${f}/${stem}.${f}`);
      names.add(`${f}/${stem}.rejects.csv`);
    }
  }
  return names;
}

/** What is wrong with a finished output folder: unreadable or incomplete outputs, keys reported not once. */
async function verify(output: string, runId: string, inputs: readonly Input[]): Promise<string[]> {
  const problems: string[] = [];
  const { hidden, visible } = dataFiles(output);
  if (hidden.length > 0) problems.push(`${hidden.length} temporary files left after the recovery`);
  const allowed = finalNames(inputs);
  const foreign = visible.filter((v) => !allowed.has(v));
  if (foreign.length > 0)
    problems.push(`visible files that are no output: ${foreign.slice(0, 3).join(', ')}`);
  const csv = inputs.filter((i) => i.rows !== undefined);
  // One glob over the folder, as a dataset reader reads it: a partial or foreign .parquet file fails it.
  try {
    const counts = await query(
      `SELECT filename, count(*)::INTEGER AS n FROM read_parquet('${join(output, 'parquet')}/**/*.parquet', filename = true) GROUP BY ALL`,
    );
    const byFile = new Map(counts.map((c) => [String(c.filename), Number(c.n)]));
    for (const { key, rows } of csv) {
      const n = byFile.get(join(output, 'parquet', key.replace(/\.csv$/, '.parquet')));
      if (n !== rows) problems.push(`parquet of ${key}: ${n ?? 'no'} rows, not ${rows}`);
    }
    if (byFile.size !== csv.length) problems.push(`${byFile.size} Parquet files for ${csv.length} inputs`);
  } catch (error) {
    problems.push(`DuckDB cannot read the Parquet folder: ${(error as Error).message.split('\n')[0]}`);
  }
  for (const { key, rows } of csv) {
    try {
      const n = (await readAvro(join(output, 'avro', key.replace(/\.csv$/, '.avro')))).rows.length;
      if (n !== rows) problems.push(`avro of ${key}: ${n} rows, not ${rows}`);
    } catch (error) {
      problems.push(`avro of ${key} unreadable: ${(error as Error).message}`);
    }
  }
  let report: { files: { key: string; status: string }[]; ignoredKeys: string[] };
  try {
    report = JSON.parse(readFileSync(join(output, '_runs', runId, 'report.json'), 'utf8')) as typeof report;
  } catch (error) {
    return [...problems, `no report for ${runId}: ${(error as Error).message}`];
  }
  const reported = [...report.files.map((f) => f.key), ...report.ignoredKeys].sort();
  const expected = inputs.map((i) => i.key).sort();
  if (JSON.stringify(reported) !== JSON.stringify(expected))
    problems.push(
      `the report has ${reported.length} keys (${new Set(reported).size} distinct) for ${expected.length} inputs`,
    );
  const notDone = report.files.filter((f) => f.status !== 'converted' && f.status !== 'skipped');
  if (notDone.length > 0)
    problems.push(`${notDone.length} keys not converted: ${notDone[0]!.key} ${notDone[0]!.status}`);
  return problems;
}

function runIds(output: string): string[] {
  try {
    return readdirSync(join(output, '_runs')).filter((n) => n.startsWith('run-'));
  } catch {
    return [];
  }
}

async function main(): Promise<void> {
  const t0 = Date.now();
  spawnSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
  const work = mkdtempSync(join(tmpdir(), 'kill-trials-'));
  const input = join(work, 'in');
  const { inputs, bytes } = await dataset(input);
  console.log(`dataset: ${inputs.length} keys (${LARGE} large), ${(bytes / 1e6).toFixed(0)} MB, in ${input}`);
  const runArgs = (output: string) => [
    'run',
    '--input',
    input,
    '--output',
    output,
    '--json',
    '--concurrency',
    String(CONCURRENCY),
  ];

  // An uninterrupted run: its length bounds when a kill may fall; its outputs are checked like the others.
  const baselineOut = join(work, 'baseline');
  const baseline = await bounded(30 * 60_000, ...runArgs(baselineOut));
  if (!baseline || baseline.code !== 0)
    throw new Error(`the uninterrupted run failed: ${JSON.stringify(baseline)}`);
  const baselineProblems = await verify(baselineOut, runIds(baselineOut)[0]!, inputs);
  console.log(
    `uninterrupted run: ${(baseline.ms / 1000).toFixed(1)} s${baselineProblems.length ? `, PROBLEMS: ${baselineProblems.join('; ')}` : ', checks pass'}`,
  );
  rmSync(baselineOut, { recursive: true, force: true });

  let kills = 0;
  let leftoverFiles = 0;
  let leftoverBytes = 0;
  let visiblePartial = 0;
  let hung = 0;
  let failedTrials = 0;
  const recoveries = { redrive: 0, rerun: 0 };
  for (let trial = 1; trial <= TRIALS; trial++) {
    const output = join(work, `trial-${trial}`);
    const at = Math.floor(rnd() * baseline.ms);
    const run = cli(...runArgs(output));
    let killed = false;
    const timer = setTimeout(() => {
      killed = run.child.exitCode === null && run.child.kill('SIGKILL');
    }, at);
    const first = await run.ended;
    clearTimeout(timer);
    if (killed) kills++;
    const after = dataFiles(output);
    leftoverFiles += after.hidden.length;
    leftoverBytes += after.hidden.reduce((n, h) => n + h.bytes, 0);
    const allowed = finalNames(inputs);
    const partial = after.visible.filter((v) => !allowed.has(v));
    visiblePartial += partial.length;
    // Recovery, in turn: a redrive of the killed run (when it recorded itself), or a new run over the output.
    const [killedId] = runIds(output);
    const byRedrive = trial % 2 === 1 && killedId !== undefined && killed;
    const recovery = byRedrive
      ? await bounded(Math.max(10 * baseline.ms, 120_000), 'redrive', killedId, '--output', output, '--json')
      : killed
        ? await bounded(Math.max(10 * baseline.ms, 120_000), ...runArgs(output))
        : first;
    if (killed) recoveries[byRedrive ? 'redrive' : 'rerun']++;
    const problems: string[] = partial.map((p) => `visible partial file after the kill: ${p}`);
    let runId: string | undefined;
    if (!recovery) {
      hung++;
      problems.push('the recovery did not end in time');
    } else {
      try {
        runId = (JSON.parse(recovery.stdout) as { runId: string }).runId;
      } catch {
        problems.push(
          `the recovery printed no summary (exit ${recovery.code}, ${recovery.signal ?? 'no signal'})`,
        );
      }
      if (recovery.code !== 0) problems.push(`the recovery exited ${recovery.code}: ${recovery.error}`);
      if (runId) problems.push(...(await verify(output, runId, inputs)));
    }
    if (problems.length > 0) failedTrials++;
    console.log(
      `trial ${trial}: ${killed ? `killed at ${(at / 1000).toFixed(1)} s` : `ended before the kill (${(first.ms / 1000).toFixed(1)} s)`}, ` +
        `${after.hidden.length} hidden leftovers (${(after.hidden.reduce((n, h) => n + h.bytes, 0) / 1e6).toFixed(1)} MB), ` +
        `${partial.length} visible partial; ${killed ? (byRedrive ? 'redriven' : 'run again') : 'no recovery needed'}` +
        `${recovery && killed ? ` in ${(recovery.ms / 1000).toFixed(1)} s` : ''}: ` +
        (problems.length === 0 ? 'all checks pass' : `PROBLEMS: ${problems.slice(0, 5).join('; ')}`),
    );
    rmSync(output, { recursive: true, force: true });
  }
  rmSync(work, { recursive: true, force: true });
  console.log(
    `\nkill trials: ${TRIALS} trials, ${kills} kills during a run (${recoveries.redrive} redriven, ${recoveries.rerun} run again), ` +
      `${leftoverFiles} hidden temporary files found after kills (${(leftoverBytes / 1e6).toFixed(1)} MB), all swept by the recovery unless reported; ` +
      `${visiblePartial} visible partial files; ${hung} recoveries hung; ${failedTrials} trials with problems; ` +
      `${((Date.now() - t0) / 1000).toFixed(0)} s in all`,
  );
  if (failedTrials > 0 || baselineProblems.length > 0) process.exitCode = 1;
}

void main();
