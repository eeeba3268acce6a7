/*
 * The reducer's part of issue 16's reconcile loop: a split key whose join handed ranges back
 * (RangesToConvertError, its record listing them) is failed, its range items (each range once over both
 * formats: the later round, an exact start over a guessed one) go to failed-items.json for RetryFailed, its
 * join item to retry-joins.json for RetryJoin, and the answer counts them (AnyStale loops on
 * `rangesToConvert`); a joined split key's account lists its parts. Lists the retry maps read, pure:
 * a stale key over rangeBytes becomes its range items and its join, never one whole-key item.
 */
import { itemRecordKey } from '../../../lambdas/handlers/convert-item';
import { createReduceHandler, isFinalReduction } from '../../../lambdas/handlers/reduce';
import { retryLists } from '../../../lambdas/handlers/report/retry-items';
import { reportList } from '../../../lambdas/handlers/report/report-types';
import type {
  ConvertItem,
  ConvertResult,
  RangesToConvert,
  ReduceResult,
} from '../../../lambdas/shared/payloads';
import { MemoryObjectStore } from '../../support/memory-store';
import { runContext } from '../../support/run-context';

const run = runContext('night-7');
const at = '2026-12-07T01:00:00.000Z';
const KEY = 'landing/sales/big.csv';

function record(
  store: MemoryObjectStore,
  r: Partial<ConvertResult> & Pick<ConvertResult, 'format' | 'status'>,
) {
  const full: ConvertResult = { key: KEY, durationMs: 1000, outputKey: `x/${KEY}`, at, ...r };
  return store.put('out', itemRecordKey(run.runId, r.format, full.key), JSON.stringify(full));
}

const back = (round: 1 | 2, ranges: RangesToConvert['ranges']): RangesToConvert => ({
  bucket: 'in',
  etag: '"e1"',
  size: 4_000,
  count: 4,
  round,
  ranges,
});

async function readJson<T>(store: MemoryObjectStore, key: string): Promise<T> {
  return JSON.parse(store.text('out', key)!) as T;
}

test('a split key handed back: failed, its ranges to RetryFailed (once each, the later round), its join to RetryJoin', async () => {
  // prepare: Parquet's join lacks range 1's part; Avro's decided round 2 for every range.
  const store = new MemoryObjectStore();
  await record(store, {
    format: 'parquet',
    status: 'failed',
    error: { type: 'RangesToConvertError', message: `${KEY}: 1 of 4 ranges have no part yet` },
    rangesToConvert: back(1, [{ index: 1, count: 4, start: 1_000, end: 2_000 }]),
  });
  await record(store, {
    format: 'avro',
    status: 'failed',
    error: { type: 'RangesToConvertError', message: `${KEY}: round 2: 4 of 4 ranges convert again` },
    rangesToConvert: back(
      2,
      [0, 1, 2, 3].map((index) => ({
        index,
        count: 4,
        start: index * 1_000 + (index ? 7 : 0),
        end: (index + 1) * 1_000,
        round: 2 as const,
        exactStart: true,
      })),
    ),
  });
  // act
  const result = await createReduceHandler({ store, env: {}, now: () => new Date(at) })({
    run,
    mapResults: [],
    final: 'ifNoneFailed',
  });
  // assert
  expect(result).toMatchObject<Partial<ReduceResult>>({
    items: { total: 1, converted: 0, skipped: 0, failed: 1, ignored: 0 },
    rangesToConvert: 4,
    retryJoins: 1,
    failedItemsKey: '_runs/night-7/failed-items.json',
    retryJoinsKey: '_runs/night-7/retry-joins.json',
  });
  const items = await readJson<ConvertItem[]>(store, result.failedItemsKey!);
  expect(items.map((i) => [i.key, i.current, i.range?.index, i.range?.round, i.range?.start])).toEqual([
    [KEY, true, 0, 2, 0],
    [KEY, true, 1, 2, 1_007],
    [KEY, true, 2, 2, 2_007],
    [KEY, true, 3, 2, 3_007],
  ]);
  expect(items.every((i) => i.etag === '"e1"' && i.size === 4_000 && i.run.runId === 'night-7')).toBe(true);
  expect(await readJson(store, result.retryJoinsKey!)).toEqual([
    { bucket: 'in', key: KEY, etag: '"e1"', size: 4_000, run, current: true, count: 4 },
  ]);
  const report = await readJson<{ failures: { errors: { type: string; message: string }[] }[] }>(
    store,
    result.reportKey,
  );
  expect(report.failures[0]!.errors.map((e) => e.type)).toEqual([
    'RangesToConvertError',
    'RangesToConvertError',
  ]);
  expect(report.failures[0]!.errors.map((e) => e.message).join(' ')).toContain('round 2: 4 of 4 ranges');
});

test('a split key joined: converted, its parts in its account; nothing to retry', async () => {
  // prepare
  const store = new MemoryObjectStore();
  const parts = [0, 1].map((index) => ({
    index,
    rows: 10 + index,
    rejectedRows: index,
    bytesIn: 500,
    durationMs: 40,
    round: 2 as const,
  }));
  for (const format of ['parquet', 'avro'] as const)
    await record(store, { format, status: 'converted', rows: 21, rejectedRows: 1, bytesIn: 1_000, parts });
  // act
  const result = await createReduceHandler({ store, env: {}, now: () => new Date(at) })({
    run,
    mapResults: [],
  });
  // assert
  expect(result).toMatchObject({ rangesToConvert: 0, retryJoins: 0, items: { converted: 1, failed: 0 } });
  expect(result.retryJoinsKey).toBeUndefined();
  const report = await readJson<{ files: { key: string; parts?: unknown }[] }>(store, result.reportKey);
  expect(report.files).toEqual([expect.objectContaining({ key: KEY, parts })]);

  // A later reduction that knows the key only from this report (its records gone: carried) keeps its parts.
  for (const format of ['parquet', 'avro'] as const)
    await store.delete('out', itemRecordKey(run.runId, format, KEY));
  const again = await createReduceHandler({ store, env: {}, now: () => new Date(at) })({
    run,
    mapResults: [],
  });
  const carried = await readJson<{ files: { key: string; parts?: unknown }[] }>(store, again.reportKey);
  expect(carried.files).toEqual([expect.objectContaining({ key: KEY, status: 'converted', parts })]);
});

test('retryLists: a stale key over rangeBytes goes round as its range items and its join; a small one whole', () => {
  // prepare
  const item = (key: string, size: number): ConvertItem => ({ bucket: 'in', key, etag: '"s"', size, run });
  const failedJoin = { ...item('landing/x/failed-join.csv', 9_000_000), count: 3, current: true };
  const failed = reportList(2, () => [item('landing/x/small-failed.csv', 10), failedJoin][Symbol.iterator]());
  const stale = [
    item('landing/x/big.csv', 5 * 1024 * 1024 + 1),
    item('landing/x/big.csv.gz', 50 * 1024 * 1024),
    item('landing/x/small.csv', 100),
  ];
  // act
  const lists = retryLists(failed, stale, 2 * 1024 * 1024);
  // assert
  expect([...lists.failedItems].map((i) => i.key)).toEqual(['landing/x/small-failed.csv']);
  expect(lists.failedItems.length).toBe(1);
  expect(lists.staleItems.map((i) => [i.key, i.range?.index ?? null, i.range?.count ?? null])).toEqual([
    ['landing/x/big.csv', 0, 3],
    ['landing/x/big.csv', 1, 3],
    ['landing/x/big.csv', 2, 3],
    ['landing/x/big.csv.gz', null, null],
    ['landing/x/small.csv', null, null],
  ]);
  expect(lists.staleItems.filter((i) => i.range).every((i) => i.current === true)).toBe(true);
  expect(lists.joins.map((j) => [j.key, j.count, j.current])).toEqual([
    ['landing/x/failed-join.csv', 3, true],
    ['landing/x/big.csv', 3, true],
  ]);
  expect(lists.ranges).toBe(3);
  expect(lists.staleKeys).toBe(3);
});

test("a reduction after which ranges go round the loop is not final (FilesFailed waits for the loop); the rule's is", () => {
  // prepare
  const report = { items: { total: 1, converted: 0, skipped: 0, failed: 1, ignored: 0 }, staleItems: [] };
  // act
  const outcomes = [
    isFinalReduction({ run, final: true }, report, 4),
    isFinalReduction({ run, final: true }, report, 0),
    isFinalReduction({ detail: { name: 'night-7', status: 'FAILED' } }, report, 4),
  ];
  // assert
  expect(outcomes).toEqual([false, true, true]);
});
