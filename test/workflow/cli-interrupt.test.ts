/*
 * `csv2lake run` interrupted (issue 10, items 9 and 10): SIGTERM stops it cleanly (ABORTED, 143, nothing
 * half-written left); kill -9 leaves a RUNNING record that status and redrive see as ABORTED, and hidden
 * temporary files that the redrive sweeps. The bundled CLI in a child process, as a user runs it.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LocalRunner } from '../../lib/local/runner';
import { readAvro, readParquetWithDuckDB } from '../support/readers';

jest.setTimeout(180_000);

const root = resolve(__dirname, '../..');
const made: string[] = [];

beforeAll(() => {
  execFileSync('npm', ['run', '-s', 'build'], { cwd: root });
});
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** 40 files of ~1.3 MB: the run lasts long enough to be interrupted while it converts. */
function dataset(): { input: string; output: string; keys: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'cli-interrupt-'));
  made.push(dir);
  const input = join(dir, 'in');
  mkdirSync(input);
  const keys: string[] = [];
  for (let f = 0; f < 40; f++) {
    const rows = Array.from(
      { length: 20_000 },
      (_, i) => `${i},${randomBytes(24).toString('hex')},${i * 0.5}`,
    );
    const key = `part-${String(f).padStart(2, '0')}.csv`;
    writeFileSync(join(input, key), `id,text,value\n${rows.join('\n')}\n`);
    keys.push(key);
  }
  return { input, output: join(dir, 'out'), keys };
}

function start(...args: string[]): {
  child: ChildProcess;
  exit: Promise<{ code: number | null; signal: string | null; stdout: string }>;
} {
  const child = spawn(process.execPath, [join(root, 'dist', 'csv2lake.cjs'), ...args], {
    cwd: root,
    env: { ...process.env, NODE_PATH: join(root, 'node_modules') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.resume();
  const exit = new Promise<{ code: number | null; signal: string | null; stdout: string }>((ok) =>
    child.on('exit', (code, signal) => ok({ code, signal, stdout })),
  );
  // A run that never ends must fail the test, not hold CI.
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  void exit.then(() => clearTimeout(timer));
  return { child, exit };
}

/** Resolves once some outputs exist: the run is converting. */
async function converting(output: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const dir = join(output, 'parquet');
    // Each top-level file is a dataset of its own: its output is parquet/<stem>/<stem>.parquet.
    const written = () =>
      readdirSync(dir, { recursive: true })
        .map(String)
        .filter((n) => n.endsWith('.parquet'));
    if (existsSync(dir) && written().length >= 3) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the run wrote no output in 30 s');
}

function runIdOf(output: string): string {
  const ids = readdirSync(join(output, '_runs')).filter((n) => n.startsWith('run-'));
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

function record(output: string, runId: string): { status: string; pid?: number } {
  return JSON.parse(readFileSync(join(output, '_runs', runId, 'local', 'run.json'), 'utf8')) as never;
}

/** Every temporary file left under the output folders, hidden or not. */
function temps(output: string): string[] {
  return readdirSync(output, { recursive: true })
    .map(String)
    .filter((p) => p.includes('.csv2lake-tmp-'));
}

async function expectComplete(output: string, runId: string, keys: string[]): Promise<void> {
  const report = JSON.parse(readFileSync(join(output, '_runs', runId, 'report.json'), 'utf8')) as {
    files: { key: string; status: string }[];
  };
  expect(report.files.map((f) => f.key)).toEqual(keys);
  expect(report.files.every((f) => f.status === 'converted' || f.status === 'skipped')).toBe(true);
  for (const key of keys.slice(0, 40)) {
    const stem = key.replace(/\.csv$/, '');
    expect((await readParquetWithDuckDB(join(output, 'parquet', stem, `${stem}.parquet`))).rows).toHaveLength(
      20_000,
    );
    expect((await readAvro(join(output, 'avro', stem, `${stem}.avro`))).rows).toHaveLength(20_000);
  }
}

test('SIGTERM stops the run cleanly: exit 143, ABORTED, nothing half-written left; a redrive completes it', async () => {
  const { input, output, keys } = dataset();
  const run = start('run', '--input', input, '--output', output, '--json', '--concurrency', '4');
  await converting(output);
  run.child.kill('SIGTERM');
  const ended = await run.exit;
  expect({ code: ended.code, signal: ended.signal }).toEqual({ code: 143, signal: null });
  const runId = runIdOf(output);
  expect(JSON.parse(ended.stdout)).toMatchObject({ runId, status: 'ABORTED' });
  expect(record(output, runId).status).toBe('ABORTED');
  expect(temps(output)).toEqual([]);
  expect(existsSync(join(output, '_runs', runId, 'report.json'))).toBe(true);

  const redrive = start('redrive', runId, '--output', output, '--json');
  expect((await redrive.exit).code).toBe(0);
  await expectComplete(output, runId, keys);
});

test('kill -9 leaves a RUNNING record: status says ABORTED, a redrive resumes it and sweeps the hidden leftovers', async () => {
  const { input, output, keys } = dataset();
  const run = start('run', '--input', input, '--output', output, '--json', '--concurrency', '4');
  await converting(output);
  run.child.kill('SIGKILL');
  await run.exit;
  const runId = runIdOf(output);
  expect(record(output, runId)).toMatchObject({ status: 'RUNNING', pid: run.child.pid });
  // What a kill leaves beside the outputs is hidden: a dataset reader of the folder skips it. Each file is
  // a dataset (a folder part-NN holding part-NN.parquet); rejects are no longer beside the outputs.
  const visible = readdirSync(join(output, 'parquet'), { recursive: true })
    .map(String)
    .filter((n) => !n.split('/').some((segment) => segment.startsWith('.')));
  expect(visible.length).toBeGreaterThan(0);
  expect(visible.every((n) => /^part-(\d\d)(\/part-\1\.parquet)?$/.test(n))).toBe(true);
  expect(await LocalRunner.status(runId, { kind: 'dir', path: output })).toMatchObject({
    status: 'ABORTED',
    died: `its process (pid ${run.child.pid}) is gone`,
    resumeAt: 'ConvertFiles',
  });

  const redrive = start('redrive', runId, '--output', output, '--json');
  expect((await redrive.exit).code).toBe(0);
  expect(temps(output)).toEqual([]);
  await expectComplete(output, runId, keys);
});
