/*
 * Network faults, provoked for real: the whole workflow through the local runner against fauxqs on
 * loopback, with a fault-injecting proxy between the SDK and the server. Every output is read back by an
 * independent reader (DuckDB for Parquet, avsc for Avro) and compared with the input; the bucket is listed
 * while the run goes on, so that a partial object would be seen; the server's open multipart uploads are
 * read from its storage folder.
 */
import './quiet';
import type { S3Client } from '@aws-sdk/client-s3';
import { type Invocation, LocalRunner, type LocalRunResult } from '../../lib/local/runner';
import {
  type FaultAction,
  type FaultProxy,
  type FaultRule,
  isObjectGet,
  isUploadPart,
} from '../support/fault-proxy';
import { readAvro, readParquetWithDuckDB } from '../support/readers';
import type { S3Server } from '../support/s3-server';
import {
  avroDigest,
  bigCsv,
  download,
  finalState,
  listAll,
  parquetDigest,
  putObject,
  readReport,
  reportedKeys,
  watchBucket,
  useFaultyS3,
} from './helpers';

jest.setTimeout(120_000);

const faulty = useFaultyS3({
  // A stalled body is given up after 1.5 s instead of 30 s.
  CSV2LAKE_S3_IDLE_TIMEOUT_MS: '1500',
  // Parts of 5 MiB, S3's minimum (fauxqs enforces it too), so that smaller files make multipart uploads.
  CSV2LAKE_S3_PART_BYTES: String(5 << 20),
});
let server: S3Server;
let proxy: FaultProxy;
let s3: S3Client;
beforeAll(() => ({ server, proxy, s3 } = faulty));
/** ~6.5 MB: with 5 MiB parts (S3's minimum), each output is a multipart upload of two parts. */
const BIG = bigCsv(6_500_000);
const SMALL = 'id,name\n1,Ada\n2,Grace\n';

let buckets = 0;

/** A fresh input and output bucket with `big.csv` and `small.csv` under `in/`. */
async function scenario(): Promise<{ input: string; output: string; keys: string[] }> {
  const n = ++buckets;
  const input = `landing-${n}`;
  const output = `lake-${n}`;
  await server.createBucket(input);
  await server.createBucket(output);
  await putObject(s3, input, 'in/big.csv', BIG.body);
  await putObject(s3, input, 'in/small.csv', SMALL);
  return { input, output, keys: ['in/big.csv', 'in/small.csv'] };
}

/** Runs the workflow through the proxy while watching the output bucket. */
async function run(input: string, output: string, invocations: Invocation[], concurrency = 4) {
  const watch = watchBucket(s3, output, '');
  const result = await LocalRunner.run({
    input: { kind: 's3', bucket: input, prefix: 'in/' },
    output: { kind: 's3', bucket: output, prefix: '' },
    endpoint: proxy.endpoint,
    concurrency,
    retryIntervalMs: 1,
    invocations,
  });
  await watch.stop();
  return { result, watch };
}

/** Every object ever listed in the output bucket was in its final state each time it was seen. */
async function expectNoPartialObject(output: string, watch: ReturnType<typeof watchBucket>) {
  expect(watch.polls).toBeGreaterThan(0);
  for (const [key, states] of watch.seen) {
    if (key.startsWith('_runs/')) continue; // run state, rewritten as the run goes
    const final = await finalState(s3, output, key);
    expect([key, [...states]]).toEqual([key, [final]]);
  }
}

/** Both outputs of big.csv hold every row, as DuckDB and avsc read them. */
async function expectBigComplete(output: string) {
  expect(await parquetDigest(await download(s3, output, 'parquet/big/big.parquet'))).toEqual({
    rows: BIG.rows,
    digest: BIG.digest,
  });
  expect(await avroDigest(await download(s3, output, 'avro/big/big.avro'))).toEqual({
    rows: BIG.rows,
    digest: BIG.digest,
  });
}

async function expectAccounted(output: string, result: LocalRunResult, keys: string[]) {
  const report = await readReport(s3, output, result.runId);
  expect(reportedKeys(report)).toEqual(keys);
  return report;
}

/** A rule that applies `action` to the first request matching `match` only. */
function once(match: (r: Parameters<FaultRule>[0]) => boolean, action: FaultAction): FaultRule {
  let done = false;
  return (r) => {
    if (done || !match(r)) return undefined;
    done = true;
    return action;
  };
}

const bigGet = (bucket: string) => (r: Parameters<FaultRule>[0]) =>
  isObjectGet(r) && r.bucket === bucket && r.key === 'in/big.csv';

/** The outcomes of big.csv's conversions, per converter state. */
function outcomes(invocations: Invocation[]): Record<string, string[]> {
  const byState: Record<string, string[]> = {};
  for (const i of invocations.filter((i) => i.key === 'in/big.csv'))
    (byState[i.state] ??= []).push(i.outcome);
  return byState;
}

test('a GET body reset mid-stream is a transient error, retried; the outputs are complete and nothing partial is ever listed', async () => {
  const { input, output, keys } = await scenario();
  proxy.setRule(once(bigGet(input), { kind: 'reset', afterBytes: 512 * 1024 }));
  const invocations: Invocation[] = [];
  const { result, watch } = await run(input, output, invocations);

  expect(proxy.log.filter((r) => r.action === 'reset')).toHaveLength(1);
  expect(result).toMatchObject({ status: 'SUCCEEDED', items: { total: 2, converted: 2, failed: 0 } });
  // One of the two converters met the reset, failed transiently and succeeded on its retry.
  expect(Object.values(outcomes(invocations)).sort()).toEqual([['S3TransientError', 'ok'], ['ok']]);
  await expectBigComplete(output);
  await expectNoPartialObject(output, watch);
  await expectAccounted(output, result, keys);
  expect(server.openMultipartUploads()).toEqual([]);
});

test('a GET body that stalls mid-stream is given up after the idle timeout and retried; nothing hangs', async () => {
  const { input, output, keys } = await scenario();
  proxy.setRule(once(bigGet(input), { kind: 'stall', afterBytes: 512 * 1024 }));
  const invocations: Invocation[] = [];
  const { result, watch } = await run(input, output, invocations);

  expect(proxy.log.filter((r) => r.action === 'stall')).toHaveLength(1);
  expect(result).toMatchObject({ status: 'SUCCEEDED', items: { total: 2, converted: 2, failed: 0 } });
  expect(Object.values(outcomes(invocations)).sort()).toEqual([['S3TransientError', 'ok'], ['ok']]);
  await expectBigComplete(output);
  await expectNoPartialObject(output, watch);
  await expectAccounted(output, result, keys);
});

test('a GET body cut short but framed as complete is never converted as a shorter file', async () => {
  const { input, output, keys } = await scenario();
  // Cut inside a row: without a length check the converter would see a valid, shorter CSV.
  proxy.setRule(once(bigGet(input), { kind: 'truncate', afterBytes: 512 * 1024 + 17 }));
  const invocations: Invocation[] = [];
  const { result, watch } = await run(input, output, invocations);

  expect(proxy.log.filter((r) => r.action === 'truncate')).toHaveLength(1);
  expect(result).toMatchObject({ status: 'SUCCEEDED', items: { total: 2, converted: 2, failed: 0 } });
  expect(Object.values(outcomes(invocations)).sort()).toEqual([['S3TransientError', 'ok'], ['ok']]);
  await expectBigComplete(output);
  await expectNoPartialObject(output, watch);
  const report = await expectAccounted(output, result, keys);
  expect(report.files.find((f) => f.key === 'in/big.csv')).toMatchObject({ rows: BIG.rows });
});

test('an UploadPart answered 500 once is retried by the SDK; the output is complete', async () => {
  const { input, output, keys } = await scenario();
  proxy.setRule(
    once((r) => isUploadPart(r) && r.bucket === output && r.query.get('partNumber') === '2', {
      kind: 'error',
      status: 500,
      code: 'InternalError',
    }),
  );
  const invocations: Invocation[] = [];
  const { result, watch } = await run(input, output, invocations);

  const failed = proxy.log.find((r) => r.action === 'error')!;
  expect(failed).toMatchObject({ status: 500 });
  // The same part of the same upload, sent again and accepted.
  expect(
    proxy.log.filter(
      (r) =>
        r.n > failed.n &&
        isUploadPart(r) &&
        r.query.get('uploadId') === failed.query.get('uploadId') &&
        r.query.get('partNumber') === '2',
    ),
  ).toEqual([expect.objectContaining({ status: 200 })]);
  expect(result).toMatchObject({ status: 'SUCCEEDED', items: { total: 2, converted: 2, failed: 0 } });
  await expectBigComplete(output);
  await expectNoPartialObject(output, watch);
  await expectAccounted(output, result, keys);
  expect(server.openMultipartUploads()).toEqual([]);
});

test('an upload whose parts keep failing is aborted every time, the run says so, and a redrive converts it', async () => {
  const { input, output, keys } = await scenario();
  proxy.setRule((r) =>
    isUploadPart(r) && r.bucket === output && r.key === 'avro/big/big.avro'
      ? { kind: 'error', status: 500, code: 'InternalError' }
      : undefined,
  );
  const invocations: Invocation[] = [];
  const { result, watch } = await run(input, output, invocations);

  expect(result).toMatchObject({ status: 'FAILED', items: { total: 2, converted: 1, failed: 1 } });
  const avro = outcomes(invocations);
  // Retried with backoff in ConvertFiles (1 + 5 retries) and once more in RetryFailed (1 + 5).
  expect(avro.ConvertAvro).toEqual(Array(6).fill('S3TransientError'));
  expect(avro.RetryConvertAvro).toEqual(Array(6).fill('S3TransientError'));
  const report = await expectAccounted(output, result, keys);
  expect(report.failures).toEqual([
    {
      key: 'in/big.csv',
      errors: [
        expect.objectContaining({
          format: 'avro',
          type: 'S3TransientError',
          message: expect.stringContaining('InternalError'),
        }),
      ],
    },
  ]);
  // Every upload that was started was aborted: nothing is left for the lifecycle rule.
  const created = proxy.log.filter(
    (r) =>
      r.bucket === output && r.method === 'POST' && r.query.has('uploads') && r.key === 'avro/big/big.avro',
  );
  const aborted = proxy.log.filter(
    (r) =>
      r.bucket === output &&
      r.method === 'DELETE' &&
      r.query.has('uploadId') &&
      r.key === 'avro/big/big.avro',
  );
  expect(created).toHaveLength(12);
  expect(aborted.map((r) => r.status)).toEqual(Array(12).fill(204));
  expect(server.openMultipartUploads()).toEqual([]);
  expect((await listAll(s3, output, 'avro/')).map((o) => o.key)).toEqual(['avro/small/small.avro']);
  await expectNoPartialObject(output, watch);

  proxy.setRule(() => undefined);
  const redriven = await LocalRunner.redrive(
    result.runId,
    { kind: 's3', bucket: output, prefix: '' },
    { endpoint: proxy.endpoint, retryIntervalMs: 1 },
  );
  expect(redriven).toMatchObject({ status: 'SUCCEEDED', items: { total: 2, converted: 2, failed: 0 } });
  await expectBigComplete(output);
  await expectAccounted(output, redriven, keys);
  expect(server.openMultipartUploads()).toEqual([]);
});

test('503 SlowDown to every 10th request: the run completes, slower, with every item accounted for once', async () => {
  const { input, output } = await scenario();
  const keys = ['in/big.csv', 'in/small.csv'];
  for (let i = 0; i < 20; i++) {
    const key = `in/part-${String(i).padStart(2, '0')}.csv`;
    await putObject(s3, input, key, `n,label\n${i},"row ${i}"\n`);
    keys.push(key);
  }
  await putObject(s3, input, 'in/readme.md', '# not a CSV');
  keys.push('in/readme.md');
  keys.sort();
  // Counted, not random: every 10th first attempt of a request is refused; the SDK's retry of a refused
  // request is let through (S3 throttles a prefix, it does not refuse the same request three times running).
  const refused = new Set<string>();
  let firstAttempts = 0;
  proxy.setRule((r) => {
    const id = `${r.method} ${r.bucket}/${r.key}?${[...r.query].filter(([k]) => k !== 'x-id').join('&')}`;
    if (refused.delete(id)) return undefined;
    if (++firstAttempts % 10 !== 0) return undefined;
    refused.add(id);
    return { kind: 'error', status: 503, code: 'SlowDown' };
  });
  const first = proxy.log.length;
  const invocations: Invocation[] = [];
  const { result, watch } = await run(input, output, invocations, 8);

  const requests = proxy.log.slice(first);
  const slowDowns = requests.filter((r) => r.action === 'error').length;
  // One in ten first attempts was refused, and each refused request was sent again (by the SDK).
  expect(slowDowns).toBeGreaterThan(20);
  expect(slowDowns).toBe(Math.floor((requests.length - slowDowns) / 10));
  expect(refused.size).toBe(0);
  expect(result).toMatchObject({ status: 'SUCCEEDED', items: { total: 23, converted: 22, failed: 0 } });
  const report = await expectAccounted(output, result, keys);
  expect(report.ignoredKeys).toEqual(['in/readme.md']);
  await expectBigComplete(output);
  for (const i of [0, 7, 19]) {
    const name = `part-${String(i).padStart(2, '0')}`;
    // `n` is an int64 (BIGINT), which DuckDB renders as text and avsc (longs as BigInt here) as a BigInt.
    const parquet = await download(s3, output, `parquet/${name}/${name}.parquet`);
    expect((await readParquetWithDuckDB(parquet)).rows).toEqual([[String(i), `row ${i}`]]);
    expect((await readAvro(await download(s3, output, `avro/${name}/${name}.avro`))).rows).toEqual([
      { n: BigInt(i), label: `row ${i}` },
    ]);
  }
  await expectNoPartialObject(output, watch);
  expect(server.openMultipartUploads()).toEqual([]);
});
