/*
 * Issue 16 through the local runner, which runs the synthesized definition: a file over `rangeBytes` is
 * planned as range items (ConvertFiles, on the converter threads) and joined (JoinFiles) into ONE output
 * per format, equal value for value and in row order to the one-item run (DuckDB, hyparquet, avsc), on a
 * folder and on fauxqs. A failed join fails the run without a visible output; the redrive re-runs the join,
 * which converts only the range that failed, and the report accounts for the file once.
 */
import './quiet';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OutputFormat } from '../../lambdas/core/model/options';
import type { Invocation } from '../../lib/local/task-handlers';
import { LocalRunner } from '../../lib/local/runner';
import { JOIN_PREFIX, RETRY_PREFIX, STATES } from '../../lib/workflow/definition';
import { readAvro, readParquetWithDuckDB, readParquetWithHyparquet } from '../support/readers';
import { startS3Server, type S3Server } from '../support/s3-server';
import { awkwardCsv } from '../unit/ranges/csv-samples';

jest.setTimeout(600_000);

/** ~5.5 MB: quoted line breaks, CRLF, multi-byte text; ragged rows in several ranges; `n` widened late. */
const csv = awkwardCsv(90_000, (i) =>
  i % 15_001 === 13 ? `${i},ragged` : i === 85_000 ? `${i},late,12.5,x,2024-01-01` : undefined,
);
const RANGE_BYTES = 1 << 20;

async function rowsOf(format: OutputFormat, path: string): Promise<unknown[]> {
  if (format === 'avro') {
    const { schema, rows } = await readAvro(path);
    return [schema, rows];
  }
  return [(await readParquetWithDuckDB(path)).rows, (await readParquetWithHyparquet(path)).rows];
}

function inputFolder(): string {
  const input = join(mkdtempSync(join(tmpdir(), 'ranges-run-')), 'in');
  mkdirSync(join(input, 'sales'), { recursive: true });
  writeFileSync(join(input, 'sales', 'big.csv'), csv);
  return input;
}

test('a folder run of a file in ranges equals the one-item run, value for value; its parts are gone', async () => {
  // prepare
  const input = inputFolder();
  const whole = join(input, '..', 'whole');
  const ranged = join(input, '..', 'ranged');
  // act
  const one = await LocalRunner.run({
    input: { kind: 'dir', path: input },
    output: { kind: 'dir', path: whole },
  });
  const split = await LocalRunner.run({
    input: { kind: 'dir', path: input },
    output: { kind: 'dir', path: ranged },
    rangeBytes: RANGE_BYTES,
  });
  // assert
  expect([one.status, split.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  const plan = JSON.parse(readFileSync(join(ranged, '_runs', split.runId, 'plan', 'plan.json'), 'utf8'));
  expect(plan).toMatchObject({ planned: 1, split: 1 });
  expect(plan.ranges).toBeGreaterThanOrEqual(4);
  for (const format of ['parquet', 'avro'] as const) {
    const path = (root: string) => join(root, format, 'sales', `big.${format}`);
    expect(await rowsOf(format, path(ranged))).toEqual(await rowsOf(format, path(whole)));
  }
  const rejects = (root: string) => readFileSync(join(root, '_rejects', 'sales', 'big.rejects.csv'), 'utf8');
  expect(rejects(ranged)).toBe(rejects(whole));
  // The report shows the file once.
  expect(split.items).toMatchObject({ total: 1, converted: 1, failed: 0 });
  const report = JSON.parse(readFileSync(join(ranged, '_runs', split.runId, 'report.json'), 'utf8'));
  const one_ = JSON.parse(readFileSync(join(whole, '_runs', one.runId, 'report.json'), 'utf8'));
  expect(report.rejectedRows).toBe(one_.rejectedRows);
  expect(report.rejectedRows).toBe(6);
  const rangesDir = join(ranged, '_runs', split.runId, 'ranges');
  const left = existsSync(rangesDir) ? readdirSync(rangesDir, { recursive: true, withFileTypes: true }) : [];
  expect(left.filter((e) => e.isFile()).map((e) => e.name)).toEqual([]);
});

test('a range that fails and a join that fails: the run fails with no output; the redrive re-runs the join, which converts only that range', async () => {
  // prepare
  const input = inputFolder();
  const whole = join(input, '..', 'whole');
  const ranged = join(input, '..', 'ranged');
  await LocalRunner.run({ input: { kind: 'dir', path: input }, output: { kind: 'dir', path: whole } });
  const isJoin = (p: unknown) => typeof (p as { count?: unknown }).count === 'number';
  const failedRange = (p: unknown) => (p as { range?: { index: number } | null }).range?.index === 2;
  // act
  const failed = await LocalRunner.run({
    input: { kind: 'dir', path: input },
    output: { kind: 'dir', path: ranged },
    rangeBytes: RANGE_BYTES,
    retryIntervalMs: 1,
    fault: (state, payload) =>
      (state === STATES.convertParquet && failedRange(payload)) ||
      (state.endsWith(STATES.convertParquet) && state !== STATES.convertParquet && isJoin(payload))
        ? Object.assign(new Error('injected'), { name: 'AccessDenied' })
        : undefined,
  });
  const afterFailure = existsSync(join(ranged, 'parquet', 'sales', 'big.parquet'));
  const invocations: Invocation[] = [];
  const redriven = await LocalRunner.redrive(
    failed.runId,
    { kind: 'dir', path: ranged },
    { invocations, retryIntervalMs: 1 },
  );
  // assert
  expect(failed.status).toBe('FAILED');
  expect(afterFailure).toBe(false);
  expect(redriven.status).toBe('SUCCEEDED');
  expect(redriven.items).toMatchObject({ total: 1, converted: 1, failed: 0 });
  // Only the retry map's child ran again (the join item of the key): no range item, no first-map join.
  const states = new Set(invocations.map((i) => i.state));
  expect(states.has(RETRY_PREFIX + STATES.convertParquet)).toBe(true);
  for (const state of [
    STATES.convertParquet,
    STATES.convertAvro,
    JOIN_PREFIX + STATES.convertParquet,
    JOIN_PREFIX + STATES.convertAvro,
  ])
    expect(states.has(state)).toBe(false);
  const path = (root: string) => join(root, 'parquet', 'sales', 'big.parquet');
  expect(await rowsOf('parquet', path(ranged))).toEqual(await rowsOf('parquet', path(whole)));
});

describe('over fauxqs', () => {
  let server: S3Server;
  beforeAll(async () => {
    server = await startS3Server({ storageDir: mkdtempSync(join(tmpdir(), 'ranges-run-s3-')) });
    for (const b of ['landing', 'whole', 'ranged']) await server.createBucket(b);
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
  });
  afterAll(() => server?.stop());

  test('a fauxqs run of a file in ranges (multipart UploadPartCopy join) equals the one-item run', async () => {
    // prepare
    const s3 = server.client();
    await s3.send(new PutObjectCommand({ Bucket: 'landing', Key: 'exports/sales/big.csv', Body: csv }));
    const run = (bucket: string, rangeBytes?: number) =>
      LocalRunner.run({
        input: { kind: 's3', bucket: 'landing', prefix: 'exports/' },
        output: { kind: 's3', bucket, prefix: '' },
        endpoint: server.endpoint,
        ...(rangeBytes ? { rangeBytes } : {}),
      });
    // act
    const one = await run('whole');
    const split = await run('ranged', RANGE_BYTES);
    // assert
    const reportOf = async (bucket: string, runId: string) => {
      const o = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `_runs/${runId}/report.json` }));
      return JSON.parse(await o.Body!.transformToString()) as { failures?: unknown };
    };
    // The failures first: a failed run's report says why.
    expect((await reportOf('ranged', split.runId)).failures ?? []).toEqual([]);
    expect([one.status, split.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const dir = mkdtempSync(join(tmpdir(), 'ranges-run-out-'));
    const download = async (bucket: string, key: string) => {
      const o = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const path = join(dir, `${bucket}-${key.replaceAll('/', '_')}`);
      writeFileSync(path, await o.Body!.transformToByteArray());
      return path;
    };
    for (const format of ['parquet', 'avro'] as const) {
      const key = `${format}/sales/big.${format}`;
      expect(await rowsOf(format, await download('ranged', key))).toEqual(
        await rowsOf(format, await download('whole', key)),
      );
    }
    expect(split.items).toMatchObject({ total: 1, converted: 1, failed: 0 });
    expect(server.openMultipartUploads()).toEqual([]);
  });
});
