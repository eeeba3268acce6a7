import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsObjectStore } from '../../../lambdas/io/fs-object-store';

/** Every folder a test made, removed when the file's tests are done. */
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function tempRoot(prefix: string): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  made.push(root);
  return root;
}

function fresh(): { root: string; store: FsObjectStore } {
  const root = tempRoot('fs-store-');
  return { root, store: new FsObjectStore({ lake: join(root, 'lake') }) };
}

async function text(store: FsObjectStore, key: string): Promise<string> {
  const parts: Buffer[] = [];
  for await (const p of await store.get('lake', key)) parts.push(Buffer.from(p));
  return Buffer.concat(parts).toString('utf8');
}

/** The documented ETag of a file: `"<size>-<mtime in µs>-<ctime in µs>"` in hex, from the file itself. */
function statEtag(path: string): string {
  const s = statSync(path);
  const us = (ms: number) => Math.round(ms * 1000).toString(16);
  return `"${s.size.toString(16)}-${us(s.mtimeMs)}-${us(s.ctimeMs)}"`;
}

/** Every file under a folder, relative, sorted. */
function tree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe('keys and paths', () => {
  test('keys with / map to subfolders of the bucket folder', async () => {
    const { root, store } = fresh();
    await store.put('lake', 'a/b/c.csv', 'x\n1\n');
    expect(readFileSync(join(root, 'lake/a/b/c.csv'), 'utf8')).toBe('x\n1\n');
    expect(store.localFile('lake', 'a/b/c.csv')).toBe(join(root, 'lake/a/b/c.csv'));
  });

  test.each(['../x', 'a/../../x', 'a/./b', '/etc/passwd', '..'])('refuses the unsafe key %j', (key) => {
    const { store } = fresh();
    expect(() => store.path('lake', key)).toThrow(/unsafe key/);
    expect(() => store.createWriter('lake', key)).toThrow(/unsafe key/);
  });

  test('refuses an unknown bucket', async () => {
    const { store } = fresh();
    expect(() => store.path('other', 'a')).toThrow(/unknown local bucket other/);
    await expect(store.list('other', '')).rejects.toThrow(/unknown local bucket/);
  });
});

describe('writes', () => {
  test('an object appears only on complete; the ETag is its size and modification time; metadata is kept', async () => {
    const { root, store } = fresh();
    const writer = store.createWriter('lake', 'out/a.parquet', {
      metadata: { 'csv2lake-source-etag': '"e1"' },
    });
    await writer.write(Buffer.from('hello '));
    await writer.write(Buffer.from('world'));
    expect(writer.bytesWritten).toBe(11);
    expect(await store.head('lake', 'out/a.parquet')).toBeUndefined();
    expect((await store.list('lake', '')).objects).toEqual([]);
    const info = await writer.complete();
    const etag = statEtag(join(root, 'lake/out/a.parquet'));
    expect(info).toMatchObject({ key: 'out/a.parquet', size: 11, etag });
    expect(await store.head('lake', 'out/a.parquet')).toMatchObject({
      etag,
      metadata: { 'csv2lake-source-etag': '"e1"' },
    });
    expect(await text(store, 'out/a.parquet')).toBe('hello world');
    // Nothing but the object and its hidden sidecar is left behind.
    const files = tree(join(root, 'lake'));
    expect(files.filter((f) => !f.startsWith('.csv2lake-meta/'))).toEqual(['out/a.parquet']);
    expect(files.some((f) => f.includes('tmp'))).toBe(false);
  });

  test('abort leaves no object and no temporary file; an existing object is untouched', async () => {
    const { root, store } = fresh();
    await store.put('lake', 'k.csv', 'old');
    const writer = store.createWriter('lake', 'k.csv');
    await writer.write(Buffer.from('new content'));
    await writer.abort();
    expect(await text(store, 'k.csv')).toBe('old');
    expect(tree(join(root, 'lake')).filter((f) => !f.startsWith('.csv2lake-meta/'))).toEqual(['k.csv']);
  });

  test('reset discards what was written', async () => {
    const { root, store } = fresh();
    const writer = store.createWriter('lake', 'r.txt', { metadata: { m: '1' } });
    await writer.write(Buffer.from('first try'));
    await writer.reset?.();
    await writer.write(Buffer.from('second'));
    const info = await writer.complete();
    expect(await text(store, 'r.txt')).toBe('second');
    expect(info.etag).toBe(statEtag(join(root, 'lake/r.txt')));
    expect(await store.head('lake', 'r.txt')).toMatchObject({
      etag: info.etag,
      size: 6,
      metadata: { m: '1' },
    });
    expect(info.size).toBe(6);
  });

  test('small and large writes keep their order, and a caller may reuse its buffer once a write resolved', async () => {
    const { root, store } = fresh();
    const writer = store.createWriter('lake', 'big.bin', { metadata: { m: '1' } });
    const reused = Buffer.from('abc');
    await writer.write(reused);
    reused.write('XYZ');
    const large = Buffer.alloc(3 << 20, 7);
    await writer.write(large);
    await writer.write(Buffer.from('tail'));
    const info = await writer.complete();
    const expected = Buffer.concat([Buffer.from('abc'), large, Buffer.from('tail')]);
    expect(info.size).toBe(expected.length);
    expect(info.etag).toBe(statEtag(join(root, 'lake/big.bin')));
    const parts: Buffer[] = [];
    for await (const p of await store.get('lake', 'big.bin')) parts.push(Buffer.from(p));
    expect(Buffer.concat(parts).equals(expected)).toBe(true);
  });

  test('a file replaced by other means loses the metadata recorded for the old content', async () => {
    const { root, store } = fresh();
    await store.put('lake', 'in.csv', 'a\n1\n', { metadata: { m: '1' } });
    writeFileSync(join(root, 'lake/in.csv'), 'a\n22\n');
    const info = await store.head('lake', 'in.csv');
    expect(info?.metadata).toEqual({});
    expect(info?.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$/);
  });

  test('an object rewritten without metadata loses the earlier metadata; its ETag is the size-and-time one everywhere', async () => {
    const { root, store } = fresh();
    await store.put('lake', 'rec.json', '{"v":1}', { metadata: { m: '1' } });
    const info = await store.put('lake', 'rec.json', '{"v":22}');
    expect(info.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$/);
    expect(info.metadata).toEqual({});
    expect(tree(join(root, 'lake')).filter((f) => !f.startsWith('.csv2lake-meta/'))).toEqual(['rec.json']);
    expect(await store.head('lake', 'rec.json')).toMatchObject({ etag: info.etag, size: 8, metadata: {} });
    // Nor does another process (a new store over the same folder) see it.
    const later = new FsObjectStore({ lake: join(root, 'lake') });
    expect(await later.head('lake', 'rec.json')).toMatchObject({ size: 8, metadata: {} });
    expect((await store.list('lake', '')).objects.map((o) => o.etag)).toEqual([info.etag]);
    expect(await text(store, 'rec.json')).toBe('{"v":22}');
  });

  test('metadata is kept in one journal per writer, not a file per object, and other writers see it', async () => {
    const { root, store } = fresh();
    const other = new FsObjectStore({ lake: join(root, 'lake') }); // a second thread or process
    for (let i = 0; i < 20; i++) await store.put('lake', `a/${i}.csv`, 'x', { metadata: { n: String(i) } });
    await other.put('lake', 'b.csv', 'y', { metadata: { n: 'b' } });
    const meta = tree(join(root, 'lake')).filter((f) => f.startsWith('.csv2lake-meta/'));
    expect(meta).toHaveLength(2);
    expect(meta.every((f) => /^\.csv2lake-meta\/journal-[^/]+\.jsonl$/.test(f))).toBe(true);
    const reader = new FsObjectStore({ lake: join(root, 'lake') });
    expect((await reader.head('lake', 'a/7.csv'))?.metadata).toEqual({ n: '7' });
    expect((await reader.head('lake', 'b.csv'))?.metadata).toEqual({ n: 'b' });
  });

  test('a torn journal line (a crash while it was appended) is skipped; the lines before it count', async () => {
    const { root, store } = fresh();
    await store.put('lake', 't.csv', 'a\n1\n', { metadata: { m: '1' } });
    await store.put('lake', 'u.csv', 'a\n2\n', { metadata: { m: '2' } });
    const [journal] = tree(join(root, 'lake')).filter((f) => f.startsWith('.csv2lake-meta/'));
    const path = join(root, 'lake', journal!);
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.slice(0, text.length - 12)); // u.csv's line cut short
    const reader = new FsObjectStore({ lake: join(root, 'lake') });
    expect((await reader.head('lake', 't.csv'))?.metadata).toEqual({ m: '1' });
    const info = await reader.head('lake', 'u.csv');
    expect(info?.metadata).toEqual({});
    expect(info?.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$/);
  });

  test('metadata an earlier version kept in a sidecar per object is still read while it matches the file', async () => {
    const { root, store } = fresh();
    await store.put('lake', 'old.parquet', 'PAR1');
    await store.put('lake', 'gone.parquet', 'PAR1');
    const sidecar = (key: string, size: number, mtimeMs: number) => {
      const name = createHash('sha256').update(key).digest('hex');
      mkdirSync(join(root, 'lake/.csv2lake-meta', name.slice(0, 2)), { recursive: true });
      writeFileSync(
        join(root, 'lake/.csv2lake-meta', name.slice(0, 2), `${name}.json`),
        JSON.stringify({ md5: 'x', size, mtimeMs, metadata: { v: key } }),
      );
    };
    const s = statSync(join(root, 'lake/old.parquet'));
    sidecar('old.parquet', s.size, s.mtimeMs);
    sidecar('gone.parquet', 99, s.mtimeMs); // describes other content
    const reader = new FsObjectStore({ lake: join(root, 'lake') });
    expect((await reader.head('lake', 'old.parquet'))?.metadata).toEqual({ v: 'old.parquet' });
    expect((await reader.head('lake', 'gone.parquet'))?.metadata).toEqual({});
  });

  test('many old journals whose lines are mostly stale are compacted into one, keeping what is live', async () => {
    const { root, store: first } = fresh();
    const lake = join(root, 'lake');
    // Nine nightly runs, each a new writer rewriting the same 10 objects: 90 lines, 10 of them live.
    for (let night = 0; night < 9; night++) {
      const writer = night === 0 ? first : new FsObjectStore({ lake });
      for (let i = 0; i < 10; i++)
        await writer.put('lake', `o/${i}.parquet`, `night ${night} ${'x'.repeat(night)}`, {
          metadata: { night: String(night) },
        });
    }
    const journals = () => tree(lake).filter((f) => f.startsWith('.csv2lake-meta/'));
    expect(journals()).toHaveLength(9);
    // Journals written within the hour are left alone (a writer may still be appending).
    expect((await new FsObjectStore({ lake }).head('lake', 'o/3.parquet'))?.metadata).toEqual({ night: '8' });
    expect(journals()).toHaveLength(9);
    const past = Date.now() / 1000 - 7200;
    for (const j of journals()) utimesSync(join(lake, j), past, past);
    expect((await new FsObjectStore({ lake }).head('lake', 'o/3.parquet'))?.metadata).toEqual({ night: '8' });
    expect(journals()).toHaveLength(1);
    const compacted = readFileSync(join(lake, journals()[0]!), 'utf8').trim().split('\n');
    expect(compacted).toHaveLength(10);
    const reader = new FsObjectStore({ lake });
    for (let i = 0; i < 10; i++)
      expect((await reader.head('lake', `o/${i}.parquet`))?.metadata).toEqual({ night: '8' });
  });

  test('delete removes the object and its metadata; deleting a missing key is no error', async () => {
    const { store } = fresh();
    await store.put('lake', 'd.csv', 'x', { metadata: { m: '1' } });
    await store.delete('lake', 'd.csv');
    await store.delete('lake', 'd.csv');
    expect(await store.head('lake', 'd.csv')).toBeUndefined();
    await expect(store.get('lake', 'd.csv')).rejects.toMatchObject({ name: 'InputMissingError' });
  });
});

describe('files placed by other means', () => {
  test('the ETag changes when the content or the modification time changes, not otherwise', async () => {
    const { root, store } = fresh();
    mkdirSync(join(root, 'lake'), { recursive: true });
    const path = join(root, 'lake/in.csv');
    writeFileSync(path, 'x\n1\n');
    utimesSync(path, 1_700_000_000, 1_700_000_000);
    const first = (await store.head('lake', 'in.csv'))!.etag;
    expect((await store.head('lake', 'in.csv'))!.etag).toBe(first);
    utimesSync(path, 1_700_000_001, 1_700_000_001);
    expect((await store.head('lake', 'in.csv'))!.etag).not.toBe(first);
  });

  test('a rewrite that keeps the size and puts the modification time back is a new version', async () => {
    const { root, store } = fresh();
    mkdirSync(join(root, 'lake'), { recursive: true });
    const path = join(root, 'lake/in.csv');
    writeFileSync(path, 'x\n1\n');
    utimesSync(path, 1_700_000_000, 1_700_000_000);
    const before = (await store.head('lake', 'in.csv'))!;
    // Same size, same mtime, other content: as `cat new > in.csv && touch -d <old time> in.csv` leaves it.
    await new Promise((resolve) => setTimeout(resolve, 5));
    writeFileSync(path, 'x\n2\n');
    utimesSync(path, 1_700_000_000, 1_700_000_000);
    const after = (await store.head('lake', 'in.csv'))!;
    expect(after.size).toBe(before.size);
    expect(after.lastModified).toEqual(before.lastModified);
    expect(after.etag).not.toBe(before.etag);
    // The GET's ETag names the same version as the HEAD's.
    expect((await store.get('lake', 'in.csv')).etag).toBe(after.etag);
  });
});

describe('list', () => {
  test('pages in byte order of the UTF-8 keys, under a prefix, hiding sidecars and temporary files', async () => {
    const { root, store } = fresh();
    const keys = [
      'b/1.csv',
      'a.csv',
      'b/10.csv',
      'b/2.csv',
      'b/é.csv',
      'b/😀.csv',
      'b/\uffff.csv',
      'c/x.csv',
    ];
    for (const key of keys) await store.put('lake', key, key, { metadata: { k: key } });
    // A writer in progress leaves a temporary file, which a listing must not show.
    const pending = store.createWriter('lake', 'b/pending.csv');
    await pending.write(Buffer.from('partial'));
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await store.list('lake', 'b/', { maxKeys: 2, ...(token ? { token } : {}) });
      seen.push(...page.objects.map((o) => o.key));
      for (const o of page.objects) expect(o.size).toBe(Buffer.byteLength(o.key));
      token = page.nextToken;
      pages++;
    } while (token);
    const expected = keys
      .filter((k) => k.startsWith('b/'))
      .sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect(seen).toEqual(expected);
    // U+FFFF sorts before U+1F600 in UTF-8 bytes but after it in UTF-16 code units.
    expect(seen.indexOf('b/\uffff.csv')).toBeLessThan(seen.indexOf('b/😀.csv'));
    expect(pages).toBe(3);
    expect(tree(join(root, 'lake')).some((f) => f.startsWith('.csv2lake-meta/'))).toBe(true);
    await pending.abort();
  });

  test('a prefix that is not a folder boundary matches partial names; an absent folder lists nothing', async () => {
    const { store } = fresh();
    await store.put('lake', 'exports/part-1.csv', '1');
    await store.put('lake', 'exports/part-2.csv', '2');
    await store.put('lake', 'exports-old/part-1.csv', '3');
    expect((await store.list('lake', 'exports/part-')).objects.map((o) => o.key)).toEqual([
      'exports/part-1.csv',
      'exports/part-2.csv',
    ]);
    expect((await store.list('lake', 'export')).objects).toHaveLength(3);
    expect(await store.list('lake', 'nothing/')).toEqual({ objects: [] });
  });
});

describe('packed objects', () => {
  const PACKED = /^runs\/[^/]+\/items\//;

  function packedStore(): { root: string; store: FsObjectStore; other: FsObjectStore } {
    const root = tempRoot('fs-store-packed-');
    const lake = join(root, 'lake');
    // `other` stands for another thread or process writing the same folder.
    return {
      root,
      store: new FsObjectStore({ lake }, { packed: PACKED }),
      other: new FsObjectStore({ lake }, { packed: PACKED }),
    };
  }

  test('small puts under the packed keys are lines of a journal, not a file each, and read back as objects', async () => {
    const { root, store } = packedStore();
    for (let i = 0; i < 50; i++) await store.put('lake', `runs/r1/items/p/${i}.json`, `{"n":${i}}`);
    await store.put('lake', 'runs/r1/report.json', '{}'); // not a packed key: a file
    expect(tree(join(root, 'lake'))).toEqual([
      expect.stringMatching(/^runs\/r1\/items\/p\/\.csv2lake-packed\/journal-\d+-\d+-[0-9a-f]{8}\.jsonl$/),
      'runs/r1/report.json',
    ]);
    expect(await text(store, 'runs/r1/items/p/7.json')).toBe('{"n":7}');
    const head = await store.head('lake', 'runs/r1/items/p/7.json');
    expect(head).toMatchObject({ key: 'runs/r1/items/p/7.json', size: 7, metadata: {} });
    expect(head!.etag).toMatch(/^"7-[0-9a-f]+-[0-9a-f]+"$/);
    const page = await store.list('lake', 'runs/r1/', { maxKeys: 30 });
    expect(page.objects).toHaveLength(30);
    const rest = await store.list('lake', 'runs/r1/', { token: page.nextToken! });
    const keys = [...page.objects, ...rest.objects].map((o) => o.key);
    expect(keys).toEqual(
      [...Array.from({ length: 50 }, (_, i) => `runs/r1/items/p/${i}.json`), 'runs/r1/report.json'].sort(
        (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)),
      ),
    );
    expect(rest.nextToken).toBeUndefined();
  });

  test('the latest put of a key wins, across writers; each writer keeps a journal of its own', async () => {
    const { root, store, other } = packedStore();
    await store.put('lake', 'runs/r1/items/p/a.json', 'first');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await other.put('lake', 'runs/r1/items/p/a.json', 'second, longer');
    await other.put('lake', 'runs/r1/items/p/b.json', 'b');
    for (const reader of [
      store,
      other,
      new FsObjectStore({ lake: join(root, 'lake') }, { packed: PACKED }),
    ]) {
      expect(await text(reader, 'runs/r1/items/p/a.json')).toBe('second, longer');
      expect((await reader.list('lake', 'runs/')).objects.map((o) => [o.key, o.size])).toEqual([
        ['runs/r1/items/p/a.json', 14],
        ['runs/r1/items/p/b.json', 1],
      ]);
    }
    expect(readdirSync(join(root, 'lake/runs/r1/items/p/.csv2lake-packed'))).toHaveLength(2);
  });

  test('delete hides a packed object from head, get and list; a later put brings it back', async () => {
    const { store, other } = packedStore();
    await store.put('lake', 'runs/r1/items/p/a.json', 'one');
    await other.delete('lake', 'runs/r1/items/p/a.json');
    expect(await store.head('lake', 'runs/r1/items/p/a.json')).toBeUndefined();
    await expect(store.get('lake', 'runs/r1/items/p/a.json')).rejects.toThrow(/no longer exists/);
    expect((await store.list('lake', '')).objects).toEqual([]);
    await store.put('lake', 'runs/r1/items/p/a.json', 'two');
    expect(await text(other, 'runs/r1/items/p/a.json')).toBe('two');
  });

  test('a streamed write, a put with metadata or a body that is not UTF-8 makes a file, which then wins', async () => {
    const { root, store } = packedStore();
    const key = 'runs/r1/items/p/a.json';
    await store.put('lake', key, 'packed');
    const writer = store.createWriter('lake', key);
    await writer.write(Buffer.from('streamed'));
    await writer.complete();
    expect(await text(store, key)).toBe('streamed');
    expect((await store.list('lake', '')).objects.map((o) => [o.key, o.size])).toEqual([[key, 8]]);
    await store.put('lake', 'runs/r1/items/p/m.json', 'x', { metadata: { a: '1' } });
    expect((await store.head('lake', 'runs/r1/items/p/m.json'))!.metadata).toEqual({ a: '1' });
    await store.put('lake', 'runs/r1/items/p/bin', Uint8Array.of(0xff, 0xfe));
    expect(tree(join(root, 'lake')).filter((f) => !f.includes('.csv2lake-'))).toEqual([
      'runs/r1/items/p/a.json',
      'runs/r1/items/p/bin',
      'runs/r1/items/p/m.json',
    ]);
    expect([...readFileSync(join(root, 'lake/runs/r1/items/p/bin'))]).toEqual([0xff, 0xfe]);
  });

  test('a torn journal line (a crash while it was appended) is skipped; the lines around it count', async () => {
    const { root, store, other } = packedStore();
    await store.put('lake', 'runs/r1/items/p/a.json', 'a');
    const dir = join(root, 'lake/runs/r1/items/p/.csv2lake-packed');
    const [journal] = readdirSync(dir);
    writeFileSync(join(dir, journal!), '{"n":"b.json","t":1,"s":1,"b":"', { flag: 'a' });
    await other.put('lake', 'runs/r1/items/p/c.json', 'c');
    expect((await store.list('lake', '')).objects.map((o) => o.key)).toEqual([
      'runs/r1/items/p/a.json',
      'runs/r1/items/p/c.json',
    ]);
    expect(await store.head('lake', 'runs/r1/items/p/b.json')).toBeUndefined();
  });
});
