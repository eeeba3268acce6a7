/*
 * One large key converted on two threads by the converter functions as deployed (issue 12: converters with
 * two or more vCPUs use both): the stack is synthesized, each converter's asset copied outside the
 * repository and invoked in a fresh Node process with only what Lambda provides (lambda-bundle.ts), against
 * fauxqs through a proxy that records every request. The asset's own bundle is its range threads' script.
 * The two-thread output equals the one-thread one (DuckDB, row by row in order, for Parquet; avsc, row by
 * row in order, for Avro); a part that cannot be written fails the item with a retryable error and leaves
 * nothing: no output, no part, no open upload.
 * Takes 2-4 minutes on a 2-core VM: ~300 MB of CSV converted four times.
 */
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import * as avro from 'avsc';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { codecs, query, sqlPath } from '../support/readers';
import { startS3Server, type S3Server } from '../support/s3-server';
import {
  type ConverterBundle,
  invoke,
  type Invocation,
  lambdaRuntimeModules,
  synthesizedConverters,
  tmpfsAvailable,
  workFolder,
} from './lambda-bundle';
import { uploadLargeCsv, type UploadedCsv } from './large-csv';
import { startWatchingProxy, type WatchingProxy } from './watching-proxy';

const IN = 'threads-in';
const OUT = 'threads-out';
/** A late row whose amount (an integer until then) is a decimal: every range converts twice. */
const LATE_ROW = '0,1.5,2026-01-01,Late,widens amount to double';

let work = '';
let storage = '';
let server: S3Server;
let proxy: WatchingProxy;
let bundles: Record<'parquet' | 'avro', ConverterBundle>;
let runtime = '';
let tmp = '';
let uploaded: UploadedCsv;
const KEY = 'data/orders.csv';

beforeAll(async () => {
  work = workFolder();
  storage = mkdtempSync(join(work, 'fauxqs-'));
  server = await startS3Server({ storageDir: storage });
  proxy = await startWatchingProxy(server.endpoint);
  await server.createBucket(IN);
  await server.createBucket(OUT);
  const [avroBundle, parquetBundle] = synthesizedConverters(work);
  bundles = { avro: avroBundle!, parquet: parquetBundle! };
  runtime = lambdaRuntimeModules(work);
  tmp = tmpfsAvailable() ? 'tmpfs' : join(work, 'tmp');
  uploaded = await uploadLargeCsv(server.client(), IN, KEY, { bytes: 300 * 2 ** 20, lastRow: LATE_ROW });
}, 300_000);

afterAll(async () => {
  await proxy?.stop();
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Invokes a converter on KEY through the proxy, with `threads` threads, writing the run `runId`. */
function convert(format: 'parquet' | 'avro', threads: number, runId: string): Promise<Invocation> {
  const event = {
    bucket: IN,
    key: KEY,
    etag: uploaded.etag,
    size: uploaded.objectBytes,
    run: {
      runId,
      inputBucket: IN,
      inputPrefix: 'data/',
      outputBucket: OUT,
      outputPrefixes: { parquet: `${runId}/parquet/`, avro: `${runId}/avro/` },
    },
  };
  return invoke(bundles[format], runtime, event, {
    tmp,
    env: { CSV2LAKE_S3_ENDPOINT: proxy.endpoint, CSV2LAKE_THREADS: String(threads) },
    killAfterMs: 600_000,
  });
}

async function download(key: string): Promise<string> {
  const path = join(work, key.replaceAll('/', '_'));
  const r = await server.client().send(new GetObjectCommand({ Bucket: OUT, Key: key }));
  await pipeline(r.Body as Readable, createWriteStream(path));
  return path;
}

async function keys(prefix: string): Promise<string[]> {
  const listed = await server.client().send(new ListObjectsV2Command({ Bucket: OUT, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key!);
}

/** Rows of an Avro file read by avsc in order: how many, and a digest of them all. */
function avroDigest(path: string): Promise<{ rows: number; digest: string; schema: string }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let rows = 0;
    let schema = '';
    const decoder = avro.createFileDecoder(path, { codecs } as unknown as avro.DecoderOptions);
    decoder.on('metadata', (type: avro.Type) => (schema = JSON.stringify(type.schema())));
    decoder.on('data', (row: Record<string, unknown>) => {
      rows++;
      hash.update(JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
      hash.update('\n');
    });
    decoder.on('error', reject);
    decoder.on('end', () => resolve({ rows, digest: hash.digest('hex'), schema }));
  });
}

/** The PUTs of part objects (UploadPart, PutObject) the proxy saw since `from`. */
const partWrites = (from: number, runId: string) =>
  proxy.log.slice(from).filter((r) => r.method === 'PUT' && r.key.startsWith(`_runs/${runId}/ranges/`));

test.each(['parquet', 'avro'] as const)(
  '%s: two threads in the deployed bundle give the one-thread output, row for row',
  async (format) => {
    let from = proxy.log.length;
    const two = await convert(format, 2, `two-${format}`);
    expect({ error: two.error, result: two.result }).toMatchObject({
      error: undefined,
      result: { status: 'converted', rows: uploaded.rows, sourceEtag: uploaded.etag },
    });
    // Parts were written by the threads, every input GET pinned to the listed version.
    expect(partWrites(from, `two-${format}`).length).toBeGreaterThan(0);
    const gets = proxy.log.slice(from).filter((r) => r.method === 'GET' && r.bucket === IN);
    expect(gets.length).toBeGreaterThan(2);
    expect(new Set(gets.map((g) => g.ifMatch))).toEqual(new Set([uploaded.etag]));
    expect(await keys(`_runs/two-${format}/ranges/`)).toEqual([]);
    from = proxy.log.length;
    const one = await convert(format, 1, `one-${format}`);
    expect(one.result).toMatchObject({ status: 'converted', rows: uploaded.rows });
    expect(partWrites(from, `one-${format}`)).toEqual([]);

    const target = (runId: string) => `${runId}/${format}/orders/orders.${format}`;
    const [a, b] = [await download(target(`two-${format}`)), await download(target(`one-${format}`))];
    if (format === 'parquet') {
      const rows = (path: string) => `SELECT * FROM read_parquet(${sqlPath(path)}, file_row_number = true)`;
      expect(
        await query(
          `SELECT (SELECT count(*) FROM (${rows(a)} EXCEPT ${rows(b)}))::DOUBLE AS ab, ` +
            `(SELECT count(*) FROM (${rows(b)} EXCEPT ${rows(a)}))::DOUBLE AS ba, ` +
            `(SELECT count(*) FROM read_parquet(${sqlPath(a)}))::DOUBLE AS n, ` +
            `(SELECT typeof(any_value(amount)) FROM read_parquet(${sqlPath(a)})) AS amount`,
        ),
      ).toEqual([{ ab: 0, ba: 0, n: uploaded.rows, amount: 'DOUBLE' }]);
    } else {
      const [x, y] = [await avroDigest(a), await avroDigest(b)];
      expect(x.rows).toBe(uploaded.rows);
      expect(x).toEqual(y);
    }
    expect(server.openMultipartUploads()).toEqual([]);
    console.log(
      `${(uploaded.objectBytes / 1e6).toFixed(0)} MB, ${format}: 2 threads ${(two.ms / 1000).toFixed(1)} s, ` +
        `${(two.cpuMs / 1000).toFixed(1)} CPU s, ${two.maxRssMB} MB RSS; 1 thread ${(one.ms / 1000).toFixed(1)} s, ` +
        `${(one.cpuMs / 1000).toFixed(1)} CPU s, ${one.maxRssMB} MB RSS (2-core VM, shared: no timing is asserted)`,
    );
  },
  600_000,
);

test('a part that cannot be written fails the item with a retryable error and leaves nothing', async () => {
  const runId = 'fault';
  proxy.before = async (request) => {
    if (request.method === 'PUT' && request.key.startsWith(`_runs/${runId}/ranges/`))
      throw new Error('injected: the connection drops');
  };
  try {
    const failed = await convert('avro', 2, runId);
    expect(failed.error?.name).toBe('S3TransientError');
  } finally {
    proxy.before = async () => undefined;
  }
  expect((await keys(`${runId}/`)).concat(await keys(`_runs/${runId}/ranges/`))).toEqual([]);
  expect(server.openMultipartUploads()).toEqual([]);
}, 600_000);
