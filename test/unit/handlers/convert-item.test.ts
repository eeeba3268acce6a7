import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import { convert as coreConvert } from '../../../lambdas/core/convert';
import { MalformedCsvError } from '../../../lambdas/core/model/errors';
import {
  convertItem,
  CONVERTER_VERSION,
  INCOMPLETE_ERROR,
  itemRecordKey,
  META,
  STARTED_RECORD_MIN_BYTES,
} from '../../../lambdas/handlers/convert-item';
import { createConverterHandler } from '../../../lambdas/handlers/converter-handler';
import { FsObjectStore } from '../../../lambdas/io/fs-object-store';
import { S3ObjectStore } from '../../../lambdas/io/s3-object-store';
import { converterConfig } from '../../../lambdas/shared/config';
import type { ConvertItem } from '../../../lambdas/shared/payloads';
import { readParquetWithDuckDB } from '../../support/readers';
import { MemoryObjectStore } from '../../support/memory-store';
import { runContext } from '../../support/run-context';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const s3 = mockClient(S3Client);
const run = runContext('run-1', { inputBucket: 'in-bucket', outputBucket: 'out-bucket' });
const item: ConvertItem = {
  bucket: 'in-bucket',
  key: 'landing/2026/orders.csv',
  etag: '"abc"',
  size: 20,
  run,
};
const config = converterConfig({ CSV2LAKE_FORMAT: 'parquet' });

beforeEach(() => s3.reset());

/** The dataset of `item` (`2026`) has no stored schema yet: its GET is answered as S3 answers a missing key. */
function noSchemaYet(): void {
  s3.on(GetObjectCommand, { Bucket: 'out-bucket', Key: '_schemas/2026.json' }).rejects(
    Object.assign(new Error('The specified key does not exist.'), {
      name: 'NoSuchKey',
      $metadata: { httpStatusCode: 404 },
    }),
  );
}

test('skip-unchanged: a matching output is only HEADed, the input is never read', async () => {
  const store = new MemoryObjectStore();
  const handler = createConverterHandler('parquet', { store });
  await store.put('in-bucket', item.key, 'a,b\n1,2\n');
  // The item as the listing gives it: with the object's ETag.
  const listed = { ...item, etag: (await store.head('in-bucket', item.key))!.etag };
  // landing/2026/orders.csv is in the dataset `2026`: its stored schema is read by every conversion (the
  // floor of its types, and what a current output holds).
  const schema = '_schemas/2026.json';
  const first = await handler(listed);
  expect(first.status).toBe('converted');
  // None stored yet: the schema is read, the input, then the schema again as it is created (If-None-Match).
  expect(store.gets).toEqual([schema, item.key, schema]);
  const second = await handler(listed);
  expect(second.status).toBe('skipped');
  expect(store.gets).toEqual([schema, item.key, schema, schema]); // no second GET of the input
  // A changed source ETag converts again.
  expect((await handler({ ...item, etag: '"def"' })).status).toBe('converted');
});

test('a usual night: a new version that fits the stored schema reads the schema once, and writes it not at all', async () => {
  const store = new MemoryObjectStore();
  const handler = createConverterHandler('parquet', { store });
  await store.put('in-bucket', item.key, 'a,b\n1,2\n');
  await handler({ ...item, etag: (await store.head('in-bucket', item.key))!.etag });
  const stored = await store.head('out-bucket', '_schemas/2026.json');
  // The next night's file: other values, the same types.
  await store.put('in-bucket', item.key, 'a,b\n3,4\n5,6\n');
  store.gets.length = 0;
  const next = await handler({ ...item, etag: (await store.head('in-bucket', item.key))!.etag });
  expect(next).toMatchObject({ status: 'converted', rows: 2 });
  expect(store.gets).toEqual(['_schemas/2026.json', item.key]);
  expect((await store.head('out-bucket', '_schemas/2026.json'))!.etag).toBe(stored!.etag);
  expect(JSON.parse(store.text('out-bucket', itemRecordKey('run-1', 'parquet', item.key))!)).toMatchObject({
    status: 'converted',
    schemaVersion: 1,
  });
});

test('the output records the version it was converted from, not the one listed: a file replaced after the listing (or fixed before a redrive) is skipped only while it stays as read', async () => {
  for (const folder of [false, true]) {
    const root = mkdtempSync(join(tmpdir(), 'as-read-'));
    const store = folder
      ? new FsObjectStore({ 'in-bucket': join(root, 'in'), 'out-bucket': join(root, 'out') })
      : new MemoryObjectStore();
    const handler = createConverterHandler('parquet', { store });
    await store.put('in-bucket', item.key, 'a\n1\n');
    const listed = { ...item, etag: (await store.head('in-bucket', item.key))!.etag };
    // Replaced after the listing, with other content, before the converter reads it.
    await store.put('in-bucket', item.key, 'a\n22\n');
    const now = (await store.head('in-bucket', item.key))!.etag;
    expect(now).not.toBe(listed.etag);
    expect(await handler(listed)).toMatchObject({ status: 'converted', rows: 1 });
    const out = await store.head('out-bucket', 'parquet/2026/orders.parquet');
    expect(out!.metadata![META.SOURCE_ETAG]).toBe(now);
    // The next listing shows the version converted: skipped. The listed (old) version would convert again.
    expect((await handler({ ...item, etag: now })).status).toBe('skipped');
    expect((await handler(listed)).status).toBe('converted');
    rmSync(root, { recursive: true, force: true });
  }
});

test('both formats report the version their output holds; an item asking for the current version HEADs the input and pins the GET to it', async () => {
  const store = new MemoryObjectStore();
  await store.put('in-bucket', item.key, 'a\n1\n');
  const v1 = (await store.head('in-bucket', item.key))!.etag;
  const parquet = createConverterHandler('parquet', { store });
  const avro = createConverterHandler('avro', { store });
  expect(await parquet({ ...item, etag: v1 })).toMatchObject({ status: 'converted', sourceEtag: v1 });
  // Replaced after the listing: the Avro converter's GET pinned to the listed version fails, and it reads
  // the current one, which it reports.
  await store.put('in-bucket', item.key, 'a\n2\n');
  const v2 = (await store.head('in-bucket', item.key))!.etag;
  expect(await avro({ ...item, etag: v1 })).toMatchObject({ status: 'converted', sourceEtag: v2 });
  // Listed as v1, the Parquet output (v1) is skipped and says so: the child sees the two versions differ.
  expect(await parquet({ ...item, etag: v1 })).toMatchObject({ status: 'skipped', sourceEtag: v1 });
  // The retry map's items ask for the current version: Parquet converts v2, Avro (already v2) is skipped.
  expect(await parquet({ ...item, etag: v1, current: true })).toMatchObject({
    status: 'converted',
    sourceEtag: v2,
    rows: 1,
  });
  expect(await avro({ ...item, etag: v1, current: true })).toMatchObject({
    status: 'skipped',
    sourceEtag: v2,
  });
});

test('a folder file rewritten while it is converted fails with InputChangedError (retried), and nothing is written', async () => {
  const root = mkdtempSync(join(tmpdir(), 'torn-'));
  const store = new FsObjectStore({ 'in-bucket': join(root, 'in'), 'out-bucket': join(root, 'out') });
  await store.put('in-bucket', item.key, 'a\n1\n2\n');
  const path = store.localFile('in-bucket', item.key);
  for (const outcome of ['succeeds', 'fails'] as const) {
    // The conversion reads the file, which is rewritten under it (as `cat new > file` does) before it ends.
    const convert: typeof coreConvert = async (source, targets, options) => {
      const summary = await coreConvert(source, targets, options);
      writeFileSync(path, 'a\n3\n4\n');
      if (outcome === 'fails') throw new Error('expected 1 fields, found 3');
      return summary;
    };
    const handler = createConverterHandler('parquet', { store, convert });
    const error = await handler(item).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'InputChangedError' });
    expect((error as Error).message).toMatch(/changed while it was converted .* nothing was written/);
    if (outcome === 'fails')
      expect((error as Error).cause).toMatchObject({ message: 'expected 1 fields, found 3' });
    expect(await store.head('out-bucket', 'parquet/2026/orders.parquet')).toBeUndefined();
  }
  // Once it stops changing, the next attempt converts the file whole.
  expect(await createConverterHandler('parquet', { store })(item)).toMatchObject({
    status: 'converted',
    rows: 2,
  });
  rmSync(root, { recursive: true, force: true });
});

test('a converter invoked for a run that does not write its format fails with a data error and writes nothing', async () => {
  const store = new MemoryObjectStore();
  await store.put('in-bucket', item.key, 'a,b\n1,2\n');
  const avroOnly = { ...item, run: { ...run, outputPrefixes: { avro: 'avro/' } } };
  await expect(createConverterHandler('parquet', { store })(avroOnly)).rejects.toMatchObject({
    name: 'InvalidOptionsError',
    message: /run run-1 writes avro, not parquet/,
  });
  expect(await store.list('out-bucket', '')).toMatchObject({ objects: [] });
});

test('skip-unchanged on S3: HeadObject with matching metadata, no GetObject of the input', async () => {
  const { metadata, schema } = await (async () => {
    // Learn the output's metadata (options hash, schema fingerprint) and the stored dataset schema from a
    // real conversion in memory.
    const mem = new MemoryObjectStore();
    await mem.put('in-bucket', item.key, 'a\n1\n');
    await convertItem({ store: mem, config }, item);
    return {
      metadata: (await mem.head('out-bucket', 'parquet/2026/orders.parquet'))!.metadata!,
      schema: mem.text('out-bucket', '_schemas/2026.json')!,
    };
  })();
  s3.on(HeadObjectCommand).resolves({
    ContentLength: 10,
    ETag: '"out"',
    Metadata: {
      [META.SOURCE_ETAG]: '"abc"',
      [META.VERSION]: CONVERTER_VERSION,
      [META.OPTIONS]: metadata[META.OPTIONS]!,
      [META.SCHEMA]: metadata[META.SCHEMA]!,
      [META.SOURCE_KEY]: encodeURIComponent(item.key),
    },
  });
  // The dataset's stored schema, as S3 answers its GET.
  s3.on(GetObjectCommand, { Bucket: 'out-bucket', Key: '_schemas/2026.json' }).resolves({
    Body: Readable.from([Buffer.from(schema)]) as never,
    ETag: '"schema-1"',
  });
  s3.on(PutObjectCommand).resolves({ ETag: '"rec"' });
  const result = await convertItem(
    { store: new S3ObjectStore(new S3Client({ region: 'us-east-1' })), config },
    item,
  );
  expect(result.status).toBe('skipped');
  // One GET, of the dataset's schema (a skip needs the output to hold its fingerprint); none of the input.
  expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key)).toEqual(['_schemas/2026.json']);
  expect(s3.commandCalls(HeadObjectCommand)).toHaveLength(1);
  expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input.Key).toBe(
    itemRecordKey('run-1', 'parquet', item.key),
  );
});

test('a failure after a part was uploaded aborts the multipart upload; nothing completes', async () => {
  s3.on(HeadObjectCommand).rejects(
    Object.assign(new Error('not found'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }),
  );
  s3.on(GetObjectCommand).resolves({ Body: Readable.from([Buffer.from('a\n1\n')]) as never });
  noSchemaYet();
  s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-1' });
  s3.on(UploadPartCommand).resolves({ ETag: '"p1"' });
  s3.on(AbortMultipartUploadCommand).resolves({});
  s3.on(PutObjectCommand).resolves({ ETag: '"rec"' });
  const failing = async (
    _source: unknown,
    targets: { parquet?: { write(c: Uint8Array): Promise<void> | void } },
  ) => {
    await targets.parquet!.write(new Uint8Array(9 * 1024 * 1024)); // one full part goes up
    throw new MalformedCsvError('s3://in-bucket/landing/2026/orders.csv: more than 1000 rows rejected');
  };
  const store = new S3ObjectStore(new S3Client({ region: 'us-east-1' }));
  // A file large enough for that much output, and for a "started" record.
  const large = { ...item, size: 10 << 20 };
  await expect(convertItem({ store, config, convert: failing as never }, large)).rejects.toMatchObject({
    name: 'MalformedCsvError',
  });
  expect(s3.commandCalls(UploadPartCommand)).toHaveLength(1);
  expect(s3.commandCalls(AbortMultipartUploadCommand)[0]!.args[0].input).toMatchObject({
    UploadId: 'up-1',
    Key: 'parquet/2026/orders.parquet',
  });
  expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  // The failure is recorded for the reducer.
  const records = s3
    .commandCalls(PutObjectCommand)
    .filter((c) => c.args[0].input.Key === itemRecordKey('run-1', 'parquet', item.key));
  expect(records).toHaveLength(2); // "started", then the outcome over it
  const record = records[1]!;
  expect(JSON.parse(String(record.args[0].input.Body))).toMatchObject({
    status: 'failed',
    error: { type: 'MalformedCsvError' },
  });
});

test('error names: S3 throttling is S3TransientError (retried); a missing input is InputMissingError (not retried)', async () => {
  s3.on(HeadObjectCommand).rejects(
    Object.assign(new Error('nf'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }),
  );
  s3.on(PutObjectCommand).resolves({});
  s3.on(GetObjectCommand, { Key: item.key }).rejectsOnce(
    Object.assign(new Error('Please reduce your request rate.'), {
      name: 'SlowDown',
      $metadata: { httpStatusCode: 503 },
    }),
  );
  noSchemaYet();
  const store = new S3ObjectStore(new S3Client({ region: 'us-east-1' }));
  await expect(convertItem({ store, config }, item)).rejects.toMatchObject({ name: 'S3TransientError' });
  // The refused GET was the input's (the dataset's schema, not there yet, was read before it).
  expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key)).toEqual([
    '_schemas/2026.json',
    item.key,
  ]);
  s3.on(GetObjectCommand).rejects(
    Object.assign(new Error('gone'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }),
  );
  await expect(convertItem({ store, config }, item)).rejects.toMatchObject({ name: 'InputMissingError' });
});

test('converts end to end (in-memory store): output, rejects under _rejects/, keys derived from the input', async () => {
  const store = new MemoryObjectStore();
  await store.put('in-bucket', item.key, 'id,name\n1,a\n2\n3,c\n');
  const result = await convertItem({ store, config }, item);
  expect(result).toMatchObject({
    status: 'converted',
    rows: 2,
    rejectedRows: 1,
    outputKey: 'parquet/2026/orders.parquet',
    rejectsKey: '_rejects/2026/orders.rejects.csv',
  });
  expect(store.text('out-bucket', '_rejects/2026/orders.rejects.csv')).toBe(
    'line,reason,raw\n3,"expected 2 fields, found 1",2\n',
  );
  const dir = mkdtempSync(join(tmpdir(), 'h-'));
  writeFileSync(join(dir, 'o.parquet'), store.objects.get('out-bucket/parquet/2026/orders.parquet')!.body);
  // `id` is an int64 (BIGINT), which DuckDB renders as text.
  expect((await readParquetWithDuckDB(join(dir, 'o.parquet'))).rows).toEqual([
    ['1', 'a'],
    ['3', 'c'],
  ]);
});

test('a file too large for the time left is refused before it is read', async () => {
  const store = new MemoryObjectStore();
  await store.put('in-bucket', item.key, 'a\n1\n');
  const big = { ...item, size: 10_000_000_000 };
  await expect(convertItem({ store, config, remainingMs: () => 60_000 }, big)).rejects.toMatchObject({
    name: 'InputTooLargeError',
    message: expect.stringMatching(/10000 MB.*raise the converter's timeout\/memory or split the file/),
  });
  // Only the dataset's schema, which the skip check before it needs; never the input.
  expect(store.gets).toEqual(['_schemas/2026.json']);
});

test.each([
  [
    'at least 1 MiB: while it converts, its record says "started, never finished"',
    STARTED_RECORD_MIN_BYTES,
    true,
  ],
  ['under 1 MiB: no record until the outcome', STARTED_RECORD_MIN_BYTES - 1, false],
])('an input %s; the outcome replaces it', async (_what, size, started) => {
  const store = new MemoryObjectStore();
  await store.put('in-bucket', item.key, 'a\n1\n');
  const recordKey = itemRecordKey('run-1', 'parquet', item.key);
  let during: unknown;
  const convert = async (_source: unknown, targets: { parquet?: { write(c: Uint8Array): unknown } }) => {
    const text = store.text('out-bucket', recordKey);
    during = text === undefined ? undefined : JSON.parse(text);
    await targets.parquet!.write(Buffer.from('PAR1'));
    return { rows: 1, rejectedRows: 0, columns: [], bytesIn: 4, bytesOut: { parquet: 4 } };
  };
  const result = await convertItem({ store, config, convert: convert as never }, { ...item, size });
  if (started) expect(during).toMatchObject({ status: 'failed', error: { type: INCOMPLETE_ERROR } });
  else expect(during).toBeUndefined();
  expect(result.status).toBe('converted');
  expect(JSON.parse(store.text('out-bucket', recordKey)!)).toMatchObject({ status: 'converted', rows: 1 });
});
