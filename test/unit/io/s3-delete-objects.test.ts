/*
 * Deleting many keys: S3ObjectStore.deleteMany (DeleteObjects, 1,000 keys a request, per-key failures that
 * S3 answers with HTTP 200 retried and thrown as a DeleteObject's would be), the deleteObjects fallback of
 * a store without it.
 */
import { DeleteObjectsCommand, S3Client, type DeleteObjectsCommandInput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { deleteObjects, type ObjectStore } from '../../../lambdas/io/object-store';
import { S3ObjectStore } from '../../../lambdas/io/s3-object-store';
import { MemoryObjectStore } from '../../support/memory-store';

const s3 = mockClient(S3Client);
const store = new S3ObjectStore(new S3Client({ region: 'us-east-1' }));
const keysOf = (n: number) => Array.from({ length: n }, (_, i) => `_runs/r/ranges/parquet/h/p-${i}`);
/** The keys each DeleteObjects request named, in order. */
const requests = () =>
  s3
    .commandCalls(DeleteObjectsCommand)
    .map((c) => (c.args[0].input as DeleteObjectsCommandInput).Delete!.Objects!.map((o) => o.Key));

beforeEach(() => s3.reset());

describe('S3ObjectStore.deleteMany', () => {
  test('2,500 keys are three quiet DeleteObjects requests of 1,000, 1,000 and 500', async () => {
    s3.on(DeleteObjectsCommand).resolves({});
    const keys = keysOf(2_500);

    await store.deleteMany('out', keys);

    expect(requests().map((r) => r.length)).toEqual([1000, 1000, 500]);
    expect(requests().flat()).toEqual(keys);
    const input = s3.commandCalls(DeleteObjectsCommand)[0]!.args[0].input as DeleteObjectsCommandInput;
    expect(input).toMatchObject({ Bucket: 'out', Delete: { Quiet: true } });
  });

  test('a key S3 answers SlowDown for (HTTP 200) is sent again alone, and then it is deleted', async () => {
    const keys = keysOf(4);
    s3.on(DeleteObjectsCommand)
      .resolvesOnce({
        Errors: [{ Key: keys[2], Code: 'SlowDown', Message: 'Please reduce your request rate.' }],
      })
      .resolves({});

    await store.deleteMany('out', keys);

    expect(requests()).toEqual([keys, [keys[2]]]);
  });

  test('a key refused (AccessDenied) is not retried: every other key is tried, then its error is thrown by name', async () => {
    const keys = keysOf(1_200);
    s3.on(DeleteObjectsCommand).callsFake((input: DeleteObjectsCommandInput) => ({
      Errors: input
        .Delete!.Objects!.filter((o) => o.Key!.endsWith('-7') || o.Key!.endsWith('-1100'))
        .map((o) => ({ Key: o.Key, Code: 'AccessDenied', Message: 'Access Denied' })),
    }));

    const error = await store.deleteMany('out', keys).catch((e: Error) => e);

    // Both batches were sent once: a lasting error is not retried, and does not stop the next batch.
    expect(requests().map((r) => r.length)).toEqual([1000, 200]);
    expect(error).toMatchObject({ name: 'AccessDenied' });
    expect((error as Error).message).toContain(`s3://out/${keys[7]}: Access Denied`);
    expect((error as Error).message).toContain('(1 more keys not deleted)');
  });

  test("a key that keeps failing with InternalError is tried the SDK's attempts (3), then S3TransientError", async () => {
    const keys = keysOf(3);
    s3.on(DeleteObjectsCommand).callsFake((input: DeleteObjectsCommandInput) => ({
      Errors: input
        .Delete!.Objects!.filter((o) => o.Key === keys[0])
        .map((o) => ({ Key: o.Key, Code: 'InternalError', Message: 'We encountered an internal error.' })),
    }));

    const error = await store.deleteMany('out', keys).catch((e: Error) => e);

    expect(requests()).toEqual([keys, [keys[0]], [keys[0]]]);
    expect(error).toMatchObject({ name: 'S3TransientError' });
    expect((error as Error).message).toContain(`DELETE s3://out/${keys[0]}: InternalError`);
  });

  test('a request that fails as a whole (503) fails its keys as S3TransientError', async () => {
    s3.on(DeleteObjectsCommand).rejects(
      Object.assign(new Error('Service Unavailable'), {
        name: 'ServiceUnavailable',
        $metadata: { httpStatusCode: 503 },
      }),
    );

    const error = await store.deleteMany('out', keysOf(2)).catch((e: Error) => e);

    expect(error).toMatchObject({ name: 'S3TransientError' });
    expect((error as Error).message).toContain(`DELETE s3://out/${keysOf(1)[0]} and 1 more keys`);
  });
});

describe('deleteObjects', () => {
  test('uses the store’s deleteMany when it has one, and sends nothing for no keys', async () => {
    s3.on(DeleteObjectsCommand).resolves({});

    await deleteObjects(store, 'out', []);
    await deleteObjects(store, 'out', keysOf(3));

    expect(requests()).toEqual([keysOf(3)]);
  });

  test('a store without deleteMany: a delete each, every key tried before the first failure is thrown', async () => {
    const memory = new MemoryObjectStore();
    for (const key of keysOf(4)) await memory.put('out', key, 'x');
    const refusing: ObjectStore = Object.assign(Object.create(memory) as MemoryObjectStore, {
      delete: async (bucket: string, key: string) => {
        if (key === keysOf(2)[1]) throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
        await memory.delete(bucket, key);
      },
    });

    const error = await deleteObjects(refusing, 'out', keysOf(4)).catch((e: Error) => e);

    expect(error).toMatchObject({ name: 'AccessDenied' });
    expect([...memory.objects.keys()]).toEqual([`out/${keysOf(2)[1]}`]);
  });
});
