/*
 * Inputs that vanished from a local run's report, and runs that lied about them (issue 10, items 8, 9, 11):
 * every entry under the input is converted, failed with its reason, or ignored by name; a full disk fails
 * the file it hit, or the run in one line; leftovers of writers that died are swept.
 */
import './quiet';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRunner } from '../../lib/local/runner';
import type { ObjectStore } from '../../lambdas/io/object-store';
import { readAvro, readParquetWithDuckDB } from '../support/readers';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
afterEach(() => jest.restoreAllMocks());

function folders(): { root: string; input: string; output: string } {
  const root = mkdtempSync(join(tmpdir(), 'vanish-'));
  made.push(root);
  const input = join(root, 'in');
  mkdirSync(input);
  return { root, input, output: join(root, 'out') };
}

interface Report {
  status: string;
  items: { total: number; converted: number; failed: number; ignored: number };
  files: { key: string; status: string; errors: { type: string; message: string }[] }[];
  ignoredKeys: string[];
}

function report(output: string, runId: string): Report {
  return JSON.parse(readFileSync(join(output, '_runs', runId, 'report.json'), 'utf8')) as Report;
}

function messagesOf(r: Report, key: string): string {
  const file = r.files.find((f) => f.key === key);
  return file ? `${file.status}: ${file.errors.map((e) => `${e.type} ${e.message}`).join(' | ')}` : 'absent';
}

/** Every file under a folder, at any depth. */
function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String);
}

test('every entry under the input is converted, failed with its reason, or ignored: none vanishes', async () => {
  const { input, output } = folders();
  writeFileSync(join(input, 'ok.csv'), 'a,b\n1,2\n');
  // A line break in a name: the suffix filter's * must match across it, as Step Functions' does.
  writeFileSync(join(input, 'two\nlines.csv'), 'a,b\n3,4\n');
  writeFileSync(Buffer.from(join(input, 'caf\xe9.csv'), 'latin1'), 'a,b\n5,6\n');
  mkdirSync(join(input, 'locked'));
  writeFileSync(join(input, 'locked', 'inside.csv'), 'a,b\n7,8\n');
  mkdirSync(join(input, 'sub'));
  writeFileSync(join(input, 'sub', 'c.csv'), 'a,b\n9,10\n');
  symlinkSync('..', join(input, 'sub', 'loop'));
  symlinkSync('self.csv', join(input, 'self.csv'));
  // The tests run as root, whom permissions do not stop: the error another user gets from `locked`, during
  // the run only (Node's rmSync keeps the fs functions of its first call, which may come while this spy is
  // in place: the folder store discards a temporary file when a conditional write of a schema loses a race).
  const real = fs.readdirSync;
  let running = true;
  jest.spyOn(fs, 'readdirSync').mockImplementation(((path: fs.PathLike, options?: unknown) => {
    if (running && String(path).endsWith('/in/locked'))
      throw Object.assign(new Error(`EACCES: permission denied, scandir '${String(path)}'`), {
        code: 'EACCES',
      });
    return real(path, options as never);
  }) as typeof fs.readdirSync);

  const result = await LocalRunner.run({
    input: { kind: 'dir', path: input },
    output: { kind: 'dir', path: output },
    runId: 'vanish',
    retryIntervalMs: 0,
  }).finally(() => (running = false));

  expect(result.status).toBe('FAILED');
  const r = report(output, 'vanish');
  expect(r.files.map((f) => [f.key, f.status])).toEqual([
    ['caf\udce9.csv', 'failed'],
    ['locked/', 'failed'],
    ['ok.csv', 'converted'],
    ['self.csv', 'failed'],
    ['sub/c.csv', 'converted'],
    ['sub/loop/', 'failed'],
    ['two\nlines.csv', 'converted'],
  ]);
  expect(r.items).toMatchObject({ total: 7, converted: 3, failed: 4, ignored: 0 });
  expect(messagesOf(r, 'caf\udce9.csv')).toContain(
    `${join(input, 'caf\\xe9.csv')}: this name is not valid UTF-8`,
  );
  expect(messagesOf(r, 'locked/')).toContain(
    'locked/: a folder that cannot be read (EACCES: permission denied)',
  );
  expect(messagesOf(r, 'sub/loop/')).toContain('a symbolic link to a folder that contains it (a loop)');
  expect(messagesOf(r, 'self.csv')).toContain('self.csv is a symbolic link that leads back to itself');
  // A top-level file is a dataset named after its stem; integers are int64 (DuckDB renders BIGINT as text).
  expect(
    (await readParquetWithDuckDB(join(output, 'parquet', 'two\nlines', 'two\nlines.parquet'))).rows,
  ).toEqual([['3', '4']]);
  expect((await readAvro(join(output, 'avro', 'two\nlines', 'two\nlines.avro'))).rows).toHaveLength(1);
});

test('a missing input, a file given as the input, fail before the run in one line', async () => {
  const { root, output } = folders();
  writeFileSync(join(root, 'file.csv'), 'a\n1\n');
  await expect(
    LocalRunner.run({
      input: { kind: 'dir', path: join(root, 'nope') },
      output: { kind: 'dir', path: output },
    }),
  ).rejects.toThrow(`the input folder ${join(root, 'nope')} does not exist`);
  await expect(
    LocalRunner.run({
      input: { kind: 'dir', path: join(root, 'file.csv') },
      output: { kind: 'dir', path: output },
    }),
  ).rejects.toThrow(`the input ${join(root, 'file.csv')} is not a folder`);
  expect(existsSync(output)).toBe(false);
});

test('a schema that is a FIFO fails the files at once, naming it, instead of hanging the run', async () => {
  const { input, output } = folders();
  writeFileSync(join(input, 'a.csv'), 'a,b\n1,2\n');
  mkdirSync(join(input, 'schemas'));
  const fifo = join(input, 'schemas', 'schema.json');
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  // Should the run open it, this writer (after 3 s) lets the open return and the run go on.
  const writer = spawn('sh', ['-c', `sleep 3; printf '{"columns":{}}' > '${fifo}'`], { stdio: 'ignore' });
  try {
    const result = await LocalRunner.run({
      input: { kind: 'dir', path: input },
      output: { kind: 'dir', path: output },
      runId: 'fifo',
      schemaLocation: 's3://csv2lake-input/schemas/schema.json',
      retryIntervalMs: 0,
    });
    expect(result.status).toBe('FAILED');
    expect(messagesOf(report(output, 'fifo'), 'a.csv')).toContain(
      `${fifo} is a FIFO (named pipe), not a regular file`,
    );
  } finally {
    writer.kill('SIGKILL');
  }
});

test('an input name of 240 bytes converts: the temporary names fit wherever the outputs do', async () => {
  const { input, output } = folders();
  const stem = 'é'.repeat(110) + 'x'.repeat(16); // 236 bytes; `.parquet` makes 244, `.rejects.csv` 248
  writeFileSync(join(input, `${stem}.csv`), 'a,b\n1,2\n3\n');
  const result = await LocalRunner.run({
    input: { kind: 'dir', path: input },
    output: { kind: 'dir', path: output },
    runId: 'long',
  });
  expect(result.status).toBe('SUCCEEDED');
  // The file is dataset <stem>: its output in parquet/<stem>/, its rejects under _rejects/<stem>/; integers
  // are int64 (DuckDB renders BIGINT as text).
  expect(readdirSync(join(output, 'parquet'))).toEqual([stem]);
  expect(readdirSync(join(output, 'parquet', stem))).toEqual([`${stem}.parquet`]);
  expect(readdirSync(join(output, '_rejects', stem))).toEqual([`${stem}.rejects.csv`]);
  expect((await readParquetWithDuckDB(join(output, 'parquet', stem, `${stem}.parquet`))).rows).toEqual([
    ['1', '2'],
  ]);
});

test('a run first removes the temporary files that writers which died left beside the outputs, not the live ones', async () => {
  const { input, output } = folders();
  writeFileSync(join(input, 'a.csv'), 'a,b\n1,2\n');
  mkdirSync(join(output, 'parquet'), { recursive: true });
  const dead = spawnSync('true').pid!;
  const leftovers = [
    `parquet/.a.parquet.csv2lake-tmp-${dead}-abc123`,
    // the name earlier versions gave them, which dataset readers of the folder choke on
    `parquet/b.parquet.csv2lake-tmp-${dead}-def456`,
  ];
  const live = `parquet/.c.parquet.csv2lake-tmp-${process.ppid}-aaaaaa`;
  for (const name of [...leftovers, live]) writeFileSync(join(output, name), 'partial');
  await LocalRunner.run({
    input: { kind: 'dir', path: input },
    output: { kind: 'dir', path: output },
    runId: 'sweep',
  });
  // a.csv is dataset a: its output is in parquet/a/.
  expect(readdirSync(join(output, 'parquet')).sort()).toEqual([live.slice('parquet/'.length), 'a'].sort());
  expect(readdirSync(join(output, 'parquet', 'a'))).toEqual(['a.parquet']);
});

describe('a disk that fills', () => {
  let mount: string | undefined;
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vanish-full-'));
    made.push(dir);
    // A 3 MiB tmpfs for the output where this may mount one (root, as in CI); the error injected otherwise.
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', dir]).status === 0) mount = dir;
  });
  afterAll(() => {
    // Lazily if it is busy (a file a failed test left open): no mount may outlive the tests.
    if (mount && spawnSync('umount', [mount]).status !== 0) spawnSync('umount', ['-l', mount]);
  });

  test('ENOSPC fails the file it hit, naming it and what to do; the others convert and the run reports', async () => {
    const { input } = folders();
    const output = join(dir, 'out');
    writeFileSync(join(input, 'a.csv'), 'a,b\n1,2\n');
    writeFileSync(join(input, 'c.csv'), 'a,b\n3,4\n');
    // ~6.6 MB of random hex: neither format compresses it below the 3 MiB the disk has.
    const rows = Array.from({ length: 100_000 }, () => `${randomBytes(32).toString('hex')},x`);
    writeFileSync(join(input, 'big.csv'), `a,b\n${rows.join('\n')}\n`);
    let wrap: ((store: ObjectStore) => ObjectStore) | undefined;
    if (!mount) {
      // No tmpfs: the folder store's writes of more than 1 MiB fail as a full disk fails them.
      const real = fs.writeSync;
      jest.spyOn(fs, 'writeSync').mockImplementation(((fd: number, ...rest: unknown[]) => {
        if (rest[0] instanceof Uint8Array && (rest[0] as Uint8Array).length >= 1 << 20)
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        return real(fd, ...(rest as [never]));
      }) as typeof fs.writeSync);
      wrap = (store) => store; // conversions in this thread, where the spy is
    }
    const result = await LocalRunner.run({
      input: { kind: 'dir', path: input },
      output: { kind: 'dir', path: output },
      runId: 'full',
      concurrency: 1,
      retryIntervalMs: 0,
      ...(wrap ? { wrapStore: wrap } : {}),
    });
    expect(result.status).toBe('FAILED');
    const r = report(output, 'full');
    expect(r.files.map((f) => [f.key, f.status])).toEqual([
      ['a.csv', 'converted'],
      ['big.csv', 'failed'],
      ['c.csv', 'converted'],
    ]);
    expect(messagesOf(r, 'big.csv')).toMatch(
      new RegExp(
        `cannot write ${output}/(parquet|avro)/big/big\\.(parquet|avro): ENOSPC: the disk \\(or quota\\) is full .*then redrive the run`,
      ),
    );
    // Nothing half-written is left, hidden or not: big.csv's dataset folders (big/, made when its writers
    // opened) are empty.
    expect(allFiles(join(output, 'parquet')).filter((f) => f.includes('big'))).toEqual(['big']);
    expect(allFiles(join(output, 'avro')).filter((f) => f.includes('big'))).toEqual(['big']);
    expect(allFiles(join(output, 'parquet', 'big'))).toEqual([]);
    expect(allFiles(join(output, 'avro', 'big'))).toEqual([]);
  });
});

test("when the runner's own writes fail, the run fails in one line naming the run and what to do; the redrive then completes", async () => {
  const { input, output } = folders();
  writeFileSync(join(input, 'a.csv'), 'a,b\n1,2\n');
  let full = true;
  const wrapStore = (store: ObjectStore): ObjectStore => ({
    ...store,
    put: (bucket, key, body, options) =>
      full && key.endsWith('/report.json')
        ? Promise.reject(
            Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }),
          )
        : store.put(bucket, key, body, options),
    createWriter: (bucket, key, options) => {
      const writer = store.createWriter(bucket, key, options);
      if (!full || !key.endsWith('/report.json')) return writer;
      return {
        ...writer,
        bytesWritten: 0,
        write: () =>
          Promise.reject(
            Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }),
          ),
      };
    },
  });
  const options = { output: { kind: 'dir', path: output } as const, wrapStore, retryIntervalMs: 0 };
  const failure = await LocalRunner.run({
    ...options,
    input: { kind: 'dir', path: input },
    runId: 'nospace',
  }).catch((e: unknown) => e as Error);
  expect(failure).toBeInstanceOf(Error);
  expect((failure as Error).message).toMatch(
    new RegExp(
      `^run nospace: could not write its report under ${output}: .*ENOSPC.*Once it can be written, csv2lake redrive nospace --output ${output}$`,
    ),
  );
  expect((failure as Error).message).not.toContain('\n');
  full = false;
  const redriven = await LocalRunner.redrive('nospace', options.output, { wrapStore, retryIntervalMs: 0 });
  expect(redriven.status).toBe('SUCCEEDED');
  expect(report(output, 'nospace').files.map((f) => [f.key, f.status])).toEqual([['a.csv', 'converted']]);
});
