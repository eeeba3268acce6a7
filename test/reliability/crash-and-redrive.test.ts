/*
 * Failures of a converter or of the reducer itself: a converter process killed mid-file, a function that
 * timed out or ran out of memory, a file too large for the function's time limit, the reducer failing.
 * Against fauxqs on loopback through the fault proxy; conversions are real, outputs read back by DuckDB.
 */
import './quiet';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { createConverterHandler } from '../../lambdas/handlers/converter-handler';
import { createReduceHandler } from '../../lambdas/handlers/reduce';
import { itemRecordKey } from '../../lambdas/handlers/convert-item';
import type { ConvertItem, RunContext } from '../../lambdas/shared/payloads';
import { type Invocation, LocalRunner } from '../../lib/local/runner';
import { type FaultProxy, isObjectGet, isUploadPart } from '../support/fault-proxy';
import { readAvro, readParquetWithDuckDB } from '../support/readers';
import type { S3Server } from '../support/s3-server';
import {
  bigCsv,
  download,
  listAll,
  parquetDigest,
  putObject,
  readReport,
  reportedKeys,
  useFaultyS3,
} from './helpers';

jest.setTimeout(120_000);

const faulty = useFaultyS3({ AWS_REGION: 'us-east-1', CSV2LAKE_S3_PART_BYTES: String(5 << 20) });
let server: S3Server;
let proxy: FaultProxy;
let s3: S3Client;
beforeAll(() => ({ server, proxy, s3 } = faulty));
const BIG = bigCsv(6_500_000);
const ROOT = join(__dirname, '..', '..');

let buckets = 0;
async function buckets2(): Promise<{ input: string; output: string }> {
  const n = ++buckets;
  await server.createBucket(`crash-in-${n}`);
  await server.createBucket(`crash-out-${n}`);
  return { input: `crash-in-${n}`, output: `crash-out-${n}` };
}

const run = (runId: string, input: string, output: string): RunContext => ({
  runId,
  inputBucket: input,
  inputPrefix: 'in/',
  outputBucket: output,
  outputPrefixes: { parquet: 'parquet/', avro: 'avro/' },
});

async function readJson(bucket: string, key: string): Promise<Record<string, any>> {
  const { GetObjectCommand } = await import('@aws-sdk/client-s3');
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse(await r.Body!.transformToString()) as Record<string, any>;
}

/** Fresh buckets with BIG as `in/big.csv`, and the converter item for it in run `runId`. */
async function bigItem(runId: string): Promise<{ input: string; output: string; item: ConvertItem }> {
  const { input, output } = await buckets2();
  await putObject(s3, input, 'in/big.csv', BIG.body);
  const [listed] = await listAll(s3, input, 'in/');
  const item: ConvertItem = {
    bucket: input,
    key: 'in/big.csv',
    etag: listed!.etag,
    size: listed!.size,
    run: run(runId, input, output),
  };
  return { input, output, item };
}

/** Waits (bounded) until `ready()` holds. */
async function until(ready: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('a converter killed mid-file leaves no output, a record that says so, only an upload the lifecycle rule removes; a rerun converts it', async () => {
  const { output, item } = await bigItem('killed');
  // Part 1 goes through; what follows (part 2 or the completion) is held, and the process is killed there.
  let partsSent = 0;
  proxy.setRule((r) => {
    if (r.bucket !== output || r.key !== 'parquet/big/big.parquet') return undefined;
    const completion = r.method === 'POST' && r.query.has('uploadId');
    if (!isUploadPart(r) && !completion) return undefined;
    return isUploadPart(r) && partsSent++ === 0 ? undefined : { kind: 'hang' };
  });
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
      join(__dirname, 'fixtures/convert-child.ts'),
      JSON.stringify({ format: 'parquet', item }),
    ],
    {
      env: {
        ...process.env,
        AWS_REGION: 'us-east-1',
        CSV2LAKE_S3_ENDPOINT: proxy.endpoint,
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        POWERTOOLS_METRICS_DISABLED: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  await until(
    () => proxy.log.some((r) => r.action === 'hang') || child.exitCode !== null,
    'the held request',
  );
  expect(out).toBe('');
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');

  // Nothing under parquet/: the upload was never completed.
  expect(await listAll(s3, output, 'parquet/')).toEqual([]);
  const record = await readJson(output, itemRecordKey('killed', 'parquet', 'in/big.csv'));
  expect(record).toMatchObject({
    key: 'in/big.csv',
    status: 'failed',
    error: { type: 'ConversionIncomplete', message: expect.stringContaining('never finished') },
  });
  // The killed upload is still open on the server: the bucket's AbortIncompleteMultipartUpload rule (see
  // test/infra) removes it after a day; nobody can see it as an object.
  expect(server.openMultipartUploads()).toEqual([
    expect.objectContaining({ bucket: output, key: 'parquet/big/big.parquet' }),
  ]);
  // The reducer reports the file as failed with that error, and lists it for the retry map.
  const reduce = createReduceHandler({
    env: { CSV2LAKE_S3_ENDPOINT: server.endpoint, AWS_REGION: 'us-east-1' },
  });
  const reduced = await reduce({ run: item.run, mapResults: [] });
  expect(reduced).toMatchObject({ items: { total: 1, failed: 1 } });
  const report = await readReport(s3, output, 'killed');
  expect(report.failures).toEqual([
    {
      key: 'in/big.csv',
      errors: [expect.objectContaining({ format: 'parquet', type: 'ConversionIncomplete' })],
    },
  ]);

  // The retry (a redrive) converts it completely.
  proxy.setRule(() => undefined);
  const handler = createConverterHandler('parquet', {
    env: { CSV2LAKE_S3_ENDPOINT: server.endpoint, AWS_REGION: 'us-east-1', CSV2LAKE_SPOOL_DIR: tmpdir() },
  });
  expect(await handler(item)).toMatchObject({ status: 'converted', rows: BIG.rows });
  expect(await parquetDigest(await download(s3, output, 'parquet/big/big.parquet'))).toEqual({
    rows: BIG.rows,
    digest: BIG.digest,
  });
  expect(await reduce({ run: item.run, mapResults: [] })).toMatchObject({
    items: { total: 1, converted: 1, failed: 0 },
  });
});

test('a conversion that timed out or ran out of memory (as Lambda reports them) fails its item with that type, writes nothing, and a redrive converts it', async () => {
  const { input, output } = await buckets2();
  const keys = ['in/a.csv', 'in/b.csv', 'in/c.csv'];
  for (const key of keys) await putObject(s3, input, key, 'x\n1\n');
  // What Step Functions gets from Lambda when the function is killed: the runtime's error types. The runner's
  // fault hook stands in for the kill (the real kill of a converter process is the test above).
  const killed: Record<string, string> = {
    'ConvertParquet in/a.csv': 'Sandbox.Timedout',
    'ConvertAvro in/b.csv': 'Runtime.OutOfMemory',
  };
  const fault = (state: string, payload: unknown) => {
    const type = killed[`${state.replace(/^Retry/, '')} ${(payload as { key: string }).key}`];
    return type ? Object.assign(new Error(`${type}: the function was killed`), { name: type }) : undefined;
  };
  const invocations: Invocation[] = [];
  const result = await LocalRunner.run({
    input: { kind: 's3', bucket: input, prefix: 'in/' },
    output: { kind: 's3', bucket: output, prefix: '' },
    endpoint: proxy.endpoint,
    retryIntervalMs: 1,
    invocations,
    fault,
  });
  expect(result).toMatchObject({ status: 'FAILED', items: { total: 3, converted: 1, failed: 2 } });
  // Not retried with backoff (the same file would be killed again): one attempt in each map.
  expect(
    invocations
      .filter((i) => i.outcome !== 'ok')
      .map((i) => `${i.state} ${i.key} ${i.outcome}`)
      .sort(),
  ).toEqual([
    'ConvertAvro in/b.csv Runtime.OutOfMemory',
    'ConvertParquet in/a.csv Sandbox.Timedout',
    'RetryConvertAvro in/b.csv Runtime.OutOfMemory',
    'RetryConvertParquet in/a.csv Sandbox.Timedout',
  ]);
  const report = await readReport(s3, output, result.runId);
  expect(reportedKeys(report)).toEqual(keys);
  expect(report.failures).toEqual([
    { key: 'in/a.csv', errors: [expect.objectContaining({ type: 'Sandbox.Timedout' })] },
    { key: 'in/b.csv', errors: [expect.objectContaining({ type: 'Runtime.OutOfMemory' })] },
  ]);
  expect((await listAll(s3, output, 'parquet/')).map((o) => o.key)).toEqual([
    'parquet/b/b.parquet',
    'parquet/c/c.parquet',
  ]);
  expect((await listAll(s3, output, 'avro/')).map((o) => o.key)).toEqual(['avro/a/a.avro', 'avro/c/c.avro']);

  const redriveLog: Invocation[] = [];
  const redriven = await LocalRunner.redrive(
    result.runId,
    { kind: 's3', bucket: output, prefix: '' },
    { endpoint: proxy.endpoint, retryIntervalMs: 1, invocations: redriveLog },
  );
  expect(redriven).toMatchObject({ status: 'SUCCEEDED', items: { total: 3, failed: 0 } });
  expect([...new Set(redriveLog.filter((i) => i.key).map((i) => i.key))].sort()).toEqual([
    'in/a.csv',
    'in/b.csv',
  ]);
  // `x` is an int64 (BIGINT): DuckDB renders it as text, avsc (longs as BigInt here) as a BigInt.
  expect((await readParquetWithDuckDB(await download(s3, output, 'parquet/a/a.parquet'))).rows).toEqual([
    ['1'],
  ]);
  expect((await readAvro(await download(s3, output, 'avro/b/b.avro'))).rows).toEqual([{ x: 1n }]);
  expect(reportedKeys(await readReport(s3, output, result.runId))).toEqual(keys);
});

test('a file too large for the time left is refused before its body is read, with what to do; nothing is written', async () => {
  const { input, output, item } = await bigItem('too-large');
  const handler = createConverterHandler('parquet', {
    // 1 MB/s measured: 6.5 MB needs ~7 s; the function has 5 s left.
    env: { CSV2LAKE_S3_ENDPOINT: proxy.endpoint, AWS_REGION: 'us-east-1', CSV2LAKE_THROUGHPUT_MBPS: '1' },
  });
  const first = proxy.log.length;
  await expect(handler(item, { getRemainingTimeInMillis: () => 5_000 })).rejects.toMatchObject({
    name: 'InputTooLargeError',
    message: `s3://${input}/in/big.csv is 7 MB: at ~1 MB/s it needs ~7 s but the function has 5 s; raise the converter's timeout/memory or split the file`,
  });
  expect(proxy.log.slice(first).filter((r) => isObjectGet(r) && r.bucket === input)).toEqual([]);
  expect(await listAll(s3, output, 'parquet/')).toEqual([]);
  expect(await readJson(output, itemRecordKey('too-large', 'parquet', 'in/big.csv'))).toMatchObject({
    status: 'failed',
    error: { type: 'InputTooLargeError' },
  });
  // With time enough, the same file converts.
  expect(await handler(item, { getRemainingTimeInMillis: () => 60_000 })).toMatchObject({
    status: 'converted',
  });
});

test('the reducer failing fails the run at Reduce after its retries, converts nothing twice, the run still gets a report, and a redrive resumes at Reduce', async () => {
  const { input, output } = await buckets2();
  const keys = ['in/a.csv', 'in/b.csv', 'in/notes.md'];
  for (const key of keys) await putObject(s3, input, key, key.endsWith('.csv') ? 'x\n1\n' : '#');
  // Every write of the report fails (S3 answers 500 to each of the SDK's tries) while Reduce has attempts
  // left; then the runner's own report of the failed run (the execution-status rule's reducer) is written.
  const runId = 'reducer-fails';
  const invocations: Invocation[] = [];
  const reduceAttempts = () => invocations.filter((i) => i.state === 'Reduce').length;
  let refused = 0;
  proxy.setRule((r) => {
    if (reduceAttempts() >= 6 || r.method !== 'PUT' || r.key !== `_runs/${runId}/report.json`)
      return undefined;
    refused++;
    return { kind: 'error', status: 500, code: 'InternalError' };
  });
  const result = await LocalRunner.run({
    input: { kind: 's3', bucket: input, prefix: 'in/' },
    output: { kind: 's3', bucket: output, prefix: '' },
    endpoint: proxy.endpoint,
    runId,
    retryIntervalMs: 1,
    invocations,
  });
  expect(result).toMatchObject({ status: 'FAILED', error: { name: 'S3TransientError' } });
  // The definition retries S3TransientError 5 times: 6 attempts of Reduce, each after the SDK's own tries.
  expect(invocations.filter((i) => i.state === 'Reduce').map((i) => i.outcome)).toEqual(
    Array(6).fill('S3TransientError'),
  );
  expect(refused).toBeGreaterThanOrEqual(6);
  const converted = () =>
    invocations
      .filter((i) => i.key !== undefined)
      .map((i) => `${i.key} ${i.state} ${i.outcome}`)
      .sort();
  expect(converted()).toEqual([
    'in/a.csv ConvertAvro ok',
    'in/a.csv ConvertParquet ok',
    'in/b.csv ConvertAvro ok',
    'in/b.csv ConvertParquet ok',
  ]);
  // The failed execution is reported anyway (the execution-status rule's reducer, emulated by the runner).
  const report = await readReport(s3, output, runId);
  expect(report.status).toBe('FAILED');
  expect(reportedKeys(report)).toEqual(keys);
  expect(report.files.map((f) => [f.key, f.status])).toEqual([
    ['in/a.csv', 'converted'],
    ['in/b.csv', 'converted'],
  ]);

  // The redrive resumes at Reduce with the input Reduce entered with: no file converts again.
  const redriveLog: Invocation[] = [];
  const redriven = await LocalRunner.redrive(
    runId,
    { kind: 's3', bucket: output, prefix: '' },
    { endpoint: proxy.endpoint, retryIntervalMs: 1, invocations: redriveLog },
  );
  expect(redriven).toMatchObject({
    runId,
    status: 'SUCCEEDED',
    items: { total: 3, converted: 2, failed: 0 },
  });
  expect(redriveLog.map((i) => `${i.state} ${i.outcome}`)).toEqual(['Reduce ok']);
  const final = await readReport(s3, output, runId);
  expect(final.status).toBe('SUCCEEDED');
  expect(reportedKeys(final)).toEqual(keys);
});
