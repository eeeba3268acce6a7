import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type UploadPartCommandInput,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import { S3ObjectStore } from '../../../lambdas/io/s3-object-store';

const s3 = mockClient(S3Client);
const store = new S3ObjectStore(new S3Client({ region: 'us-east-1' }));
const MiB = 1024 * 1024;
const s3Error = (name: string, status: number) =>
  Object.assign(new Error(`${name} from S3`), { name, $metadata: { httpStatusCode: status } });

beforeEach(() => s3.reset());

/** n bytes of a repeating 0..250 pattern (a misplaced or dropped byte changes the content). */
const cycle = Uint8Array.from({ length: 251 }, (_, i) => i);
const pattern = (n: number) => new Uint8Array(Buffer.alloc(n, cycle));

describe('createWriter', () => {
  test('streams 8 MiB parts as bytes arrive, with the metadata on the upload, and completes in order', async () => {
    // The writer reuses its part buffer, so keep a copy of each part as the SDK would have sent it.
    const sent: Buffer[] = [];
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
    s3.on(UploadPartCommand).callsFake((input: UploadPartCommandInput) => {
      sent.push(Buffer.from(input.Body as Uint8Array));
      return { ETag: `"p${input.PartNumber}"` };
    });
    s3.on(CompleteMultipartUploadCommand).resolves({ ETag: '"whole"' });
    const writer = store.createWriter('out', 'parquet/a b/é.parquet', {
      metadata: { 'csv2lake-source-etag': '"abc"' },
      contentType: 'application/octet-stream',
    });
    const total = 20 * MiB + 5;
    const data = pattern(total);
    for (let at = 0; at < total; at += 3 * MiB) {
      await writer.write(data.subarray(at, Math.min(total, at + 3 * MiB)));
      // Never more than one part held in memory: parts go up while writing, not at the end.
      expect(sent.length).toBe(Math.floor(writer.bytesWritten / (8 * MiB)));
    }
    const info = await writer.complete();

    expect(info).toEqual({ key: 'parquet/a b/é.parquet', size: total, etag: '"whole"' });
    expect(s3.commandCalls(CreateMultipartUploadCommand)[0]!.args[0].input).toEqual({
      Bucket: 'out',
      Key: 'parquet/a b/é.parquet',
      ContentType: 'application/octet-stream',
      Metadata: { 'csv2lake-source-etag': '"abc"' },
    });
    expect(sent.map((p) => p.length)).toEqual([8 * MiB, 8 * MiB, 4 * MiB + 5]);
    expect(Buffer.concat(sent).equals(Buffer.from(data))).toBe(true);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input.MultipartUpload).toEqual({
      Parts: [
        { ETag: '"p1"', PartNumber: 1 },
        { ETag: '"p2"', PartNumber: 2 },
        { ETag: '"p3"', PartNumber: 3 },
      ],
    });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  test('an object smaller than a part is one PutObject at complete, with its metadata', async () => {
    s3.on(PutObjectCommand).resolves({ ETag: '"small"' });
    const writer = store.createWriter('out', 'k.avro', { metadata: { m: 'v' }, contentType: 'x/y' });
    await writer.write(Buffer.from('hello '));
    await writer.write(Buffer.from('world'));
    expect(s3.calls()).toHaveLength(0); // nothing visible before complete
    expect(await writer.complete()).toEqual({ key: 'k.avro', size: 11, etag: '"small"' });
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ Bucket: 'out', Key: 'k.avro', ContentType: 'x/y', Metadata: { m: 'v' } });
    expect(Buffer.from(put.Body as Uint8Array).toString()).toBe('hello world');
    expect(s3.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
  });

  test('a failed part is a transient error by name, and abort discards the upload', async () => {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u2' });
    s3.on(UploadPartCommand).resolvesOnce({ ETag: '"p1"' }).rejects(s3Error('SlowDown', 503));
    s3.on(AbortMultipartUploadCommand).resolves({});
    const writer = store.createWriter('out', 'k.parquet');
    await writer.write(pattern(8 * MiB));
    await expect(writer.write(pattern(8 * MiB))).rejects.toMatchObject({
      name: 'S3TransientError',
      message: expect.stringContaining('SlowDown'),
    });
    await writer.abort();
    expect(s3.commandCalls(AbortMultipartUploadCommand)[0]!.args[0].input).toEqual({
      Bucket: 'out',
      Key: 'k.parquet',
      UploadId: 'u2',
    });
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  });

  test('reset aborts the upload so far and starts a new one (second conversion pass)', async () => {
    let uploads = 0;
    s3.on(CreateMultipartUploadCommand).callsFake(() => ({ UploadId: `u${++uploads}` }));
    s3.on(UploadPartCommand).resolves({ ETag: '"p"' });
    s3.on(AbortMultipartUploadCommand).resolves({});
    s3.on(CompleteMultipartUploadCommand).resolves({ ETag: '"e"' });
    const writer = store.createWriter('out', 'k.parquet');
    await writer.write(pattern(9 * MiB));
    await writer.reset!();
    expect(writer.bytesWritten).toBe(0);
    await writer.write(pattern(9 * MiB));
    expect((await writer.complete()).size).toBe(9 * MiB);
    expect(s3.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input.UploadId)).toEqual(['u1']);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input.UploadId).toBe('u2');
  });
});

describe('reads', () => {
  test('head: metadata and ETag, undefined when absent, transient on 500', async () => {
    s3.on(HeadObjectCommand, { Key: 'there' }).resolves({
      ContentLength: 3,
      ETag: '"e"',
      Metadata: { a: 'b' },
    });
    s3.on(HeadObjectCommand, { Key: 'gone' }).rejects(s3Error('NotFound', 404));
    s3.on(HeadObjectCommand, { Key: 'flaky' }).rejects(s3Error('InternalError', 500));
    expect(await store.head('b', 'there')).toMatchObject({
      key: 'there',
      size: 3,
      etag: '"e"',
      metadata: { a: 'b' },
    });
    expect(await store.head('b', 'gone')).toBeUndefined();
    await expect(store.head('b', 'flaky')).rejects.toMatchObject({ name: 'S3TransientError' });
  });

  test('get: a missing key is InputMissingError; a connection reset mid-body is S3TransientError', async () => {
    s3.on(GetObjectCommand, { Key: 'gone' }).rejects(s3Error('NoSuchKey', 404));
    await expect(store.get('b', 'gone')).rejects.toMatchObject({ name: 'InputMissingError' });
    const broken = new Readable({ read() {} });
    broken.push(Buffer.from('a,b\n'));
    setImmediate(() => broken.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })));
    s3.on(GetObjectCommand, { Key: 'reset' }).resolves({ Body: broken as never });
    const body = await store.get('b', 'reset');
    const read = async () => {
      for await (const chunk of body) void chunk;
    };
    await expect(read()).rejects.toMatchObject({ name: 'S3TransientError' });
  });

  const readAll = async (body: AsyncIterable<Uint8Array>) => {
    let n = 0;
    for await (const chunk of body) n += chunk.length;
    return n;
  };

  test('get: a body error of any kind (here a premature close) is S3TransientError, naming the bytes read', async () => {
    const broken = new Readable({ read() {} });
    broken.push(Buffer.from('a,b\n'));
    setImmediate(() =>
      broken.destroy(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' })),
    );
    s3.on(GetObjectCommand).resolves({ Body: broken as never, ContentLength: 100 });
    await expect(readAll(await store.get('b', 'k'))).rejects.toMatchObject({
      name: 'S3TransientError',
      message: expect.stringContaining('broke after 4 bytes'),
    });
  });

  test('get: a body that delivers nothing for the idle timeout is destroyed and S3TransientError', async () => {
    const stalled = new Readable({ read() {} });
    stalled.push(Buffer.from('a,b\n'));
    s3.on(GetObjectCommand).resolves({ Body: stalled as never, ContentLength: 100 });
    const quick = new S3ObjectStore(new S3Client({ region: 'us-east-1' }), { idleTimeoutMs: 50 });
    await expect(readAll(await quick.get('b', 'k'))).rejects.toMatchObject({
      name: 'S3TransientError',
      message: expect.stringContaining('stalled'),
    });
    expect(stalled.destroyed).toBe(true);
  });

  test('get: a body that ends before its Content-Length is S3TransientError, not a shorter file', async () => {
    s3.on(GetObjectCommand).resolves({
      Body: Readable.from([Buffer.from('a,b\n1,')]) as never,
      ContentLength: 12,
    });
    await expect(readAll(await store.get('b', 'k'))).rejects.toMatchObject({
      name: 'S3TransientError',
      message: expect.stringContaining('ended after 6 of 12 bytes'),
    });
    s3.on(GetObjectCommand).resolves({
      Body: Readable.from([Buffer.from('a,b\n1,2\n')]) as never,
      ContentLength: 8,
      ETag: '"v2"',
    });
    const body = await store.get('b', 'k');
    // The ETag of the version this GET read, which the converter records on its output.
    expect(body.etag).toBe('"v2"');
    expect(await readAll(body)).toBe(8);
  });

  test('get: a reader that stops early destroys the body', async () => {
    const body = new Readable({ read() {} });
    body.push(Buffer.from('a,b\n'));
    s3.on(GetObjectCommand).resolves({ Body: body as never, ContentLength: 100 });
    for await (const chunk of await store.get('b', 'k')) {
      expect(chunk.length).toBe(4);
      break;
    }
    expect(body.destroyed).toBe(true);
  });

  test('part size: from CSV2LAKE_S3_PART_BYTES, at least 5 MiB (S3 refuses smaller parts)', async () => {
    process.env.CSV2LAKE_S3_PART_BYTES = String(1 << 20);
    expect(() => new S3ObjectStore(new S3Client({ region: 'us-east-1' }))).toThrow(
      /CSV2LAKE_S3_PART_BYTES must be a whole number >= 5242880, not 1048576/,
    );
    process.env.CSV2LAKE_S3_PART_BYTES = String(5 * MiB);
    const sizes: number[] = [];
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u' });
    s3.on(UploadPartCommand).callsFake((input: UploadPartCommandInput) => {
      sizes.push((input.Body as Uint8Array).length);
      return { ETag: '"p"' };
    });
    s3.on(CompleteMultipartUploadCommand).resolves({ ETag: '"w"' });
    const writer = new S3ObjectStore(new S3Client({ region: 'us-east-1' })).createWriter('o', 'k');
    delete process.env.CSV2LAKE_S3_PART_BYTES;
    await writer.write(pattern(11 * MiB));
    await writer.complete();
    expect(sizes).toEqual([5 * MiB, 5 * MiB, MiB]);
  });

  test('put: a body larger than a part is a multipart upload (request bodies stay within a part)', async () => {
    const sizes: number[] = [];
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'big' });
    s3.on(UploadPartCommand).callsFake((input: UploadPartCommandInput) => {
      sizes.push((input.Body as Uint8Array).length);
      return { ETag: `"p${input.PartNumber}"` };
    });
    s3.on(CompleteMultipartUploadCommand).resolves({ ETag: '"whole"' });
    s3.on(PutObjectCommand).resolves({ ETag: '"small"' });
    expect(await store.put('o', 'big.json', pattern(9 * MiB))).toMatchObject({
      size: 9 * MiB,
      etag: '"whole"',
    });
    expect(sizes).toEqual([8 * MiB, MiB]);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(await store.put('o', 'small.json', '{}')).toMatchObject({ size: 2, etag: '"small"' });
  });

  test('a permission error is neither missing nor transient: it keeps its own name', async () => {
    s3.on(GetObjectCommand).rejects(s3Error('AccessDenied', 403));
    await expect(store.get('b', 'k')).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  test('list: one page at a time, continuation token passed through', async () => {
    s3.on(ListObjectsV2Command, { ContinuationToken: undefined }).resolves({
      Contents: [{ Key: 'p/a.csv', Size: 1, ETag: '"1"' }],
      IsTruncated: true,
      NextContinuationToken: 't2',
    });
    s3.on(ListObjectsV2Command, { ContinuationToken: 't2' }).resolves({
      Contents: [{ Key: 'p/b.csv', Size: 2, ETag: '"2"' }],
      IsTruncated: false,
    });
    const first = await store.list('b', 'p/');
    expect(first).toEqual({ objects: [{ key: 'p/a.csv', size: 1, etag: '"1"' }], nextToken: 't2' });
    const second = await store.list('b', 'p/', { token: first.nextToken! });
    expect(second).toEqual({ objects: [{ key: 'p/b.csv', size: 2, etag: '"2"' }] });
  });
});
