import { pinnedObjectSource } from '../../../lambdas/io/object-source';
import type { GetOptions, ObjectBody } from '../../../lambdas/io/object-store';
import { S3TransientError } from '../../../lambdas/shared/errors';
import { MemoryObjectStore } from '../../support/memory-store';

async function text(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const part of chunks) parts.push(part);
  return Buffer.concat(parts).toString();
}

/** A store that records the If-Match of each GET. */
class RecordingStore extends MemoryObjectStore {
  readonly ifMatch: (string | undefined)[] = [];
  override get(bucket: string, key: string, options: GetOptions = {}): Promise<ObjectBody> {
    this.ifMatch.push(options.ifMatch);
    return super.get(bucket, key, options);
  }
}

test('the first read is the given GET; each later one GETs the version it read, pinned with If-Match', async () => {
  const store = new RecordingStore();
  await store.put('b', 'k.csv', 'a\n1\n');
  const etag = (await store.head('b', 'k.csv'))!.etag;
  const source = pinnedObjectSource(store, 'b', 'k.csv', () => store.get('b', 'k.csv'));
  expect(source).toMatchObject({ name: 's3://b/k.csv', etag: undefined, reads: 0 });
  expect(await text(source.open())).toBe('a\n1\n');
  expect(source).toMatchObject({ etag, reads: 1 });
  expect(await text(source.open())).toBe('a\n1\n');
  expect(await text(source.open())).toBe('a\n1\n');
  expect(store.ifMatch).toEqual([undefined, etag, etag]);
  expect(source).toMatchObject({ reads: 3, failure: undefined });
});

test('an object replaced after the first read: the next one fails with InputChangedError, naming the version read', async () => {
  const store = new MemoryObjectStore();
  await store.put('b', 'k.csv', 'a\n1\n');
  const etag = (await store.head('b', 'k.csv'))!.etag;
  const source = pinnedObjectSource(store, 'b', 'k.csv', () => store.get('b', 'k.csv'));
  await text(source.open());
  await store.put('b', 'k.csv', 'a\n2\n');
  const error = await text(source.open()).catch((e: Error) => e);
  expect(error).toMatchObject({
    name: 'InputChangedError',
    message: `s3://b/k.csv changed between the conversion's two passes (version ${etag} when first read): nothing was written; a later attempt converts the current version`,
    cause: { name: 'InputChangedError' },
  });
});

test('a store that gives no ETag cannot be read twice: said, never read unpinned', async () => {
  const store = new MemoryObjectStore();
  await store.put('b', 'k.csv', 'a\n1\n');
  const source = pinnedObjectSource(store, 'b', 'k.csv', async () => chunks('a\n1\n'));
  await text(source.open());
  await expect(text(source.open())).rejects.toThrow(
    's3://b/k.csv: the store gave no ETag for the first read, so a second one cannot be pinned to it',
  );
});

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
}

test('a body that breaks after some bytes ends the read and keeps the error; before any byte, it throws', async () => {
  const store = new MemoryObjectStore();
  const broken = (after: string[]) =>
    Object.assign(
      (async function* () {
        yield* chunks(...after);
        throw new S3TransientError('the body broke');
      })(),
      { etag: '"v1"' },
    );
  const late = pinnedObjectSource(store, 'b', 'k.csv', async () => broken(['a\n', '1\n']));
  expect(await text(late.open())).toBe('a\n1\n');
  expect(late.failure).toMatchObject({ name: 'S3TransientError', message: 'the body broke' });
  const early = pinnedObjectSource(store, 'b', 'k.csv', async () => broken([]));
  await expect(text(early.open())).rejects.toMatchObject({ name: 'S3TransientError' });
  expect(early.failure).toBeUndefined();
});
