/*
 * The converter threads of the local runner. A stand-in thread script plays the converter: it answers
 * `ok`, fails `bad`, never answers `hang`, exits on `exit` and throws on `crash`, so that every way an
 * invocation can end is provoked for real, on real threads.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConverterPool } from '../../../lib/local/converter-pool';

const THREAD = `
const { parentPort, threadId } = require('node:worker_threads');
let configured = 'none';
parentPort.on('message', (m) => {
  if (m.configure) { configured = m.configure.parquet.env.TAG; return; }
  const { id, payload } = m;
  switch (payload.kind) {
    case 'ok': return parentPort.postMessage({ id, result: { threadId, configured, echo: payload.n } });
    case 'bad': return parentPort.postMessage({ id, error: { name: 'MalformedCsvError', message: 'line 3' } });
    case 'hang': return;
    case 'exit': return process.exit(3);
    case 'crash': setImmediate(() => { throw new TypeError('boom'); }); return;
  }
});
`;

let dir: string;
let pool: ConverterPool | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'converter-pool-'));
  writeFileSync(join(dir, 'convert-worker.cjs'), THREAD);
});
afterEach(async () => {
  await pool?.stop();
  pool = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const settings = (tag: string) => ({
  parquet: { env: { TAG: tag }, timeoutMs: 60_000 },
  avro: { env: { TAG: tag }, timeoutMs: 60_000 },
});

/** The invocation's outcome, observed at once (a rejection nobody awaits yet is an unhandled one). */
function outcome(invocation: Promise<unknown>): Promise<{ value?: unknown; error?: Error }> {
  return invocation.then(
    (value) => ({ value }),
    (error: Error) => ({ error }),
  );
}

function start(concurrency: number): ConverterPool {
  pool = ConverterPool.start(dir, concurrency, {
    input: { kind: 'dir', path: dir },
    output: { kind: 'dir', path: dir },
  });
  if (!pool) throw new Error('no pool started');
  pool.configure(settings('first'));
  return pool;
}

test('no pool without the bundled thread script beside the runner', () => {
  const empty = mkdtempSync(join(tmpdir(), 'converter-pool-none-'));
  expect(
    ConverterPool.start(empty, 4, {
      input: { kind: 'dir', path: empty },
      output: { kind: 'dir', path: empty },
    }),
  ).toBeUndefined();
  rmSync(empty, { recursive: true });
});

test('answers and errors come back to their invocation, the error by its name', async () => {
  const p = start(4);
  const answers = await Promise.all([1, 2, 3].map((n) => p.run('parquet', { kind: 'ok', n })));
  expect(answers.map((a) => (a as { echo: number }).echo)).toEqual([1, 2, 3]);
  expect(answers.every((a) => (a as { configured: string }).configured === 'first')).toBe(true);
  await expect(p.run('avro', { kind: 'bad' })).rejects.toMatchObject({
    name: 'MalformedCsvError',
    message: 'line 3',
  });
});

test('an invocation in flight when the pool stops fails with Runtime.ExitError, and so does a later one', async () => {
  const p = start(2);
  const hanging = outcome(p.run('parquet', { kind: 'hang' }));
  await p.stop();
  expect((await hanging).error).toMatchObject({ name: 'Runtime.ExitError' });
  await expect(p.run('parquet', { kind: 'ok', n: 1 })).rejects.toMatchObject({ name: 'Runtime.ExitError' });
});

test('an invocation waiting for a free thread when the pool stops fails too', async () => {
  const p = start(1); // one thread, two conversions at a time
  const invocations = [
    p.run('parquet', { kind: 'hang' }),
    p.run('parquet', { kind: 'hang' }),
    p.run('parquet', { kind: 'ok', n: 1 }), // queued
  ].map(outcome);
  await p.stop();
  for (const invocation of invocations)
    expect((await invocation).error).toMatchObject({ name: 'Runtime.ExitError' });
});

test.each(['exit', 'crash'])(
  'a thread that dies (%s) fails its invocations and is replaced, configured as before',
  async (kind) => {
    const p = start(1); // one thread: the replacement is the only one left to answer
    const before = (await p.run('parquet', { kind: 'ok', n: 0 })) as { threadId: number };
    const sibling = outcome(p.run('avro', { kind: 'hang' }));
    await expect(p.run('parquet', { kind })).rejects.toMatchObject({
      name: 'Runtime.ExitError',
      message: kind === 'exit' ? /exited with code 3/ : /crashed: TypeError: boom/,
    });
    // The sibling was on the same thread: it died with it, as a Lambda sandbox's invocations do.
    expect((await sibling).error).toMatchObject({ name: 'Runtime.ExitError' });
    const after = (await p.run('parquet', { kind: 'ok', n: 1 })) as { threadId: number; configured: string };
    expect(after.threadId).not.toBe(before.threadId);
    expect(after.configured).toBe('first');
  },
);

test("an invocation past its function's timeout fails with Sandbox.Timedout and stops its thread, as Lambda stops the sandbox", async () => {
  const p = start(1);
  p.configure({
    parquet: { env: { TAG: 'quick' }, timeoutMs: 200 },
    avro: { env: { TAG: 'quick' }, timeoutMs: 60_000 },
  });
  // The thread is started by an invocation with time to spare: starting it takes more than 0.2 s on a busy machine.
  const before = (await p.run('avro', { kind: 'ok', n: 0 })) as { threadId: number };
  const sibling = outcome(p.run('avro', { kind: 'hang' }));
  const late = await outcome(p.run('parquet', { kind: 'hang' }));
  expect(late.error).toMatchObject({
    name: 'Sandbox.Timedout',
    message: 'Task timed out after 0.20 seconds',
  });
  expect((await sibling).error).toMatchObject({
    name: 'Runtime.ExitError',
    message: /ran past the function's timeout/,
  });
  const after = (await p.run('parquet', { kind: 'ok', n: 1 })) as { threadId: number; configured: string };
  expect(after.threadId).not.toBe(before.threadId);
  expect(after.configured).toBe('quick');
});

test('each thread takes at most two conversions at a time; the third waits for a free slot', async () => {
  const p = start(1);
  const first = p.run('parquet', { kind: 'bad' });
  const second = outcome(p.run('parquet', { kind: 'hang' }));
  const third = p.run('parquet', { kind: 'ok', n: 3 });
  await expect(first).rejects.toMatchObject({ name: 'MalformedCsvError' });
  // The slot the failed one freed goes to the third, while the second still hangs.
  await expect(third).resolves.toMatchObject({ echo: 3 });
  await p.stop();
  expect((await second).error).toMatchObject({ name: 'Runtime.ExitError' });
});

test('a thread script that cannot start fails each invocation and is started again only for the next one', async () => {
  const broken = mkdtempSync(join(tmpdir(), 'converter-pool-broken-'));
  const starts = join(broken, 'starts');
  writeFileSync(
    join(broken, 'convert-worker.cjs'),
    `require('node:fs').appendFileSync(${JSON.stringify(starts)}, 'x'); throw new Error('cannot load');`,
  );
  pool = ConverterPool.start(broken, 1, {
    input: { kind: 'dir', path: broken },
    output: { kind: 'dir', path: broken },
  })!;
  for (let i = 0; i < 2; i++)
    expect((await outcome(pool.run('parquet', { kind: 'ok', n: i }))).error).toMatchObject({
      name: 'Runtime.ExitError',
      message: /crashed: Error: cannot load/,
    });
  await new Promise((resolve) => setTimeout(resolve, 300));
  // The first thread, and one per later invocation at most (the first invocation may still find the first
  // thread starting): a crash does not start a thread by itself, so no thread is restarted in a loop.
  expect(readFileSync(starts, 'utf8')).toMatch(/^x{2,3}$/);
  rmSync(broken, { recursive: true, force: true });
});
