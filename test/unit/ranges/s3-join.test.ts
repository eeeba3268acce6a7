/*
 * Ranges of an S3 object converted from ETag-pinned ranged GETs and joined with multipart UploadPartCopy on
 * a real S3 protocol server (fauxqs): the joined Parquet and Avro objects, read back by DuckDB, hyparquet
 * and avsc, equal the one-item conversion of the same file; part objects are deleted; a join that fails
 * half-way aborts its upload and leaves no visible output and no open upload.
 */
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, UploadPartCopyCommand, type S3Client } from '@aws-sdk/client-s3';
import type { OutputFormat } from '../../../lambdas/core/model/options';
import { convertFile } from '../../../lambdas/io/convert-file';
import { S3ObjectStore } from '../../../lambdas/io/s3-object-store';
import { convertObjectInRanges } from '../../../lambdas/ranges/object-ranges';
import { cutEvenly } from '../../../lambdas/ranges/range-plan';
import { readAvro, readParquetWithDuckDB, readParquetWithHyparquet } from '../../support/readers';
import { startS3Server, type S3Server } from '../../support/s3-server';
import { folder } from '../core/table-support';
import { awkwardCsv } from './csv-samples';

let server: S3Server;
let s3: S3Client;
let store: S3ObjectStore;
const storageDir = mkdtempSync(join(tmpdir(), 'ranges-fauxqs-'));

beforeAll(async () => {
  server = await startS3Server({ storageDir });
  s3 = server.client();
  store = new S3ObjectStore(s3);
  await server.createBucket('landing');
  await server.createBucket('lake');
}, 30_000);
afterAll(() => server.stop());

async function download(bucket: string, key: string, path: string): Promise<void> {
  const chunks: Uint8Array[] = [];
  for await (const c of await store.get(bucket, key)) chunks.push(c);
  writeFileSync(path, Buffer.concat(chunks));
}

async function upload(key: string, text: string): Promise<{ etag: string; size: number }> {
  const body = Buffer.from(text);
  // Multipart: fauxqs caps a request body at ~11 MiB.
  const writer = store.createWriter('landing', key);
  await writer.write(body);
  const info = await writer.complete();
  return { etag: info.etag, size: body.length };
}

async function listKeys(bucket: string, prefix: string): Promise<string[]> {
  return (await store.list(bucket, prefix)).objects.map((o) => o.key);
}

/** ~40 MB, with rejects in several ranges and a value widening `n` in the last one. */
const bigCsv = awkwardCsv(400_000, (i) =>
  i % 97_001 === 13 ? `${i},ragged` : i === 390_000 ? `${i},late,12.5,x,2024-01-01` : undefined,
);

describe.each<OutputFormat>(['parquet', 'avro'])('%s on fauxqs', (format) => {
  test('ranges joined with UploadPartCopy equal the one-item conversion', async () => {
    const key = `in/${format}.csv`;
    const { etag, size } = await upload(key, bigCsv);
    // Uncompressed, so that each part passes S3's 5 MiB minimum and is copied by the server.
    const options = { formats: [format], parquetCompression: 'none' as const, avroCodec: 'null' as const };
    const summary = await convertObjectInRanges(
      s3,
      store,
      { bucket: 'landing', key, etag, size },
      format,
      options,
      cutEvenly(size, 4),
      {
        output: { bucket: 'lake', key: `out/data.${format}`, contentType: 'application/octet-stream' },
        rejects: { bucket: 'lake', key: `out/${format}.rejects.csv` },
        parts: { bucket: 'lake', prefix: `_runs/r1/ranges/${format}/` },
      },
    );
    expect(summary?.ranges).toBe(4);
    expect(summary?.rounds).toBe(2);
    const dir = folder('ranges-s3-');
    const input = join(dir, 'in.csv');
    writeFileSync(input, bigCsv);
    const one = await convertFile(input, join(dir, 'one'), options);
    const joined = join(dir, `joined.${format}`);
    await download('lake', `out/data.${format}`, joined);
    if (format === 'parquet') {
      expect((await readParquetWithDuckDB(joined)).rows).toEqual(
        (await readParquetWithDuckDB(one.outputs.parquet!)).rows,
      );
      expect((await readParquetWithHyparquet(joined)).rows).toEqual(
        (await readParquetWithHyparquet(one.outputs.parquet!)).rows,
      );
    } else {
      const [a, b] = [await readAvro(joined), await readAvro(one.outputs.avro!)];
      expect(a.schema).toEqual(b.schema);
      expect(a.rows).toEqual(b.rows);
    }
    await download('lake', `out/${format}.rejects.csv`, join(dir, 'rejects.csv'));
    expect(readFileSync(join(dir, 'rejects.csv'), 'utf8')).toBe(readFileSync(one.outputs.rejects!, 'utf8'));
    expect(summary?.rejectedRows).toBe(5);
    expect(await listKeys('lake', `_runs/r1/ranges/${format}/`)).toEqual([]);
    expect(server.openMultipartUploads()).toEqual([]);
  }, 300_000);
});

test('a join that fails half-way aborts its upload: no output, no rejects, no open upload, no parts', async () => {
  const key = 'in/fault.csv';
  const { etag, size } = await upload(key, bigCsv);
  // The second server-side copy fails.
  let copies = 0;
  const send = s3.send.bind(s3) as (command: unknown) => Promise<unknown>;
  const faulty = Object.create(s3) as S3Client;
  faulty.send = ((command: unknown) => {
    if (command instanceof UploadPartCopyCommand && ++copies === 2)
      return Promise.reject(Object.assign(new Error('injected'), { name: 'AccessDenied' }));
    return send(command);
  }) as S3Client['send'];
  const options = { formats: ['avro' as const], avroCodec: 'null' as const };
  const error = await convertObjectInRanges(
    faulty,
    store,
    { bucket: 'landing', key, etag, size },
    'avro',
    options,
    cutEvenly(size, 3),
    {
      output: { bucket: 'lake', key: 'fault/data.avro' },
      rejects: { bucket: 'lake', key: 'fault/rejects.csv' },
      parts: { bucket: 'lake', prefix: '_runs/r2/ranges/' },
    },
  ).catch((e: Error) => e);
  // The three copies go out at once (JOIN_CONCURRENCY), so the third was sent before the second failed.
  expect(copies).toBe(3);
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).message).toContain('injected');
  expect(await store.head('lake', 'fault/data.avro')).toBeUndefined();
  expect(await store.head('lake', 'fault/rejects.csv')).toBeUndefined();
  expect(server.openMultipartUploads()).toEqual([]);
  expect(await listKeys('lake', '_runs/r2/ranges/')).toEqual([]);
}, 300_000);

test('an object replaced while its ranges convert fails with InputChangedError and writes nothing', async () => {
  const key = 'in/changed.csv';
  const { etag, size } = await upload(key, awkwardCsv(20_000));
  await s3.send(new PutObjectCommand({ Bucket: 'landing', Key: key, Body: 'id\n1\n' }));
  const error = await convertObjectInRanges(
    s3,
    store,
    { bucket: 'landing', key, etag, size },
    'avro',
    { formats: ['avro'] },
    cutEvenly(size, 3),
    {
      output: { bucket: 'lake', key: 'changed/data.avro' },
      rejects: { bucket: 'lake', key: 'changed/rejects.csv' },
      parts: { bucket: 'lake', prefix: '_runs/r3/ranges/' },
    },
  ).catch((e: Error) => e);
  expect((error as Error).name).toBe('InputChangedError');
  expect(await store.head('lake', 'changed/data.avro')).toBeUndefined();
  expect(existsSync(storageDir)).toBe(true);
}, 60_000);
