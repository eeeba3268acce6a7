import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { spoolToFile } from '../../../lambdas/io/spooled-source';

async function readAll(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}

async function* chunks(...parts: string[]): AsyncIterable<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
}

test('the body is read once and replayed from the local file as often as asked', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-test-'));
  let reads = 0;
  const body = (async function* () {
    reads++;
    yield* chunks('a,b\n', '1,', '2\n', 'é,€\n');
  })();
  const source = await spoolToFile('s3://b/k.csv', body, dir);
  expect(source.name).toBe('s3://b/k.csv');
  expect(source.bytes).toBe(Buffer.byteLength('a,b\n1,2\né,€\n'));
  expect((await readAll(source.open())).toString()).toBe('a,b\n1,2\né,€\n');
  expect((await readAll(source.open())).toString()).toBe('a,b\n1,2\né,€\n');
  expect(reads).toBe(1);
  expect(readdirSync(dir)).toHaveLength(1);
  await source.dispose();
  expect(readdirSync(dir)).toEqual([]);
});

test('a body that breaks mid-stream leaves no temp file behind and surfaces the error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-test-'));
  const body = (async function* () {
    yield Buffer.from('a,b\n');
    throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
  })();
  await expect(spoolToFile('s3://b/k.csv', body, dir)).rejects.toMatchObject({ code: 'ECONNRESET' });
  expect(readdirSync(dir)).toEqual([]);
});

test('an empty body spools to an empty replayable source', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-test-'));
  const source = await spoolToFile('empty', chunks(), dir);
  expect(source.bytes).toBe(0);
  expect(await readAll(source.open())).toHaveLength(0);
  await source.dispose();
  await source.dispose(); // twice is harmless
  expect(existsSync(dir)).toBe(true);
  expect(readdirSync(dir)).toEqual([]);
});

test('the first spool into a folder removes what dead processes spooled there, not what live ones did', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-test-'));
  // A pid that was alive and is no longer: a process that ran and exited.
  const dead = spawnSync('true').pid!;
  const live = process.ppid;
  for (const name of [`csv2lake-spool-${dead}-AbC123`, `csv2lake-spool-${live}-XyZ789`, 'other-folder']) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'input'), 'a,b\n');
  }
  const source = await spoolToFile('s3://b/k.csv', chunks('a\n'), dir);
  const left = readdirSync(dir).sort();
  expect(left).toHaveLength(3);
  expect(left).toEqual(
    expect.arrayContaining([
      `csv2lake-spool-${live}-XyZ789`,
      'other-folder',
      expect.stringMatching(`^csv2lake-spool-${process.pid}-`),
    ]),
  );
  await source.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('a spool disk that fills fails naming the object, the spool file and what to do; nothing is left', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-full-'));
  // A 1 MiB tmpfs where this may mount one (root, as in CI); the error injected otherwise.
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]).status === 0;
  if (!mounted)
    jest.spyOn(fs, 'createWriteStream').mockImplementation(
      () =>
        new Writable({
          write: (_chunk, _encoding, done) =>
            done(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })),
        }) as never,
    );
  try {
    const body = (async function* () {
      for (let i = 0; i < 3; i++) yield Buffer.alloc(1 << 20, 65);
    })();
    await expect(spoolToFile('s3://b/big.csv', body, dir)).rejects.toMatchObject({
      code: 'ENOSPC',
      message: expect.stringMatching(
        new RegExp(
          `^cannot spool s3://b/big\\.csv to ${dir}/csv2lake-spool-${process.pid}-\\w+/input: ENOSPC: the disk is full .*CSV2LAKE_SPOOL_DIR`,
        ),
      ),
    });
    expect(readdirSync(dir)).toEqual([]);
  } finally {
    jest.restoreAllMocks();
    if (mounted && spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});
