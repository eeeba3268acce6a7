/*
 * A local run's record says whether its process is alive (issue 10 item 9): a RUNNING record of a process
 * that died is ABORTED for status and redrive; one that is alive is not redriven under it.
 */
import './quiet';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRunner } from '../../lib/local/runner';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

async function finishedRun(runId: string) {
  const root = mkdtempSync(join(tmpdir(), 'run-record-'));
  made.push(root);
  mkdirSync(join(root, 'in'));
  writeFileSync(join(root, 'in', 'a.csv'), 'a,b\n1,2\n');
  const output = { kind: 'dir', path: join(root, 'out') } as const;
  await LocalRunner.run({ input: { kind: 'dir', path: join(root, 'in') }, output, runId });
  const path = join(root, 'out', '_runs', runId, 'local', 'run.json');
  const record = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  // The record as the run left it at the start of ConvertFiles, had it been stopped there.
  const rewrite = (fields: Record<string, unknown>) =>
    writeFileSync(path, JSON.stringify({ ...record, status: 'RUNNING', ...fields }));
  return { output, record, rewrite };
}

test('a run records its process and where it is; a RUNNING run whose process is alive is not redriven', async () => {
  const { output, record, rewrite } = await finishedRun('alive');
  expect(record).toMatchObject({ status: 'SUCCEEDED', pid: process.pid, enteredState: expect.any(String) });
  rewrite({ heartbeatAt: new Date().toISOString(), enteredState: 'ConvertFiles' });
  expect(await LocalRunner.status('alive', output)).toMatchObject({ status: 'RUNNING' });
  await expect(LocalRunner.redrive('alive', output)).rejects.toThrow(
    /^run alive is RUNNING \(pid \d+ on .*\): wait for it to end, or stop it/,
  );
});

test('a RUNNING run of another machine whose heartbeat stopped is ABORTED, and a redrive resumes and completes it', async () => {
  const { output, record, rewrite } = await finishedRun('silent');
  // Stopped in the last state it entered, with that state's input, as the record says.
  rewrite({ host: 'another-host', heartbeatAt: new Date(Date.now() - 10 * 60_000).toISOString() });
  const status = await LocalRunner.status('silent', output);
  expect(status).toMatchObject({ status: 'ABORTED', resumeAt: record.enteredState });
  expect(status.died).toMatch(/has not written a heartbeat since/);
  const redriven = await LocalRunner.redrive('silent', output);
  expect(redriven).toMatchObject({ status: 'SUCCEEDED', items: { total: 1 } });
});

test('a run that died before its first task is redriven from the start, under its own run id', async () => {
  const { output, record, rewrite } = await finishedRun('early');
  const dead = spawnSync('true').pid!;
  const { enteredState: _state, enteredInput: _input, ...before } = record;
  rewrite({ ...before, status: 'RUNNING', pid: dead, heartbeatAt: new Date().toISOString() });
  expect(await LocalRunner.status('early', output)).toMatchObject({
    status: 'ABORTED',
    died: `its process (pid ${dead}) is gone`,
  });
  const redriven = await LocalRunner.redrive('early', output);
  expect(redriven).toMatchObject({ runId: 'early', status: 'SUCCEEDED', items: { total: 1 } });
});
