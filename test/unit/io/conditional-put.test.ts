/*
 * Conditional puts (`ifMatch`, `ifNoneMatch: '*'`) in every ObjectStore: S3 through a real S3 protocol
 * server (fauxqs, behind a proxy that checks the conditions fauxqs ignores; see conditional-s3-proxy.ts),
 * the folder store and the in-memory store of the tests. The folder store across threads and processes is
 * in conditional-put-writers.test.ts.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsObjectStore } from '../../../lambdas/io/fs-object-store';
import { type ObjectStore, WriteConflictError } from '../../../lambdas/io/object-store';
import { readText } from '../../../lambdas/io/object-text';
import { S3ObjectStore } from '../../../lambdas/io/s3-object-store';
import { S3TransientError } from '../../../lambdas/shared/errors';
import { type ConditionalS3Proxy, startConditionalS3Proxy } from '../../support/conditional-s3-proxy';
import { type FaultProxy, startFaultProxy } from '../../support/fault-proxy';
import { MemoryObjectStore } from '../../support/memory-store';
import { type S3Server, startS3Server } from '../../support/s3-server';

const BUCKET = 'lake-bucket';

let server: S3Server;
let proxy: ConditionalS3Proxy;
let dir: string;

function clientFor(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}

beforeAll(async () => {
  server = await startS3Server();
  await server.createBucket(BUCKET);
  proxy = await startConditionalS3Proxy(server.endpoint);
  dir = mkdtempSync(join(tmpdir(), 'conditional-put-'));
});
afterAll(async () => {
  await proxy.stop();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
const stores: [string, () => ObjectStore][] = [
  ['S3 (fauxqs)', () => new S3ObjectStore(clientFor(proxy.endpoint))],
  ['folder', () => new FsObjectStore({ [BUCKET]: join(dir, `fs-${++n}`) })],
  ['memory', () => new MemoryObjectStore()],
];

/** The error a promise rejects with (or undefined when it resolves). */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error;
  }
}

describe.each(stores)('conditional put: %s', (_name, makeStore) => {
  it('If-None-Match * : the first write wins, the second fails and changes nothing', async () => {
    const store = makeStore();

    const first = await store.put(BUCKET, 'c/first.json', 'one', { ifNoneMatch: '*' });
    const second = await failure(store.put(BUCKET, 'c/first.json', 'two', { ifNoneMatch: '*' }));

    expect(first.etag).toBe((await store.head(BUCKET, 'c/first.json'))?.etag);
    expect(second).toBeInstanceOf(WriteConflictError);
    expect(await readText(store, BUCKET, 'c/first.json')).toBe('one');
  });

  it('If-Match: the current ETag wins and gives a new one; a stale ETag fails and changes nothing', async () => {
    const store = makeStore();
    const v1 = await store.put(BUCKET, 'c/match.json', 'version 1');

    const v2 = await store.put(BUCKET, 'c/match.json', 'version 2', { ifMatch: v1.etag });
    const stale = await failure(store.put(BUCKET, 'c/match.json', 'version 3', { ifMatch: v1.etag }));
    const v3 = await store.put(BUCKET, 'c/match.json', 'version 3!', { ifMatch: v2.etag });

    expect(v2.etag).not.toBe(v1.etag);
    expect(stale).toBeInstanceOf(WriteConflictError);
    expect(v3.etag).toBe((await store.head(BUCKET, 'c/match.json'))?.etag);
    expect(await readText(store, BUCKET, 'c/match.json')).toBe('version 3!');
  });

  it('If-Match on a key that does not exist fails', async () => {
    const store = makeStore();

    const error = await failure(store.put(BUCKET, 'c/absent.json', 'x', { ifMatch: '"whatever"' }));

    expect(error).toBeInstanceOf(WriteConflictError);
    expect(await store.head(BUCKET, 'c/absent.json')).toBeUndefined();
  });

  it('the ETag a GET gives is the one an If-Match takes', async () => {
    const store = makeStore();
    await store.put(BUCKET, 'c/get.json', 'read me');

    const body = await store.get(BUCKET, 'c/get.json');
    for await (const part of body) void part;
    const written = await store.put(BUCKET, 'c/get.json', 'read me again', { ifMatch: body.etag! });

    expect(written.etag).toBe((await store.head(BUCKET, 'c/get.json'))?.etag);
  });

  it('8 writers racing on one version: exactly one wins', async () => {
    const store = makeStore();
    const base = await store.put(BUCKET, 'c/race.json', 'base');

    const outcomes = await Promise.all(
      [...Array(8).keys()].map((i) =>
        store.put(BUCKET, 'c/race.json', `writer ${i}`, { ifMatch: base.etag }).then(
          () => i,
          (error: unknown) => error,
        ),
      ),
    );

    const winners = outcomes.filter((o) => typeof o === 'number');
    expect(winners).toHaveLength(1);
    expect(outcomes.filter((o) => o instanceof WriteConflictError)).toHaveLength(7);
    expect(await readText(store, BUCKET, 'c/race.json')).toBe(`writer ${winners[0]}`);
  });

  it('a conditional writer keeps the condition to its completion', async () => {
    const store = makeStore();
    await store.put(BUCKET, 'c/writer.json', 'there');

    const writer = store.createWriter(BUCKET, 'c/writer.json', { ifNoneMatch: '*' });
    await writer.write(Buffer.from('streamed'));
    const error = await failure(writer.complete());
    await writer.abort();

    expect(error).toBeInstanceOf(WriteConflictError);
    expect(await readText(store, BUCKET, 'c/writer.json')).toBe('there');
  });
});

describe('conditional put: S3 specifics', () => {
  let faults: FaultProxy;
  beforeAll(async () => {
    faults = await startFaultProxy(proxy.endpoint);
  });
  afterAll(() => faults.stop());
  afterEach(() => faults.setRule(() => undefined));

  it('409 ConditionalRequestConflict (a concurrent conditional write) is a WriteConflictError', async () => {
    const store = new S3ObjectStore(clientFor(faults.endpoint));
    faults.setRule((r) =>
      r.method === 'PUT' && r.key === 'c/409.json'
        ? { kind: 'error', status: 409, code: 'ConditionalRequestConflict' }
        : undefined,
    );

    const error = await failure(store.put(BUCKET, 'c/409.json', 'x', { ifNoneMatch: '*' }));

    expect(error).toBeInstanceOf(WriteConflictError);
    expect((error as Error).message).toContain('If-None-Match *');
  });

  it('an unconditional write keeps the usual classification (a 503 is transient, not a conflict)', async () => {
    const store = new S3ObjectStore(clientFor(faults.endpoint));
    faults.setRule((r) =>
      r.method === 'PUT' && r.key === 'c/503.json'
        ? { kind: 'error', status: 503, code: 'SlowDown' }
        : undefined,
    );

    const conditional = await failure(store.put(BUCKET, 'c/503.json', 'x', { ifNoneMatch: '*' }));
    const plain = await failure(store.put(BUCKET, 'c/503.json', 'x'));

    expect(conditional).toBeInstanceOf(S3TransientError);
    expect(plain).toBeInstanceOf(S3TransientError);
  });

  it('a multipart upload is conditional at its completion, and aborted when the condition fails', async () => {
    const store = new S3ObjectStore(clientFor(proxy.endpoint), { partBytes: 5 * 1024 * 1024 });
    const v1 = await store.put(BUCKET, 'c/large.bin', 'small first version');
    const large = Buffer.alloc(6 * 1024 * 1024, 7);

    const stale = await failure(store.put(BUCKET, 'c/large.bin', large, { ifMatch: '"stale"' }));
    const written = await store.put(BUCKET, 'c/large.bin', large, { ifMatch: v1.etag });

    expect(stale).toBeInstanceOf(WriteConflictError);
    expect(written.size).toBe(large.length);
    expect((await store.head(BUCKET, 'c/large.bin'))?.size).toBe(large.length);
  });
});

describe('conditional put: folder store specifics', () => {
  it('versions of one size written within one clock tick still have distinct ETags', async () => {
    const store = new FsObjectStore({ [BUCKET]: join(dir, 'ticks') });
    let current = await store.put(BUCKET, 't.json', 'v000', { ifNoneMatch: '*' });
    const seen = new Set([current.etag]);

    for (let i = 1; i < 200; i++) {
      const previous = current.etag;
      current = await store.put(BUCKET, 't.json', `v${String(i).padStart(3, '0')}`, { ifMatch: previous });
      seen.add(current.etag);
    }
    const stale = await failure(store.put(BUCKET, 't.json', 'late', { ifMatch: [...seen][198]! }));

    expect(seen.size).toBe(200);
    expect(stale).toBeInstanceOf(WriteConflictError);
    expect(await readText(store, BUCKET, 't.json')).toBe('v199');
  });

  it("each conditional version's modification time is later than the one it replaces, whatever the clock", async () => {
    // Kernels before 6.13 stamp files with a clock tick (1-4 ms), so that two versions of one size within a
    // tick would share an ETag; this kernel may not, so the guarantee is checked on the times themselves.
    const root = join(dir, 'clock');
    const store = new FsObjectStore({ [BUCKET]: root });
    const v1 = await store.put(BUCKET, 'c.json', 'v1', { ifNoneMatch: '*' });
    const later = Date.now() / 1000 + 3600; // as if written before the clock was set back an hour
    utimesSync(join(root, 'c.json'), later, later);
    const moved = (await store.head(BUCKET, 'c.json'))!.etag;

    await store.put(BUCKET, 'c.json', 'v2', { ifMatch: moved });

    expect(moved).not.toBe(v1.etag);
    expect(statSync(join(root, 'c.json')).mtimeMs).toBeGreaterThan(later * 1000);
    expect(await readText(store, BUCKET, 'c.json')).toBe('v2');
  });

  it('a packed key takes conditions too (the conditional version is a file, found by both stores)', async () => {
    const root = join(dir, 'packed');
    const store = new FsObjectStore({ [BUCKET]: root }, { packed: /^_runs\// });
    const other = new FsObjectStore({ [BUCKET]: root }, { packed: /^_runs\// });
    const v1 = await store.put(BUCKET, '_runs/r/items/a.json', '{"n":1}');

    const v2 = await other.put(BUCKET, '_runs/r/items/a.json', '{"n":2}', { ifMatch: v1.etag });
    const stale = await failure(store.put(BUCKET, '_runs/r/items/a.json', '{"n":3}', { ifMatch: v1.etag }));

    expect(stale).toBeInstanceOf(WriteConflictError);
    expect((await store.head(BUCKET, '_runs/r/items/a.json'))?.etag).toBe(v2.etag);
    expect(await readText(store, BUCKET, '_runs/r/items/a.json')).toBe('{"n":2}');
  });

  it('keeps the metadata of a conditional write, and lists neither locks nor temporary files', async () => {
    const store = new FsObjectStore({ [BUCKET]: join(dir, 'meta') });

    await store.put(BUCKET, '_schemas/a.json', '{}', { ifNoneMatch: '*', metadata: { fingerprint: 'abc' } });
    await failure(store.put(BUCKET, '_schemas/a.json', '{}', { ifNoneMatch: '*' }));
    const listed = await store.list(BUCKET, '');

    expect((await store.head(BUCKET, '_schemas/a.json'))?.metadata).toEqual({ fingerprint: 'abc' });
    expect(listed.objects.map((o) => o.key)).toEqual(['_schemas/a.json']);
  });
});
