/*
 * The folder store's conditional puts across threads and processes, for real: 2 processes of 4 threads
 * each (the local runner converts on threads; the CLI can run twice) append their ids to one JSON list by
 * read-merge-write with If-Match, retrying when they lose. The writer script is the store's own source,
 * bundled with esbuild, so the threads run the code under test. And the lock file behind them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { withFileLock } from '../../../lambdas/io/file-lock';
import { FsObjectStore } from '../../../lambdas/io/fs-object-store';
import { readText } from '../../../lambdas/io/object-text';

const PROCESSES = 2;
const THREADS = 4;
const APPENDS = 20;

/**
 * One process: starts THREADS writer threads (ids `<first>`…) and prints their results. Each thread appends
 * its id APPENDS times: GET (with the version's ETag), add the id, PUT If-Match that ETag; on a conflict,
 * again from the GET.
 */
const WRITER = `
import { isMainThread, Worker, workerData, parentPort } from 'node:worker_threads';
import { FsObjectStore } from './lambdas/io/fs-object-store';
import { WriteConflictError } from './lambdas/io/object-store';

async function writer(root: string, id: number, appends: number) {
  const store = new FsObjectStore({ lake: root });
  let conflicts = 0;
  for (let done = 0; done < appends; ) {
    const body = await store.get('lake', 'list.json');
    const parts: Uint8Array[] = [];
    for await (const part of body) parts.push(part);
    const doc = JSON.parse(Buffer.concat(parts).toString('utf8')) as { version: number; ids: number[] };
    const next = { version: doc.version + 1, ids: [...doc.ids, id] };
    try {
      await store.put('lake', 'list.json', JSON.stringify(next), { ifMatch: body.etag! });
      done++;
    } catch (error) {
      if (!(error instanceof WriteConflictError)) throw error;
      conflicts++;
    }
  }
  return { id, conflicts };
}

if (isMainThread) {
  const [root, first, threads, appends] = process.argv.slice(2);
  const runs = [...Array(Number(threads)).keys()].map(
    (i) =>
      new Promise((resolve, reject) => {
        const w = new Worker(__filename, { workerData: { root, id: Number(first) + i, appends: Number(appends) } });
        w.once('message', resolve);
        w.once('error', reject);
      }),
  );
  Promise.all(runs).then(
    (results) => process.stdout.write(JSON.stringify(results)),
    (error) => {
      process.stderr.write(String(error?.stack ?? error));
      process.exit(1);
    },
  );
} else {
  writer(workerData.root, workerData.id, workerData.appends).then((r) => parentPort!.postMessage(r));
}
`;

let dir: string;
let script: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'conditional-writers-'));
  script = join(dir, 'writer.cjs');
  buildSync({
    stdin: {
      contents: WRITER,
      resolveDir: resolve(__dirname, '../../..'),
      loader: 'ts',
      sourcefile: 'writer.ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    packages: 'external',
    outfile: script,
    logLevel: 'error',
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs one writer process; resolves with its threads' results. */
function runProcess(root: string, first: number): Promise<{ id: number; conflicts: number }[]> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [script, root, String(first), String(THREADS), String(APPENDS)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) =>
      code === 0 ? resolvePromise(JSON.parse(out)) : reject(new Error(`writer exited ${code}: ${err}`)),
    );
  });
}

describe('conditional puts of the folder store across threads and processes', () => {
  it('8 writers (2 processes x 4 threads) appending 20 times each by If-Match lose no update', async () => {
    const root = join(dir, 'lake');
    const store = new FsObjectStore({ lake: root });
    await store.put('lake', 'list.json', JSON.stringify({ version: 0, ids: [] }), { ifNoneMatch: '*' });

    const results = (
      await Promise.all([...Array(PROCESSES).keys()].map((p) => runProcess(root, p * THREADS)))
    ).flat();
    const final = JSON.parse(await readText(store, 'lake', 'list.json')) as {
      version: number;
      ids: number[];
    };

    const writers = PROCESSES * THREADS;
    // Every successful write was made on the version it read: one winner per version, none lost.
    expect(final.version).toBe(writers * APPENDS);
    expect(final.ids).toHaveLength(writers * APPENDS);
    for (let id = 0; id < writers; id++) expect(final.ids.filter((x) => x === id)).toHaveLength(APPENDS);
    expect(results.map((r) => r.id).sort((a, b) => a - b)).toEqual([...Array(writers).keys()]);
    // They did race: without conflicts the test would prove nothing.
    expect(results.reduce((sum, r) => sum + r.conflicts, 0)).toBeGreaterThan(0);
  }, 120_000);
});

describe('withFileLock', () => {
  it('breaks the lock of a process that died holding it', async () => {
    const lock = join(dir, 'locks', 'dead.lock');
    mkdirSync(join(dir, 'locks'), { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    writeFileSync(lock, `${dead.stdout.toString()} 0\n`);

    const started = Date.now();
    const result = await withFileLock(lock, () => 'ran');

    expect(result).toBe('ran');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('waits for a live holder, and breaks a lock older than staleMs even of a live pid', async () => {
    const lock = join(dir, 'locks', 'live.lock');
    mkdirSync(join(dir, 'locks'), { recursive: true });
    writeFileSync(lock, `${process.pid} 99\n`);
    let ran = false;

    const waiting = withFileLock(lock, () => (ran = true), { staleMs: 300 });
    await new Promise((r) => setTimeout(r, 100));
    const ranEarly = ran;
    await waiting;

    expect(ranEarly).toBe(false);
    expect(ran).toBe(true);
  });

  it('gives up, naming the lock, when a live holder keeps it', async () => {
    const lock = join(dir, 'locks', 'held.lock');
    mkdirSync(join(dir, 'locks'), { recursive: true });
    writeFileSync(lock, `${process.pid} 99\n`);

    await expect(withFileLock(lock, () => 1, { staleMs: 60_000, giveUpMs: 200 })).rejects.toThrow(
      /held\.lock: another csv2lake writer has held this lock/,
    );
  });

  it('removes the lock after, also when the critical section throws', async () => {
    const lock = join(dir, 'locks', 'after.lock');

    const value = await withFileLock(lock, () => existsSync(lock));
    const error = await withFileLock(lock, () => {
      throw new Error('inside');
    }).catch((e: Error) => e.message);

    expect(value).toBe(true);
    expect(error).toBe('inside');
    expect(existsSync(lock)).toBe(false);
  });
});
