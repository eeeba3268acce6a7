/*
 * Inputs larger than Lambda's default /tmp (512 MiB), converted by the converter functions as deployed
 * (issue 12): the stack is synthesized, each converter's asset copied outside the repository and invoked in
 * a fresh Node process with only what Lambda provides and a /tmp of 512 MiB (a tmpfs of its own where
 * mounts are permitted, else a folder whose use is measured), against fauxqs through a proxy that records
 * every request. A file needing a second pass is read again from S3, pinned to the version first read; one
 * replaced between the passes fails with InputChangedError and leaves nothing behind.
 * Takes 1-3 minutes on a 2-core VM: ~630 MB of CSV and a ~560 MB .gz (~850 MB of CSV) are converted.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { closeSync, createWriteStream, openSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { itemRecordKey } from '../../lambdas/handlers/convert-item';
import { query } from '../support/readers';
import { startS3Server, type S3Server } from '../support/s3-server';
import {
  type ConverterBundle,
  invoke,
  type Invocation,
  LAMBDA_TMP_MIB,
  lambdaRuntimeModules,
  synthesizedConverters,
  tmpfsAvailable,
  workFolder,
} from './lambda-bundle';
import { uploadLargeCsv, type UploadedCsv } from './large-csv';
import { startWatchingProxy, type WatchingProxy } from './watching-proxy';

const IN = 'large-in';
const OUT = 'large-out';
/** Bytes of /tmp the functions have, as Lambda's default. */
const TMP_BYTES = LAMBDA_TMP_MIB * 2 ** 20;
/** A late row whose amount (an integer until then) is a decimal: the first pass's guess fails. */
const LATE_ROW = '0,1.5,2026-01-01,Late,widens amount to double';

let work = '';
let server: S3Server;
let proxy: WatchingProxy;
let bundles: Record<'parquet' | 'avro', ConverterBundle>;
let runtime = '';
let tmp = '';

beforeAll(async () => {
  work = workFolder();
  server = await startS3Server();
  proxy = await startWatchingProxy(server.endpoint);
  await server.createBucket(IN);
  await server.createBucket(OUT);
  const [avro, parquet] = synthesizedConverters(work);
  bundles = { avro: avro!, parquet: parquet! };
  runtime = lambdaRuntimeModules(work);
  tmp = tmpfsAvailable() ? 'tmpfs' : join(work, 'tmp');
}, 180_000);

afterEach(async () => {
  proxy.before = async () => undefined;
  for (const bucket of [IN, OUT]) {
    const listed = await server.client().send(new ListObjectsV2Command({ Bucket: bucket }));
    await remove(
      bucket,
      (listed.Contents ?? []).map((o) => o.Key!),
    );
  }
});

afterAll(async () => {
  await proxy?.stop();
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Invokes a converter with an item of `key` as the Distributed Map lists it, through the proxy. */
async function convert(format: 'parquet' | 'avro', key: string, listed: UploadedCsv): Promise<Invocation> {
  const event = {
    bucket: IN,
    key,
    etag: listed.etag,
    size: listed.objectBytes,
    run: {
      runId: 'large',
      inputBucket: IN,
      inputPrefix: 'data/',
      outputBucket: OUT,
      outputPrefixes: { parquet: 'parquet/', avro: 'avro/' },
    },
  };
  return invoke(bundles[format], runtime, event, {
    tmp,
    env: { CSV2LAKE_S3_ENDPOINT: proxy.endpoint },
    killAfterMs: 240_000,
  });
}

/** The GETs of an input key the proxy saw since `from`, with their If-Match and the ETag answered. */
function inputGets(key: string, from: number) {
  return proxy.log
    .slice(from)
    .filter((r) => r.method === 'GET' && r.bucket === IN && r.key === key)
    .map((r) => ({ ifMatch: r.ifMatch, status: r.status, etag: r.etag }));
}

async function download(key: string): Promise<string> {
  const path = join(work, key.replaceAll('/', '_'));
  const r = await server.client().send(new GetObjectCommand({ Bucket: OUT, Key: key }));
  await pipeline(r.Body as Readable, createWriteStream(path));
  return path;
}

async function outputKeys(): Promise<string[]> {
  const listed = await server.client().send(new ListObjectsV2Command({ Bucket: OUT }));
  return (listed.Contents ?? []).map((o) => o.Key!).filter((k) => !k.startsWith('_runs/'));
}

async function remove(bucket: string, keys: readonly string[]): Promise<void> {
  for (const Key of keys) await server.client().send(new DeleteObjectCommand({ Bucket: bucket, Key }));
}

/**
 * Rows of an Avro object container file, from its framing alone (header, then per block: a row count, a
 * byte size, the data, the file's 16-byte sync marker, checked), and its writer schema.
 */
function avroContainer(path: string): {
  rows: number;
  blocks: number;
  schema: { fields: { name: string }[] };
} {
  const fd = openSync(path, 'r');
  try {
    let position = 0;
    const bytes = (n: number) => {
      const b = Buffer.alloc(n);
      const read = readSync(fd, b, 0, n, position);
      position += read;
      return b.subarray(0, read);
    };
    const long = () => {
      let n = 0;
      let shift = 1;
      for (;;) {
        const b = bytes(1)[0];
        if (b === undefined) throw new Error(`${path}: ends inside a number at byte ${position}`);
        n += (b & 0x7f) * shift;
        shift *= 128;
        if (b < 0x80) break;
      }
      return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
    };
    expect(bytes(4).toString('latin1')).toBe('Obj\u0001');
    const meta: Record<string, string> = {};
    for (let count = long(); count !== 0; count = long()) {
      if (count < 0) long(); // the block's byte size
      for (let i = 0; i < Math.abs(count); i++) {
        const name = bytes(long()).toString();
        meta[name] = bytes(long()).toString();
      }
    }
    const sync = bytes(16);
    let rows = 0;
    let blocks = 0;
    for (;;) {
      const start = position;
      if (bytes(1).length === 0) break;
      position = start;
      rows += long();
      const size = long(); // not `position += long()`: that adds to the position before the number
      position += size;
      expect(bytes(16).equals(sync)).toBe(true);
      blocks++;
    }
    return { rows, blocks, schema: JSON.parse(meta['avro.schema']!) };
  } finally {
    closeSync(fd);
  }
}

test(`a CSV larger than /tmp converts through each converter function, streamed: two passes GET one version; /tmp is never used`, async () => {
  const key = 'data/orders.csv';
  const uploaded = await uploadLargeCsv(server.client(), IN, key, {
    bytes: 600 * 2 ** 20,
    lastRow: LATE_ROW,
  });
  expect(uploaded.objectBytes).toBeGreaterThan(TMP_BYTES);

  // Parquet first: the late decimal widens `amount` after the guess, so it reads the file twice.
  let from = proxy.log.length;
  const parquet = await convert('parquet', key, uploaded);
  expect({ error: parquet.error, result: parquet.result }).toMatchObject({
    error: undefined,
    result: { status: 'converted', rows: uploaded.rows, sourceEtag: uploaded.etag },
  });
  expect(parquet.tmpPeakBytes).toBeLessThan(2 ** 20);
  // The second pass is a GET pinned to the ETag the first one read.
  expect(inputGets(key, from)).toEqual([
    { ifMatch: uploaded.etag, status: 200, etag: uploaded.etag },
    { ifMatch: uploaded.etag, status: 200, etag: uploaded.etag },
  ]);
  const file = await download('parquet/orders/orders.parquet');
  expect(
    await query(
      `SELECT count(*)::DOUBLE AS n, count(*) FILTER (WHERE amount = 1.5)::DOUBLE AS late, ` +
        `typeof(any_value(amount)) AS amount FROM '${file}'`,
    ),
  ).toEqual([{ n: uploaded.rows, late: 1, amount: 'DOUBLE' }]);
  rmSync(file);

  // Avro next: the dataset's schema now says double, so its guess holds and it reads the file once.
  from = proxy.log.length;
  const avro = await convert('avro', key, uploaded);
  expect({ error: avro.error, result: avro.result }).toMatchObject({
    error: undefined,
    result: { status: 'converted', rows: uploaded.rows, sourceEtag: uploaded.etag },
  });
  expect(avro.tmpPeakBytes).toBeLessThan(2 ** 20);
  expect(inputGets(key, from)).toEqual([{ ifMatch: uploaded.etag, status: 200, etag: uploaded.etag }]);
  const container = avroContainer(await download('avro/orders/orders.avro'));
  expect(container.rows).toBe(uploaded.rows);
  expect(container.schema.fields.map((f) => f.name)).toEqual(['id', 'amount', 'day', 'name', 'note']);
  console.log(
    `${tmp === 'tmpfs' ? '512 MiB tmpfs' : 'measured folder'}; ${(uploaded.objectBytes / 1e6).toFixed(0)} MB CSV, ` +
      `${uploaded.rows} rows: Parquet (2 passes) ${(parquet.ms / 1000).toFixed(1)} s, ${parquet.maxRssMB} MB RSS; ` +
      `Avro (1 pass) ${(avro.ms / 1000).toFixed(1)} s, ${avro.maxRssMB} MB RSS`,
  );
}, 300_000);

test('a .gz larger than /tmp (compressed) converts, streamed', async () => {
  const key = 'data/events.csv.gz';
  const uploaded = await uploadLargeCsv(server.client(), IN, key, { bytes: 800 * 2 ** 20, gzip: true });
  expect(uploaded.objectBytes).toBeGreaterThan(TMP_BYTES);
  const from = proxy.log.length;
  const avro = await convert('avro', key, uploaded);
  expect({ error: avro.error, result: avro.result }).toMatchObject({
    error: undefined,
    result: { status: 'converted', rows: uploaded.rows, bytesIn: uploaded.objectBytes },
  });
  expect(avro.tmpPeakBytes).toBeLessThan(2 ** 20);
  expect(inputGets(key, from)).toHaveLength(1);
  expect(avroContainer(await download('avro/events/events.csv.gz.avro')).rows).toBe(uploaded.rows);
  console.log(
    `${(uploaded.objectBytes / 1e6).toFixed(0)} MB .gz (${(uploaded.csvBytes / 1e6).toFixed(0)} MB of CSV): ` +
      `Avro ${(avro.ms / 1000).toFixed(1)} s, ${avro.maxRssMB} MB RSS`,
  );
}, 300_000);

test('a file replaced between its two passes fails with InputChangedError (retried); nothing is written', async () => {
  const key = 'data/changing.csv';
  const uploaded = await uploadLargeCsv(server.client(), IN, key, { bytes: 3e6, lastRow: LATE_ROW });
  const from = proxy.log.length;
  // Before the second GET of the file reaches the server, another version replaces it.
  proxy.before = async (request) => {
    if (request.method !== 'GET' || request.key !== key || inputGets(key, from).length !== 2) return;
    await server.client().send(new PutObjectCommand({ Bucket: IN, Key: key, Body: 'id,amount\n1,2\n' }));
  };
  const parquet = await convert('parquet', key, uploaded);
  expect(parquet.error).toEqual({
    name: 'InputChangedError',
    message: `s3://${IN}/${key} changed between the conversion's two passes (version ${uploaded.etag} when first read): nothing was written; a later attempt converts the current version`,
  });
  expect(inputGets(key, from).map((g) => [g.ifMatch, g.status])).toEqual([
    [uploaded.etag, 200],
    [uploaded.etag, 412],
  ]);
  // No output, no rejects, no dataset schema: only the item's record, which says why.
  expect(await outputKeys()).toEqual([]);
  const record = await server
    .client()
    .send(new GetObjectCommand({ Bucket: OUT, Key: itemRecordKey('large', 'parquet', key) }));
  expect(JSON.parse(await record.Body!.transformToString())).toMatchObject({
    status: 'failed',
    error: { type: 'InputChangedError' },
  });
  // The workflow retries it: the next attempt converts the version now there.
  const retried = await convert('parquet', key, uploaded);
  expect(retried.result).toMatchObject({ status: 'converted', rows: 1 });
}, 120_000);
