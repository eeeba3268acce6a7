/*
 * The folder store over entries a folder can hold besides plain files and folders (issue 10, items 8-11):
 * names that are not UTF-8, links, loops, FIFOs, folders that cannot be read, long names, a full disk.
 * Each is listed (or refused) by name: none vanishes, none hangs, no error is bare.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsObjectStore, UNREADABLE_ETAG } from '../../../lambdas/io/fs-object-store';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
afterEach(() => jest.restoreAllMocks());

function fresh(): { dir: string; store: FsObjectStore } {
  const root = mkdtempSync(join(tmpdir(), 'fs-entries-'));
  made.push(root);
  const dir = join(root, 'lake');
  mkdirSync(dir);
  return { dir, store: new FsObjectStore({ lake: dir }) };
}

async function body(store: FsObjectStore, key: string): Promise<string> {
  const parts: Buffer[] = [];
  for await (const p of await store.get('lake', key)) parts.push(Buffer.from(p));
  return Buffer.concat(parts).toString('utf8');
}

async function keys(store: FsObjectStore, prefix = ''): Promise<string[]> {
  return (await store.list('lake', prefix)).objects.map((o) => o.key);
}

test('a name that is not UTF-8 is listed, with its bytes escaped, and reading it fails naming the file', async () => {
  const { dir, store } = fresh();
  writeFileSync(join(dir, 'ok.csv'), 'a\n1\n');
  writeFileSync(Buffer.from(join(dir, 'caf\xe9.csv'), 'latin1'), 'a\n1\n');
  writeFileSync(Buffer.from(join(dir, 'caf\xe8.csv'), 'latin1'), 'a\n2\n');
  const listed = await keys(store);
  // Two names that differ only in bytes that are not UTF-8 stay two keys, and the file named by U+FFFD is
  // not confused with them.
  expect(listed).toEqual(['caf\udce8.csv', 'caf\udce9.csv', 'ok.csv']);
  await expect(body(store, 'caf\udce9.csv')).rejects.toMatchObject({
    name: 'InputMissingError',
    message: expect.stringContaining(`${join(dir, 'caf\\xe9.csv')}: this name is not valid UTF-8`),
  });
  await expect(store.head('lake', 'caf\udce9.csv')).rejects.toThrow(
    /caf\\xe9\.csv: this name is not valid UTF-8/,
  );
  // Paging over them keeps each once.
  const first = await store.list('lake', '', { maxKeys: 1 });
  const second = await store.list('lake', '', { maxKeys: 1, token: first.nextToken! });
  expect([first.objects[0]!.key, second.objects[0]!.key]).toEqual(['caf\udce8.csv', 'caf\udce9.csv']);
});

test('links are followed: to a file, to a folder; a loop of links and a link to nothing are listed and fail by name', async () => {
  const { dir, store } = fresh();
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'a.csv'), 'a\n1\n');
  symlinkSync(join(dir, 'data', 'a.csv'), join(dir, 'link.csv'));
  symlinkSync(join(dir, 'data'), join(dir, 'linked'));
  symlinkSync('self.csv', join(dir, 'self.csv'));
  symlinkSync(join(dir, 'gone.csv'), join(dir, 'dangling.csv'));
  // A link back to an enclosing folder would list the same files for ever.
  symlinkSync('..', join(dir, 'data', 'up'));
  const page = await store.list('lake', '');
  expect(page.objects.map((o) => o.key)).toEqual([
    'dangling.csv',
    'data/a.csv',
    'data/up/',
    'link.csv',
    'linked/a.csv',
    'linked/up/',
    'self.csv',
  ]);
  const up = page.objects.find((o) => o.key === 'data/up/') as { etag: string; unreadable?: string };
  expect(up.etag).toBe(UNREADABLE_ETAG);
  expect(up.unreadable).toMatch(/data\/up\/: a symbolic link to a folder that contains it \(a loop\)/);
  expect(await body(store, 'link.csv')).toBe('a\n1\n');
  expect(await body(store, 'linked/a.csv')).toBe('a\n1\n');
  await expect(body(store, 'self.csv')).rejects.toThrow(
    /self\.csv is a symbolic link that leads back to itself/,
  );
  await expect(body(store, 'dangling.csv')).rejects.toThrow(/dangling\.csv is a symbolic link to nothing/);
});

test('a folder that cannot be read is listed as an unreadable entry with the reason; the rest is listed', async () => {
  const { dir, store } = fresh();
  mkdirSync(join(dir, 'locked'));
  writeFileSync(join(dir, 'locked', 'hidden.csv'), 'a\n1\n');
  writeFileSync(join(dir, 'b.csv'), 'a\n1\n');
  // The tests run as root, which permissions do not stop: the error a user without access gets.
  const real = fs.readdirSync;
  jest.spyOn(fs, 'readdirSync').mockImplementation(((path: fs.PathLike, options?: unknown) => {
    if (String(path).endsWith('/locked'))
      throw Object.assign(new Error(`EACCES: permission denied, scandir '${String(path)}'`), {
        code: 'EACCES',
      });
    return real(path, options as never);
  }) as typeof fs.readdirSync);
  const page = await store.list('lake', '');
  expect(page.objects.map((o) => [o.key, o.etag === UNREADABLE_ETAG])).toEqual([
    ['b.csv', false],
    ['locked/', true],
  ]);
  expect((page.objects[1] as { unreadable?: string }).unreadable).toMatch(
    /locked\/: a folder that cannot be read \(EACCES: permission denied\), so its files are not listed/,
  );
});

test('the bucket folder itself unreadable fails the listing with the reason', async () => {
  const { dir, store } = fresh();
  const real = fs.readdirSync;
  jest.spyOn(fs, 'readdirSync').mockImplementation(((path: fs.PathLike, options?: unknown) => {
    if (String(path) === dir) throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
    return real(path, options as never);
  }) as typeof fs.readdirSync);
  await expect(store.list('lake', '')).rejects.toThrow(
    `cannot list ${dir}: a folder that cannot be read (EACCES`,
  );
});

test('a FIFO is listed, and get and head refuse it at once instead of waiting for a writer', async () => {
  const { dir, store } = fresh();
  const fifo = join(dir, 'schema.json');
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  // Should the store open it, this writer (after 2 s) lets the open return, and the get would succeed.
  const writer = spawn('sh', ['-c', `sleep 2; printf '{}' > '${fifo}'`], { stdio: 'ignore' });
  try {
    expect(await keys(store)).toEqual(['schema.json']);
    await expect(body(store, 'schema.json')).rejects.toMatchObject({
      name: 'InputMissingError',
      message: expect.stringContaining(`${fifo} is a FIFO (named pipe), not a regular file`),
    });
    await expect(store.head('lake', 'schema.json')).rejects.toThrow(
      /is a FIFO \(named pipe\), not a regular file/,
    );
  } finally {
    writer.kill('SIGKILL');
  }
});

test('a name of 250 bytes is written: the temporary name is short and hidden whatever the name', async () => {
  const { dir, store } = fresh();
  const name = `${'é'.repeat(120)}abcdefghij`; // 250 bytes, within NAME_MAX (255)
  const writer = store.createWriter('lake', `out/${name}`);
  await writer.write(Buffer.from('x'.repeat(3 << 20)));
  // While it is written, the only entry is hidden: a dataset reader of the folder skips it.
  const during = readdirSync(join(dir, 'out'));
  expect(during).toHaveLength(1);
  expect(during[0]!.startsWith('.')).toBe(true);
  expect(Buffer.byteLength(during[0]!)).toBeLessThan(100);
  await writer.complete();
  expect(readdirSync(join(dir, 'out'))).toEqual([name]);
  expect(await keys(store, 'out/')).toEqual([`out/${name}`]);
});

test('a name too long for the file system fails naming the file and its length', async () => {
  const { store } = fresh();
  const writer = store.createWriter('lake', `${'n'.repeat(256)}.parquet`);
  await expect(
    (async () => {
      await writer.write(Buffer.from('x'));
      await writer.complete();
    })(),
  ).rejects.toThrow(
    /cannot write .*n{20}\.parquet: ENAMETOOLONG: its name is 264 bytes, more than the file system takes \(255\)/,
  );
});

describe('a disk that fills', () => {
  let mount: string | undefined;
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fs-full-'));
    made.push(dir);
    // A 1 MiB tmpfs where this may mount one (root, as in CI); the error injected otherwise.
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]).status === 0) mount = dir;
  });
  afterAll(() => {
    // Lazily if it is busy (a file a failed test left open): no mount may outlive the tests.
    if (mount && spawnSync('umount', [mount]).status !== 0) spawnSync('umount', ['-l', mount]);
  });

  test('ENOSPC fails the write naming the file and what to do; abort leaves nothing behind', async () => {
    const store = new FsObjectStore({ lake: dir });
    if (!mount) {
      const real = fs.writeSync;
      jest.spyOn(fs, 'writeSync').mockImplementation(((fd: number, ...rest: unknown[]) => {
        if (rest[0] instanceof Uint8Array && (rest[0] as Uint8Array).length >= 1 << 20)
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        return real(fd, ...(rest as [never]));
      }) as typeof fs.writeSync);
    }
    const writer = store.createWriter('lake', 'parquet/big.parquet');
    const error = await (async () => {
      for (let i = 0; i < 4; i++) await writer.write(Buffer.alloc(1 << 20, 1));
      await writer.complete();
    })().catch(async (e: unknown) => {
      await writer.abort();
      return e as Error & { code?: string };
    });
    expect(error).toMatchObject({
      code: 'ENOSPC',
      message: expect.stringMatching(
        new RegExp(
          `^cannot write ${join(dir, 'parquet', 'big.parquet')}: ENOSPC: the disk \\(or quota\\) is full .*then redrive the run$`,
        ),
      ),
    });
    expect(readdirSync(join(dir, 'parquet'))).toEqual([]);
  });
});
