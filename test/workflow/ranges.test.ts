/*
 * Issue 16 through the local runner, which runs the synthesized definition: a file over `rangeBytes` is
 * planned as range items (ConvertFiles, on the converter threads) and joined (JoinFiles) into ONE output
 * per format, equal value for value and in row order to the one-item run (DuckDB, hyparquet, avsc), on a
 * folder and on fauxqs. A value that widens a column in a late range goes through the reconcile loop: the
 * join hands round 2 back, RetryFailed converts every range again, RetryJoin joins. A range that fails in
 * RetryFailed fails the run without a visible output; the redrive re-runs only that range, and the report
 * accounts for the file once. An output made stale by a later file goes round as its range items and join.
 */
import './quiet';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRunner } from '../../lib/local/runner';
import { JOIN_PREFIX, RETRY_JOIN_PREFIX, RETRY_PREFIX, STATES } from '../../lib/workflow/definition';
import { readParquetWithDuckDB } from '../support/readers';
import { type Call, inputFolderWith, recorder, rowsOf } from '../support/ranges-run';
import { startS3Server, type S3Server } from '../support/s3-server';
import { awkwardCsv } from '../unit/ranges/csv-samples';

jest.setTimeout(600_000);

/** ~5.5 MB: quoted line breaks, CRLF, multi-byte text; ragged rows in several ranges; `n` widened late. */
const csv = awkwardCsv(90_000, (i) =>
  i % 15_001 === 13 ? `${i},ragged` : i === 85_000 ? `${i},late,12.5,x,2024-01-01` : undefined,
);
const RANGE_BYTES = 1 << 20;

const inputFolder = () => inputFolderWith(csv);

test('a folder run of a file in ranges equals the one-item run, value for value; round 2 goes round the retry maps; its parts are gone', async () => {
  // prepare
  const input = inputFolder();
  const whole = join(input, '..', 'whole');
  const ranged = join(input, '..', 'ranged');
  const calls: Call[] = [];
  const rows = { one: 0, split: 0 };
  const files: string[] = [];
  // act
  const one = await LocalRunner.run({
    input: { kind: 'dir', path: input },
    output: { kind: 'dir', path: whole },
    onProgress: (p) => (rows.one = p.rows),
  });
  const split = await LocalRunner.run({
    input: { kind: 'dir', path: input },
    output: { kind: 'dir', path: ranged },
    rangeBytes: RANGE_BYTES,
    fault: recorder(calls),
    onProgress: (p) => {
      rows.split = p.rows;
      files.push(`${p.done}/${p.total}`);
    },
  });
  // assert
  expect([one.status, split.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  const plan = JSON.parse(readFileSync(join(ranged, '_runs', split.runId, 'plan', 'plan.json'), 'utf8'));
  expect(plan).toMatchObject({ planned: 1, split: 1 });
  expect(plan.ranges).toBeGreaterThanOrEqual(4);
  // Round 2 through the maps: every range once in ConvertFiles, the join handing back, every range again
  // in RetryFailed with round 2, then RetryJoin's join; never the whole file in one function.
  const all = Array.from({ length: plan.ranges }, (_, i) => i);
  const of = (state: string) => calls.filter((c) => c.state === state);
  expect(
    of(STATES.convertParquet)
      .map((c) => c.range?.index)
      .sort((a, b) => a! - b!),
  ).toEqual(all);
  expect(of(STATES.convertParquet).every((c) => (c.range?.round ?? 1) === 1)).toBe(true);
  expect(of(JOIN_PREFIX + STATES.convertParquet).map((c) => c.count)).toEqual([plan.ranges]);
  const round2 = of(RETRY_PREFIX + STATES.convertParquet);
  expect(round2.map((c) => [c.range?.index, c.range?.round]).sort((a, b) => a[0]! - b[0]!)).toEqual(
    all.map((i) => [i, 2]),
  );
  expect(of(RETRY_JOIN_PREFIX + STATES.convertParquet).map((c) => c.count)).toEqual([plan.ranges]);
  expect(calls.some((c) => c.range === undefined && c.count === undefined)).toBe(false);
  for (const format of ['parquet', 'avro'] as const) {
    const path = (root: string) => join(root, format, 'sales', `big.${format}`);
    expect(await rowsOf(format, path(ranged))).toEqual(await rowsOf(format, path(whole)));
  }
  const rejects = (root: string) => readFileSync(join(root, '_rejects', 'sales', 'big.rejects.csv'), 'utf8');
  expect(rejects(ranged)).toBe(rejects(whole));
  // The report shows the file once; the progress line counted its rows once (not again in round 2 or
  // the joins).
  expect(split.items).toMatchObject({ total: 1, converted: 1, failed: 0 });
  expect(rows.one).toBeGreaterThan(0);
  expect(rows.split).toBe(rows.one);
  // …and counted the file once: its range items add up to one file, not one file each.
  expect(files.at(-1)).toMatch(/^(1|0\.9+\d*)\/(1|0\.9+\d*)$/u);
  expect(files.every((f) => Number(f.split('/')[1]) <= 1 + 1e-9)).toBe(true);
  const report = JSON.parse(readFileSync(join(ranged, '_runs', split.runId, 'report.json'), 'utf8'));
  const one_ = JSON.parse(readFileSync(join(whole, '_runs', one.runId, 'report.json'), 'utf8'));
  expect(report.rejectedRows).toBe(one_.rejectedRows);
  expect(report.rejectedRows).toBe(6);
  // Its parts under it: every one of round 2, their rows the file's.
  const [file] = report.files as { rows: number; parts?: { index: number; rows: number; round: number }[] }[];
  expect(file!.parts?.map((p) => [p.index, p.round])).toEqual(all.map((i) => [i, 2]));
  expect(file!.parts?.reduce((n, p) => n + p.rows, 0)).toBe(file!.rows);
  const rangesDir = join(ranged, '_runs', split.runId, 'ranges');
  const left = existsSync(rangesDir) ? readdirSync(rangesDir, { recursive: true, withFileTypes: true }) : [];
  expect(left.filter((e) => e.isFile()).map((e) => e.name)).toEqual([]);
});

test('a range that fails in RetryFailed fails the run with no output; the redrive re-runs only the ranges that did not succeed, then the loop ends', async () => {
  // prepare
  const input = inputFolder();
  const whole = join(input, '..', 'whole');
  const ranged = join(input, '..', 'ranged');
  await LocalRunner.run({ input: { kind: 'dir', path: input }, output: { kind: 'dir', path: whole } });
  // Range 2's Parquet conversion fails, every attempt, in ConvertFiles and in RetryFailed.
  const failing = (c: Call) =>
    c.range?.index === 2 &&
    (c.state === STATES.convertParquet || c.state === RETRY_PREFIX + STATES.convertParquet);
  const calls: Call[] = [];
  const redriveCalls: Call[] = [];
  // act
  const failed = await LocalRunner.run({
    input: { kind: 'dir', path: input },
    output: { kind: 'dir', path: ranged },
    rangeBytes: RANGE_BYTES,
    retryIntervalMs: 1,
    fault: recorder(calls, (c) =>
      failing(c) ? Object.assign(new Error('injected'), { name: 'AccessDenied' }) : undefined,
    ),
  });
  const output = join(ranged, 'parquet', 'sales', 'big.parquet');
  const afterFailure = existsSync(output);
  const failedReport = JSON.parse(readFileSync(join(ranged, '_runs', failed.runId, 'report.json'), 'utf8'));
  const retried = JSON.parse(
    readFileSync(join(ranged, '_runs', failed.runId, 'local', `map-${STATES.retryFailed}.json`), 'utf8'),
  ) as { children: { status: string; input: { range?: { index: number } } }[] };
  const notSucceeded = retried.children
    .filter((c) => c.status !== 'SUCCEEDED')
    .map((c) => c.input.range?.index)
    .sort((x, y) => x! - y!);
  const redriven = await LocalRunner.redrive(
    failed.runId,
    { kind: 'dir', path: ranged },
    { retryIntervalMs: 1, fault: recorder(redriveCalls) },
  );
  // assert
  expect(failed.status).toBe('FAILED');
  expect(afterFailure).toBe(false);
  // The key is failed in the failed run's report, never converted.
  expect(failedReport.items).toMatchObject({ total: 1, converted: 0, failed: 1 });
  expect(notSucceeded).toContain(2);
  expect(redriven.status).toBe('SUCCEEDED');
  expect(redriven.items).toMatchObject({ total: 1, converted: 1, failed: 0 });
  // The redrive resumed RetryFailed with only its children that had not succeeded (range 2 among them),
  // then went on (RetryJoin; round 2 round the loop): no first-map child ran again.
  const firstJoin = redriveCalls.findIndex((c) => c.state.startsWith(RETRY_JOIN_PREFIX));
  const resumed = redriveCalls
    .slice(0, firstJoin)
    .filter((c) => c.state === RETRY_PREFIX + STATES.convertParquet);
  expect(resumed.map((c) => c.range?.index).sort((x, y) => x! - y!)).toEqual(notSucceeded);
  for (const state of [
    STATES.convertParquet,
    STATES.convertAvro,
    JOIN_PREFIX + STATES.convertParquet,
    JOIN_PREFIX + STATES.convertAvro,
  ])
    expect(redriveCalls.some((c) => c.state === state)).toBe(false);
  expect(await rowsOf('parquet', output)).toEqual(
    await rowsOf('parquet', join(whole, 'parquet', 'sales', 'big.parquet')),
  );
  expect(await rowsOf('avro', join(ranged, 'avro', 'sales', 'big.avro'))).toEqual(
    await rowsOf('avro', join(whole, 'avro', 'sales', 'big.avro')),
  );
  const rangesDir = join(ranged, '_runs', failed.runId, 'ranges');
  const left = existsSync(rangesDir) ? readdirSync(rangesDir, { recursive: true, withFileTypes: true }) : [];
  expect(left.filter((e) => e.isFile()).map((e) => e.name)).toEqual([]);
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
      return JSON.parse(await o.Body!.transformToString()) as {
        failures?: unknown;
        files: { parts?: { round: number }[] }[];
      };
    };
    // The failures first: a failed run's report says why.
    const report = await reportOf('ranged', split.runId);
    expect(report.failures ?? []).toEqual([]);
    // The late widening went round the retry maps: every part joined is of round 2.
    expect(report.files[0]!.parts!.length).toBeGreaterThanOrEqual(4);
    expect(report.files[0]!.parts!.every((p) => p.round === 2)).toBe(true);
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

test("an output made stale by a later file's wider type goes round as its range items and its join, never whole", async () => {
  // prepare: run 1 converts the big file; run 2 adds a file whose `id` is text, which widens the dataset.
  const input = inputFolder();
  const small = 'id,text,n,amount,day\nabc,t,1,2,2024-01-01\n';
  const [whole, ranged] = [join(input, '..', 'whole'), join(input, '..', 'ranged')];
  const run = (output: string, rangeBytes?: number, fault?: ReturnType<typeof recorder>) =>
    LocalRunner.run({
      input: { kind: 'dir', path: input },
      output: { kind: 'dir', path: output },
      ...(rangeBytes ? { rangeBytes } : {}),
      ...(fault ? { fault } : {}),
    });
  await run(whole);
  await run(ranged, RANGE_BYTES);
  writeFileSync(join(input, 'sales', 'small.csv'), small);
  const calls: Call[] = [];
  // act
  const one = await run(whole);
  const split = await run(ranged, RANGE_BYTES, recorder(calls));
  // assert
  expect([one.status, split.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  const plan = JSON.parse(readFileSync(join(ranged, '_runs', split.runId, 'plan', 'plan.json'), 'utf8'));
  // Run 2 planned the small file only; the big one went round the retry maps as its ranges and its join.
  expect(plan).toMatchObject({ planned: 1, split: 0 });
  const retried = calls.filter((c) => c.state === RETRY_PREFIX + STATES.convertParquet);
  expect(retried.length).toBeGreaterThanOrEqual(4);
  expect(retried.every((c) => c.range !== undefined && (c.range.round ?? 1) === 1)).toBe(true);
  expect(calls.filter((c) => c.state === RETRY_JOIN_PREFIX + STATES.convertParquet)).toEqual([
    { state: RETRY_JOIN_PREFIX + STATES.convertParquet, count: retried.length },
  ]);
  for (const format of ['parquet', 'avro'] as const) {
    const path = (root: string) => join(root, format, 'sales', `big.${format}`);
    expect(await rowsOf(format, path(ranged))).toEqual(await rowsOf(format, path(whole)));
  }
  // The big file's output now has the dataset's wider `id` (run 1 wrote it as integers).
  const { columns } = await readParquetWithDuckDB(join(ranged, 'parquet', 'sales', 'big.parquet'));
  expect(columns[0]).toEqual(['id', 'VARCHAR']);
});
