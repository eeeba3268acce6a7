/*
 * Issue 16, "a failed join, a redrive: nothing half-visible, every key accounted for", through the local
 * runner. A split key's Parquet join fails in JoinFiles (its retries exhausted): RetryJoin joins it again and
 * the run succeeds, its range items converted once. A join that fails inside its writing in JoinFiles and
 * in RetryJoin fails the run with no output of that format (a folder: no temporary file left; fauxqs: the
 * multipart upload aborted), the key failed with the join's error and its parts kept; the redrive re-runs
 * only the join. Outputs equal the one-item run's, read by DuckDB, hyparquet and avsc.
 */
import './quiet';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ObjectStore } from '../../lambdas/io/object-store';
import { LocalRunner, type LocalRunOptions, type LocalRunResult } from '../../lib/local/runner';
import { JOIN_PREFIX, RETRY_JOIN_PREFIX, RETRY_PREFIX, STATES } from '../../lib/workflow/definition';
import { lambdaTaskRetry } from '../../lib/workflow/tasks';
import { startFaultProxy } from '../support/fault-proxy';
import { type Call, inputFolderWith, recorder, rowsOf } from '../support/ranges-run';
import { startS3Server, type S3Server } from '../support/s3-server';
import { awkwardCsv } from '../unit/ranges/csv-samples';

jest.setTimeout(600_000);

/** ~5.5 MB: quoted line breaks, CRLF, multi-byte text, ragged rows in several ranges; no widening value. */
const csv = awkwardCsv(90_000, (i) => (i % 15_001 === 13 ? `${i},ragged` : undefined));
const RANGE_BYTES = 1 << 20;
const FORMATS = ['parquet', 'avro'] as const;
const KEY = 'sales/big.csv';

const outputOf = (root: string, format: string) => join(root, format, 'sales', `big.${format}`);

/** Files under `root` (any depth) whose name matches `pattern`. */
function filesUnder(root: string, pattern: RegExp = /./): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && pattern.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/** A writer's temporary file (lambdas/io/temp-files.ts). */
const TEMP = /csv2lake-tmp-/;

const reportOf = (root: string, run: LocalRunResult) =>
  JSON.parse(readFileSync(join(root, '_runs', run.runId, 'report.json'), 'utf8')) as {
    items: Record<string, number>;
    failures: { key: string; errors: { format: string; type: string; message: string }[] }[];
    files: { key: string; status: string; rows: number; parts?: { index: number; rows: number }[] }[];
  };

/** Each format's range items, by range index, in call order: `[format, index]`. */
const rangeCalls = (calls: readonly Call[]) =>
  calls.filter((c) => c.range !== undefined).map((c) => [c.state, c.range!.index, c.range!.round ?? 1]);

/** Every range of the plan, once per format, in ConvertFiles, in round 1. */
const onceEach = (ranges: number) =>
  [STATES.convertParquet, STATES.convertAvro].flatMap((state) =>
    Array.from({ length: ranges }, (_, i) => [state, i, 1]),
  );
const sorted = (rows: unknown[][]) => [...rows].sort((a, b) => String(a).localeCompare(String(b)));

/** The one-item run of the input, for comparison. */
async function wholeRun(input: string): Promise<string> {
  const whole = join(input, '..', 'whole');
  const one = await LocalRunner.run({
    input: { kind: 'dir', path: input },
    output: { kind: 'dir', path: whole },
  });
  expect(one.status).toBe('SUCCEEDED');
  return whole;
}

/** A run of `input` into the folder `output` in ranges, retries without a pause, with `options`. */
const rangedRun = (input: string, output: string, options: Partial<LocalRunOptions>) =>
  LocalRunner.run({
    input: { kind: 'dir', path: input },
    output: { kind: 'dir', path: output },
    rangeBytes: RANGE_BYTES,
    retryIntervalMs: 1,
    ...options,
  });

async function expectOutputsEqual(ranged: string, whole: string): Promise<void> {
  for (const format of FORMATS)
    expect(await rowsOf(format, outputOf(ranged, format))).toEqual(
      await rowsOf(format, outputOf(whole, format)),
    );
  const rejects = (root: string) => readFileSync(join(root, '_rejects', 'sales', 'big.rejects.csv'), 'utf8');
  expect(rejects(ranged)).toBe(rejects(whole));
}

test('a Parquet join that fails in JoinFiles, its retries exhausted, is joined by RetryJoin: no range converts again, nothing visible meanwhile', async () => {
  // prepare
  const input = inputFolderWith(csv);
  const whole = await wholeRun(input);
  const ranged = join(input, '..', 'ranged');
  const transient = lambdaTaskRetry().find((r) => (r.ErrorEquals as string[]).includes('S3TransientError'));
  const calls: Call[] = [];
  // What the output folder shows when RetryJoin starts its Parquet join (JoinFiles' failed for good).
  let meanwhile: { parquet: boolean; avro: boolean; temporary: string[] } | undefined;
  // act
  const run = await rangedRun(input, ranged, {
    fault: recorder(calls, (c) => {
      if (c.state === RETRY_JOIN_PREFIX + STATES.convertParquet)
        meanwhile ??= {
          parquet: existsSync(outputOf(ranged, 'parquet')),
          avro: existsSync(outputOf(ranged, 'avro')),
          temporary: filesUnder(ranged, TEMP),
        };
      return c.state === JOIN_PREFIX + STATES.convertParquet
        ? Object.assign(new Error('injected: S3 is slow'), { name: 'S3TransientError' })
        : undefined;
    }),
  });
  // assert
  expect(run.status).toBe('SUCCEEDED');
  const plan = JSON.parse(readFileSync(join(ranged, '_runs', run.runId, 'plan', 'plan.json'), 'utf8'));
  expect(plan).toMatchObject({ planned: 1, split: 1 });
  expect(plan.ranges).toBeGreaterThanOrEqual(4);
  // JoinFiles' Parquet join was attempted with every retry, then RetryJoin joined it once.
  const of = (state: string) => calls.filter((c) => c.state === state).map((c) => c.count);
  expect(of(JOIN_PREFIX + STATES.convertParquet)).toEqual(
    Array.from({ length: (transient!.MaxAttempts as number) + 1 }, () => plan.ranges),
  );
  expect(of(RETRY_JOIN_PREFIX + STATES.convertParquet)).toEqual([plan.ranges]);
  // Every range ran once per format in ConvertFiles; a failed join sent none round RetryFailed.
  expect(sorted(rangeCalls(calls))).toEqual(sorted(onceEach(plan.ranges)));
  expect(calls.some((c) => c.state.startsWith(RETRY_PREFIX + 'Convert'))).toBe(false);
  // While the Parquet join had failed: no Parquet output, not even a temporary one; Avro's join had succeeded.
  expect(meanwhile).toEqual({ parquet: false, avro: true, temporary: [] });
  await expectOutputsEqual(ranged, whole);
  // The key once, converted, with its parts.
  expect(run.items).toMatchObject({ total: 1, converted: 1, failed: 0 });
  const report = reportOf(ranged, run);
  expect(report.failures).toEqual([]);
  expect(report.files.map((f) => [f.key, f.status])).toEqual([[KEY, 'converted']]);
  const [file] = report.files;
  expect(file!.parts?.map((p) => p.index)).toEqual(Array.from({ length: plan.ranges }, (_, i) => i));
  expect(file!.parts?.reduce((n, p) => n + p.rows, 0)).toBe(file!.rows);
  expect(filesUnder(join(ranged, '_runs', run.runId, 'ranges'))).toEqual([]);
  expect(filesUnder(ranged, TEMP)).toEqual([]);
});

test('a Parquet join failing as it writes, in JoinFiles and in RetryJoin, fails the run with nothing half-written; the redrive re-runs only the join', async () => {
  // prepare
  const input = inputFolderWith(csv);
  const whole = await wholeRun(input);
  const ranged = join(input, '..', 'ranged');
  const target = outputOf(ranged, 'parquet');
  // The Parquet output's writer fails once it holds a MiB (the folder writer's temporary file then has
  // bytes: it gathers writes up to a MiB): what the folder shows at that moment.
  const atFailure: { final: boolean; temporary: number }[] = [];
  const failingWrites = (store: ObjectStore): ObjectStore => ({
    ...store,
    createWriter: (bucket, key, options) => {
      const writer = store.createWriter(bucket, key, options);
      if (key !== 'parquet/sales/big.parquet') return writer;
      return {
        complete: () => writer.complete(),
        abort: () => writer.abort(),
        get bytesWritten() {
          return writer.bytesWritten;
        },
        write: async (chunk) => {
          if (writer.bytesWritten < 1 << 20) return writer.write(chunk);
          atFailure.push({
            final: existsSync(target),
            temporary: filesUnder(join(ranged, 'parquet'), TEMP).length,
          });
          throw Object.assign(new Error('injected: the disk went away'), { name: 'DiskGone' });
        },
      };
    },
  });
  const calls: Call[] = [];
  const redriveCalls: Call[] = [];
  // act
  const failed = await rangedRun(input, ranged, { wrapStore: failingWrites, fault: recorder(calls) });
  const afterFailure = {
    outputs: FORMATS.map((f) => existsSync(outputOf(ranged, f))),
    temporary: filesUnder(ranged, TEMP),
    parts: filesUnder(join(ranged, '_runs', failed.runId, 'ranges', 'parquet')).length,
  };
  const failedReport = reportOf(ranged, failed);
  const redriven = await LocalRunner.redrive(
    failed.runId,
    { kind: 'dir', path: ranged },
    { retryIntervalMs: 1, fault: recorder(redriveCalls) },
  );
  // assert
  expect(failed.status).toBe('FAILED');
  const plan = JSON.parse(readFileSync(join(ranged, '_runs', failed.runId, 'plan', 'plan.json'), 'utf8'));
  expect(plan.ranges).toBeGreaterThanOrEqual(4);
  // The join wrote into a hidden temporary file, twice (JoinFiles, RetryJoin), never to the output's name.
  expect(atFailure).toEqual([
    { final: false, temporary: 1 },
    { final: false, temporary: 1 },
  ]);
  expect(afterFailure.outputs).toEqual([false, true]);
  expect(afterFailure.temporary).toEqual([]);
  // The Parquet parts are kept for the redrive: one per range.
  expect(afterFailure.parts).toBeGreaterThanOrEqual(plan.ranges);
  // The key is failed, with the join's error, once.
  expect(failed.items).toMatchObject({ total: 1, converted: 0, failed: 1 });
  expect(failedReport.failures).toEqual([
    {
      key: KEY,
      errors: [
        expect.objectContaining({
          format: 'parquet',
          type: 'DiskGone',
          message: expect.stringMatching(/injected/),
        }),
      ],
    },
  ]);
  expect(failedReport.files.map((f) => [f.key, f.status])).toEqual([[KEY, 'failed']]);
  expect(sorted(rangeCalls(calls))).toEqual(sorted(onceEach(plan.ranges)));
  // The redrive: only RetryJoin's Parquet join ran; no range converted again, no first-map join.
  expect(redriven.status).toBe('SUCCEEDED');
  expect(redriveCalls.filter((c) => c.range !== undefined)).toEqual([]);
  expect(redriveCalls.filter((c) => c.state.endsWith(STATES.convertParquet))).toEqual([
    { state: RETRY_JOIN_PREFIX + STATES.convertParquet, count: plan.ranges },
  ]);
  expect(redriveCalls.every((c) => c.state.startsWith(RETRY_JOIN_PREFIX))).toBe(true);
  await expectOutputsEqual(ranged, whole);
  expect(redriven.items).toMatchObject({ total: 1, converted: 1, failed: 0 });
  const report = reportOf(ranged, redriven);
  expect(report.files.map((f) => [f.key, f.status, f.parts?.length])).toEqual([
    [KEY, 'converted', plan.ranges],
  ]);
  expect(filesUnder(join(ranged, '_runs', failed.runId, 'ranges'))).toEqual([]);
  expect(filesUnder(ranged, TEMP)).toEqual([]);
});

/** A request of the Parquet join's output (a fault proxy rule's view of it). */
type Request = Parameters<Parameters<typeof startFaultProxy>[1] & {}>[0];
const TARGET = 'parquet/sales/big.parquet';
const isComplete = (r: Request) => r.key === TARGET && r.method === 'POST' && r.query.has('uploadId');

describe('over fauxqs', () => {
  let server: S3Server;
  beforeAll(async () => {
    server = await startS3Server({ storageDir: mkdtempSync(join(tmpdir(), 'ranges-join-s3-')) });
    await server.createBucket('landing');
    await server.client().send(new PutObjectCommand({ Bucket: 'landing', Key: `exports/${KEY}`, Body: csv }));
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
  });
  afterAll(() => server?.stop());

  // Completing the upload is refused: the join's own completion aborts it. The rejects file (written
  // before the output appears) is refused: the upload holds every part and the join's failure aborts it.
  test.each([
    ["completing the Parquet join's upload is refused", 'complete', isComplete, 2],
    [
      "the Parquet join's rejects file is refused (every part uploaded)",
      'rejects',
      (r: Request) => r.key === '_rejects/sales/big.rejects.csv' && r.method !== 'GET',
      0,
    ],
  ] as const)(
    'when %s in JoinFiles and RetryJoin: no object, no open upload, the key failed; the redrive joins it',
    async (_what, name, refused, completes) => {
      // prepare
      const s3 = server.client();
      const [whole, ranged] = [`${name}-whole`, `${name}-ranged`];
      for (const b of [whole, ranged]) await server.createBucket(b);
      const proxy = await startFaultProxy(server.endpoint, (r) =>
        r.bucket === ranged && refused(r) ? { kind: 'error', status: 403, code: 'AccessDenied' } : undefined,
      );
      const run = (bucket: string, rangeBytes?: number) =>
        LocalRunner.run({
          input: { kind: 's3', bucket: 'landing', prefix: 'exports/' },
          output: { kind: 's3', bucket, prefix: '' },
          endpoint: proxy.endpoint,
          retryIntervalMs: 1,
          ...(rangeBytes ? { rangeBytes } : {}),
        });
      const keysUnder = async (prefix: string) =>
        ((await s3.send(new ListObjectsV2Command({ Bucket: ranged, Prefix: prefix }))).Contents ?? []).map(
          (o) => o.Key,
        );
      const text = async (bucket: string, key: string) =>
        (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
      try {
        // act
        const one = await run(whole);
        const failed = await run(ranged, RANGE_BYTES);
        const afterFailure = {
          completes: proxy.log.filter((r) => r.bucket === ranged && isComplete(r)).map((r) => r.status),
          refused: proxy.log.filter((r) => r.bucket === ranged && refused(r)).length,
          uploads: proxy.log.filter((r) => r.bucket === ranged && r.key === TARGET && r.query.has('uploads'))
            .length,
          open: server.openMultipartUploads(),
          parquet: await keysUnder('parquet/'),
          avro: await keysUnder('avro/'),
          parts: (await keysUnder(`_runs/${failed.runId}/ranges/parquet/`)).length,
        };
        const failedReport = JSON.parse(await text(ranged, `_runs/${failed.runId}/report.json`));
        proxy.setRule(() => undefined);
        const redriven = await LocalRunner.redrive(
          failed.runId,
          { kind: 's3', bucket: ranged, prefix: '' },
          { endpoint: proxy.endpoint, retryIntervalMs: 1 },
        );
        // assert
        expect([one.status, failed.status, redriven.status]).toEqual(['SUCCEEDED', 'FAILED', 'SUCCEEDED']);
        // Both joins (JoinFiles, RetryJoin) started an upload and were refused; none became visible.
        expect(afterFailure).toEqual({
          completes: Array.from({ length: completes }, () => 403),
          refused: expect.any(Number),
          uploads: 2,
          open: [],
          parquet: [],
          avro: ['avro/sales/big.avro'],
          parts: expect.any(Number),
        });
        expect(afterFailure.refused).toBeGreaterThanOrEqual(2);
        expect(afterFailure.parts).toBeGreaterThanOrEqual(4);
        expect(failed.items).toMatchObject({ total: 1, converted: 0, failed: 1 });
        expect(failedReport.failures).toEqual([
          { key: `exports/${KEY}`, errors: [expect.objectContaining({ format: 'parquet' })] },
        ]);
        expect(redriven.items).toMatchObject({ total: 1, converted: 1, failed: 0 });
        const dir = mkdtempSync(join(tmpdir(), 'ranges-join-out-'));
        for (const format of FORMATS) {
          const key = `${format}/sales/big.${format}`;
          const paths = await Promise.all(
            [ranged, whole].map(async (bucket) => {
              const o = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
              const path = join(dir, `${bucket}-${format}`);
              writeFileSync(path, await o.Body!.transformToByteArray());
              return path;
            }),
          );
          expect(await rowsOf(format, paths[0]!)).toEqual(await rowsOf(format, paths[1]!));
        }
        expect(await text(ranged, '_rejects/sales/big.rejects.csv')).toBe(
          await text(whole, '_rejects/sales/big.rejects.csv'),
        );
        expect(server.openMultipartUploads()).toEqual([]);
        expect(await keysUnder(`_runs/${failed.runId}/ranges/`)).toEqual([]);
      } finally {
        await proxy.stop();
      }
    },
  );
});
