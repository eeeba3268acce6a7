/*
 * A large uncompressed key converted on two threads by the converter (issue 12: "converters with two or
 * more vCPUs use both"), against fauxqs: the same output (read by DuckDB, hyparquet and avsc), metadata,
 * record, rejects file and dataset schema as the one-thread conversion; a range's data error fails as the
 * one-thread conversion does (the file's own line); a failed join leaves nothing visible and no open upload.
 * The threads run the converter's bundle, as deployed (its own range threads: converter-handler.ts).
 */
import {
  GetObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertItem, META, type ConverterDeps } from '../../../lambdas/handlers/convert-item';
import { readDatasetSchema } from '../../../lambdas/lake/dataset-schema';
import { createS3Client, S3ObjectStore } from '../../../lambdas/io/s3-object-store';
import { keyThreads, type KeyThreads, type ThreadedConversion } from '../../../lambdas/ranges/item-threads';
import { converterConfig } from '../../../lambdas/shared/config';
import { itemRecordKey } from '../../../lambdas/shared/run-keys';
import type { ConvertItem, RunContext } from '../../../lambdas/shared/payloads';
import { readAvro, readParquetWithDuckDB, readParquetWithHyparquet } from '../../support/readers';
import { startS3Server, type S3Server } from '../../support/s3-server';
import { awkwardCsv } from '../ranges/csv-samples';
import { runContext } from '../../support/run-context';

const root = join(__dirname, '..', '..', '..');
const bundle = join(root, 'dist', `threads-handler-${process.pid}`);
const script = join(bundle, 'index.js');
const storageDir = mkdtempSync(join(tmpdir(), 'threads-fauxqs-'));
let server: S3Server;
let s3: S3Client;
let store: S3ObjectStore;
let clientConfig: S3ClientConfig;

beforeAll(async () => {
  // The converter's handler bundled as the pipeline bundles it: the script of its range threads.
  execFileSync(
    join(root, 'node_modules/.bin/esbuild'),
    [
      'lambdas/handlers/convert-parquet.ts',
      '--bundle',
      '--platform=node',
      '--target=node22',
      '--packages=external',
      `--outfile=${script}`,
      '--log-level=warning',
    ],
    { cwd: root },
  );
  server = await startS3Server({ storageDir });
  clientConfig = {
    endpoint: server.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  s3 = createS3Client(clientConfig);
  store = new S3ObjectStore(s3);
  for (const bucket of ['landing', 'lake', 'lake-one']) await server.createBucket(bucket);
}, 60_000);
afterAll(async () => {
  await server?.stop();
  rmSync(bundle, { recursive: true, force: true });
  rmSync(storageDir, { recursive: true, force: true });
});

const runIn = (outputBucket: string, runId = 'r1'): RunContext =>
  runContext(runId, { inputBucket: 'landing', inputPrefix: 'in/', outputBucket });

async function upload(key: string, text: string): Promise<{ etag: string; size: number }> {
  const writer = store.createWriter('landing', key);
  await writer.write(Buffer.from(text));
  const info = await writer.complete();
  return { etag: info.etag, size: info.size };
}

/** Two threads from 0 bytes on, with the last conversion's answer kept. */
function watchedThreads(client: S3Client = s3): KeyThreads & { last?: ThreadedConversion; calls: number } {
  const threads = keyThreads({ threads: 2, minBytes: 0 }, client, clientConfig, script)!;
  const watched: KeyThreads & { last?: ThreadedConversion; calls: number } = {
    threads: threads.threads,
    calls: 0,
    convert: async (...args) => {
      watched.calls++;
      return (watched.last = await threads.convert(...args));
    },
  };
  return watched;
}

const deps = (format: 'parquet' | 'avro', threads?: KeyThreads): ConverterDeps => ({
  store,
  config: converterConfig({ CSV2LAKE_FORMAT: format }),
  ...(threads ? { threads } : {}),
});

async function download(bucket: string, key: string, path: string): Promise<string> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  writeFileSync(path, await r.Body!.transformToByteArray());
  return path;
}

async function keys(bucket: string, prefix = ''): Promise<string[]> {
  return (await store.list(bucket, prefix)).objects.map((o) => o.key);
}

/**
 * ~24 MB (two ranges need 16 MiB: 8 MiB each at least): quoted line breaks, CRLF, multi-byte text,
 * rejects in both halves, a widening value late.
 */
const bigCsv = awkwardCsv(400_000, (i) =>
  i % 97_001 === 17 ? `${i},ragged` : i === 390_000 ? `${i},late,12.5,x,2024-01-01` : undefined,
);

describe.each(['parquet', 'avro'] as const)('%s', (format) => {
  test('two threads give the one-thread output, metadata, record, rejects and schema', async () => {
    const key = `in/orders-${format}.csv`;
    const { etag, size } = await upload(key, bigCsv);
    const item = (outputBucket: string): ConvertItem => ({
      bucket: 'landing',
      key,
      etag,
      size,
      run: runIn(outputBucket),
    });
    const threads = watchedThreads();
    const two = await convertItem(deps(format, threads), item('lake'));
    const one = await convertItem(deps(format), item('lake-one'));

    expect(threads.last?.summary.ranges).toBe(2);
    expect(threads.last?.summary.rounds).toBe(2); // the late value widened `n`
    const strip = ({ durationMs: _d, at: _a, bytesOut: _b, ...rest }: Record<string, unknown>) => rest;
    expect(strip({ ...two })).toEqual(strip({ ...one }));
    expect(two).toMatchObject({ status: 'converted', rejectedRows: 5, sourceEtag: etag, bytesIn: size });
    const target = two.outputKey!;
    const [a, b] = [(await store.head('lake', target))!, (await store.head('lake-one', target))!];
    expect(a.metadata).toEqual(b.metadata);
    expect(a.metadata?.[META.SOURCE_ETAG]).toBe(etag);
    const dir = mkdtempSync(join(tmpdir(), 'threads-out-'));
    const [x, y] = [
      await download('lake', target, join(dir, `two.${format}`)),
      await download('lake-one', target, join(dir, `one.${format}`)),
    ];
    if (format === 'parquet') {
      expect(await readParquetWithDuckDB(x)).toEqual(await readParquetWithDuckDB(y));
      expect((await readParquetWithHyparquet(x)).rows).toEqual((await readParquetWithHyparquet(y)).rows);
    } else {
      const [p, q] = [await readAvro(x), await readAvro(y)];
      expect(p.schema).toEqual(q.schema);
      expect(p.rows).toEqual(q.rows);
    }
    if (format === 'parquet') {
      // The Parquet converter writes the rejects: the same file, the same true lines.
      const rejects = two.rejectsKey!;
      const text = async (bucket: string) =>
        (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: rejects }))).Body!.transformToString();
      expect(await text('lake')).toBe(await text('lake-one'));
    }
    expect((await readDatasetSchema(store, 'lake', two.dataset!))?.schema.columns).toEqual(
      (await readDatasetSchema(store, 'lake-one', one.dataset!))?.schema.columns,
    );
    // The parts are gone, no upload is left open.
    expect(await keys('lake', `_runs/r1/ranges/`)).toEqual([]);
    expect(server.openMultipartUploads()).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  }, 300_000);
});

test("a range's data error fails as the one-thread conversion does: the file's own line; nothing written", async () => {
  // Invalid UTF-8 in a row of the second half.
  const text = awkwardCsv(400_000, (i) => (i === 330_000 ? `${i},bad \xff byte,1,2,2024-01-01` : undefined));
  const key = 'in/latin1.csv';
  const body = Buffer.from(text, 'latin1');
  const writer = store.createWriter('landing', key);
  await writer.write(body);
  const { etag } = await writer.complete();
  const item = (outputBucket: string): ConvertItem => ({
    bucket: 'landing',
    key,
    etag,
    size: body.length,
    run: runIn(outputBucket, 'r2'),
  });
  const threads = watchedThreads();
  const two = await convertItem(deps('avro', threads), item('lake')).catch((e: Error) => e);
  const one = await convertItem(deps('avro'), item('lake-one')).catch((e: Error) => e);
  expect(one).toBeInstanceOf(Error);
  expect({ name: (two as Error).name, message: (two as Error).message }).toEqual({
    name: (one as Error).name,
    message: (one as Error).message,
  });
  expect((one as Error).message).toMatch(/line \d+/);
  // Asked of the threads (a 24 MB uncompressed key: two ranges), then left to the one-thread conversion,
  // which found the error with its true line.
  expect(threads.calls).toBe(1);
  expect(threads.last).toBeUndefined();
  expect(
    (await keys('lake')).filter((k) => k.includes('latin1') || k.startsWith('_runs/r2/ranges/')),
  ).toEqual([]);
  expect(server.openMultipartUploads()).toEqual([]);
}, 300_000);

test('a join that fails leaves no output, no rejects, no parts and no open upload; the item fails', async () => {
  const key = 'in/fault.csv';
  const { etag, size } = await upload(key, bigCsv);
  const send = s3.send.bind(s3) as (command: unknown) => Promise<unknown>;
  const faulty = Object.create(s3) as S3Client;
  // The join's parts fail: copied (a part of 5 MiB or more) or sent (the smaller parts, read back).
  faulty.send = ((command: unknown) =>
    command instanceof UploadPartCopyCommand || command instanceof UploadPartCommand
      ? Promise.reject(Object.assign(new Error('injected'), { name: 'AccessDenied' }))
      : send(command)) as S3Client['send'];
  const item: ConvertItem = { bucket: 'landing', key, etag, size, run: runIn('lake', 'r3') };
  const error = await convertItem(deps('parquet', watchedThreads(faulty)), item).catch((e: Error) => e);
  expect(error).toMatchObject({ name: 'AccessDenied', message: 'injected' });
  expect((await keys('lake')).filter((k) => k.includes('fault') && !k.startsWith('_runs/'))).toEqual([]);
  expect(await keys('lake', '_runs/r3/ranges/')).toEqual([]);
  expect(server.openMultipartUploads()).toEqual([]);
  const record = JSON.parse(
    await (
      await s3.send(new GetObjectCommand({ Bucket: 'lake', Key: itemRecordKey('r3', 'parquet', key) }))
    ).Body!.transformToString(),
  );
  expect(record).toMatchObject({ status: 'failed', error: { type: 'AccessDenied' } });
}, 300_000);
