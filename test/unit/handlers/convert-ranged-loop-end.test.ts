/*
 * The reconcile loop ends when a range's conversion keeps failing (issue 16): a retry join (RetryJoin's,
 * `current`) that finds a range still to convert exactly as the last join handed it back (its child failed
 * in RetryFailed, tolerated by `toleratedFailedFiles`) fails the file with RangeNotConvertedError instead
 * of handing it back again, which would go round AnyStale until the execution's limits. Once the range has
 * its part, the same retry join joins.
 */
import '../lake/quiet';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConverterHandler } from '../../../lambdas/handlers/converter-handler';
import { FsObjectStore } from '../../../lambdas/io/fs-object-store';
import { cutEvenly } from '../../../lambdas/ranges/range-plan';
import type { ConvertResult } from '../../../lambdas/shared/payloads';
import { itemRecordKey, rangePartsPrefix } from '../../../lambdas/shared/run-keys';
import { awkwardCsv } from '../ranges/csv-samples';
import { LANDING_LAYOUT, runContext } from '../../support/run-context';

const KEY = 'landing/sales/big.csv';
const COUNT = 4;
const run = runContext('night-1', {
  inputBucket: 'landing',
  outputPrefixes: { parquet: 'parquet/' },
  layout: LANDING_LAYOUT,
});

test('a range handed back and still without a part after RetryFailed fails the file instead of going round again', async () => {
  // prepare
  const root = mkdtempSync(join(tmpdir(), 'ranged-loop-end-'));
  const store = new FsObjectStore({ landing: join(root, 'in'), out: join(root, 'out') });
  await store.put('landing', KEY, awkwardCsv(12_000));
  const { etag, size } = (await store.head('landing', KEY))!;
  const handler = createConverterHandler('parquet', { store, env: {} });
  const item = { bucket: 'landing', key: KEY, etag, size, run };
  const ranges = cutEvenly(size, COUNT);
  const failing = 2;
  for (const r of ranges.filter((r) => r.index !== failing))
    await handler({ ...item, range: { ...r, count: COUNT } });
  const record = () =>
    JSON.parse(
      readFileSync(join(root, 'out', itemRecordKey(run.runId, 'parquet', KEY)), 'utf8'),
    ) as ConvertResult;
  const join_ = (current: boolean) =>
    handler({ ...item, count: COUNT, ...(current ? { current } : {}) } as never);
  const output = join(root, 'out', 'parquet', 'sales', 'big.parquet');

  // act: JoinFiles' join hands the range back; its RetryFailed child fails (nothing converts it)
  const first = await join_(false).catch((e: Error) => e);
  const handedBack = record().rangesToConvert;
  const second = await join_(true).catch((e: Error) => e);
  const failed = record();

  // assert
  expect((first as Error).name).toBe('RangesToConvertError');
  expect(handedBack?.ranges.map((r) => r.index)).toEqual([failing]);
  expect((second as Error).name).toBe('RangeNotConvertedError');
  expect((second as Error).message).toContain(`range ${failing} of ${COUNT}`);
  expect(failed).toMatchObject({ status: 'failed', error: { type: 'RangeNotConvertedError' } });
  expect(failed.rangesToConvert).toBeUndefined();
  expect(existsSync(output)).toBe(false);

  // A redrive converts the range; the same retry join then joins.
  await handler({ ...item, current: true, range: handedBack!.ranges[0]! });
  const joined = (await join_(true)) as { status: string };
  expect(joined.status).toBe('converted');
  expect(existsSync(output)).toBe(true);

  // A later run's range items of the same version (a doubtful key) write parts; its join finds the output
  // current: skipped, and the parts do not stay.
  for (const r of ranges) await handler({ ...item, range: { ...r, count: COUNT } });
  const partsDir = join(root, 'out', rangePartsPrefix(run.runId, 'parquet', KEY));
  expect(readdirSync(partsDir).length).toBeGreaterThan(0);
  const skipped = (await join_(false)) as { status: string };
  expect(skipped.status).toBe('skipped');
  expect(existsSync(partsDir) ? readdirSync(partsDir) : []).toEqual([]);
});

test('a folder file rewritten after its ranges were read fails the join with InputChangedError: no output', async () => {
  // prepare: every range converted from the listed version, then the file rewritten in place
  const root = mkdtempSync(join(tmpdir(), 'ranged-torn-'));
  const store = new FsObjectStore({ landing: join(root, 'in'), out: join(root, 'out') });
  await store.put('landing', KEY, awkwardCsv(12_000));
  const { etag, size } = (await store.head('landing', KEY))!;
  const handler = createConverterHandler('parquet', { store, env: {} });
  const item = { bucket: 'landing', key: KEY, etag, size, run };
  for (const r of cutEvenly(size, COUNT)) await handler({ ...item, range: { ...r, count: COUNT } });
  await new Promise((resolve) => setTimeout(resolve, 20)); // a later modification time
  await store.put('landing', KEY, awkwardCsv(12_000).replace('id,', 'ID,'));
  // act
  const error = await handler({ ...item, count: COUNT } as never).catch((e: Error) => e);
  // assert
  expect((error as Error).name).toBe('InputChangedError');
  expect((error as Error).message).toContain('changed while it was converted');
  expect(existsSync(join(root, 'out', 'parquet', 'sales', 'big.parquet'))).toBe(false);
});
