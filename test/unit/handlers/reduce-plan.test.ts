/*
 * The reducer over a run with a plan: the keys the plan passed over (unchanged, not CSV) are accounted from
 * the plan's list, streamed, every key once, also by the execution-status rule's reducer and by a reduction
 * that reads the earlier report back; the inventory is rewritten from what the run proved and what the plan
 * carried.
 */
import { tmpdir } from 'node:os';
import { CONVERTER_VERSION, itemRecordKey } from '../../../lambdas/handlers/convert-item';
import { createReduceHandler } from '../../../lambdas/handlers/reduce';
import { inventoryKey, inventoryScope, type InventoryEntry } from '../../../lambdas/lake/inventory';
import { planKeys, type PlanSummary } from '../../../lambdas/lake/plan-files';
import { converterFingerprint } from '../../../lambdas/lake/plan-fingerprint';
import { converterConfig } from '../../../lambdas/shared/config';
import type { ConvertResult } from '../../../lambdas/shared/payloads';
import { MemoryObjectStore } from '../../support/memory-store';
import { LANDING_LAYOUT, runContext } from '../../support/run-context';

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const run = runContext('night-2', { layout: LANDING_LAYOUT });
const at = '2026-11-26T01:00:00.000Z';
const etag = (i: number) => `"${String(i).padStart(32, '0')}"`;

async function options(store: MemoryObjectStore): Promise<string> {
  const fingerprint = await converterFingerprint(
    store,
    { ...converterConfig({ CSV2LAKE_FORMAT: 'parquet' }), spoolDir: tmpdir() },
    CONVERTER_VERSION,
  );
  return fingerprint.optionsHash('orders')!;
}

/** A plan of `unchanged` passed keys, one not-CSV key, and `planned` keys. */
async function writePlan(
  store: MemoryObjectStore,
  unchanged: readonly string[],
  planned: readonly string[],
  fingerprintId?: string,
): Promise<PlanSummary> {
  const o = await options(store);
  const id = (
    await converterFingerprint(
      store,
      { ...converterConfig({ CSV2LAKE_FORMAT: 'parquet' }), spoolDir: tmpdir() },
      CONVERTER_VERSION,
    )
  ).id;
  const keys = planKeys(run.runId);
  const passed = [
    ...unchanged.map((k, i) => ({ k, e: etag(i), v: CONVERTER_VERSION, o, s: 'print-1' })),
    { k: 'landing/readme.md', i: 1 },
  ].sort((a, b) => (a.k < b.k ? -1 : 1));
  await store.put('out', keys.passed, passed.map((l) => JSON.stringify(l)).join('\n') + '\n');
  await store.put(
    'out',
    keys.items,
    JSON.stringify(planned.map((Key, i) => ({ Key, Etag: etag(100 + i), Size: 9 }))),
  );
  const summary: PlanSummary = {
    runId: run.runId,
    inputPrefix: run.inputPrefix,
    listed: unchanged.length + planned.length + 1,
    planned: planned.length,
    unchanged: unchanged.length,
    ignored: 1,
    split: 0,
    ranges: 0,
    rangeBytes: 1 << 30,
    itemsKey: keys.items,
    joinsKey: keys.joins,
    passedKey: keys.passed,
    fingerprint: fingerprintId ?? id,
    inventory: { key: inventoryKey(run), read: unchanged.length },
    reasons: { new: planned.length },
    durationMs: 1200,
    memoryMb: 1024,
    requests: { reads: 3, writes: 4 },
    at,
  };
  await store.put('out', keys.summary, JSON.stringify(summary));
  return summary;
}

function record(
  store: MemoryObjectStore,
  r: Partial<ConvertResult> & Pick<ConvertResult, 'key' | 'format' | 'status'>,
) {
  const full: ConvertResult = {
    durationMs: 10,
    outputKey: `${r.format}/${r.key}`,
    at,
    dataset: 'orders',
    ...r,
  };
  return store.put('out', itemRecordKey(run.runId, r.format, r.key), JSON.stringify(full));
}

async function converted(store: MemoryObjectStore, key: string, tag: string, print = 'print-1') {
  for (const format of ['parquet', 'avro'] as const)
    await record(store, {
      key,
      format,
      status: 'converted',
      rows: 1,
      sourceEtag: tag,
      schemaFingerprint: print,
    });
}

const unchanged = Array.from({ length: 50 }, (_, i) => `landing/orders/u${String(i).padStart(3, '0')}.csv`);

function reportOf(store: MemoryObjectStore) {
  return JSON.parse(store.text('out', `_runs/${run.runId}/report.json`)!) as {
    items: Record<string, number>;
    files: { key: string; status: string }[];
    ignoredKeys: string[];
    plan: { planned: number; unchanged: number };
    cost: { stateTransitions: number; lambdaRequests: number };
  };
}

function inventoryOf(store: MemoryObjectStore): InventoryEntry[] {
  const [header, ...lines] = store.text('out', inventoryKey(run))!.trim().split('\n');
  expect(JSON.parse(header!).scope).toEqual(inventoryScope(run));
  return lines.map((l) => JSON.parse(l) as InventoryEntry);
}

test('every key once: passed keys skipped or ignored, planned keys by their records, a passed key that ran after all by its record', async () => {
  const store = new MemoryObjectStore();
  await writePlan(store, unchanged, ['landing/orders/new.csv', 'landing/orders/bad.csv']);
  await converted(store, 'landing/orders/new.csv', etag(100));
  await record(store, {
    key: 'landing/orders/bad.csv',
    format: 'parquet',
    status: 'failed',
    error: { type: 'MalformedCsvError', message: 'x' },
  });
  // An unchanged key whose output went stale (its dataset widened) was converted again in this run.
  await converted(store, unchanged[7]!, etag(7), 'print-2');
  const result = await createReduceHandler({ store, env: {} })({ run, mapResults: [], final: true });
  expect(result.items).toEqual({ total: 53, converted: 2, skipped: 49, failed: 1, ignored: 1 });
  const report = reportOf(store);
  const keys = [...report.files.map((f) => f.key), ...report.ignoredKeys];
  expect(new Set(keys).size).toBe(keys.length);
  expect([...keys].sort()).toEqual(
    [...unchanged, 'landing/orders/new.csv', 'landing/orders/bad.csv', 'landing/readme.md'].sort(),
  );
  expect(report.files.map((f) => f.key)).toEqual([...report.files.map((f) => f.key)].sort());
  expect(report.files.find((f) => f.key === unchanged[7])!.status).toBe('converted');
  expect(report.files.find((f) => f.key === unchanged[8])!.status).toBe('skipped');
  expect(report.plan).toMatchObject({ planned: 2, unchanged: 50 });
  // Transitions and invocations only for what ran: three keys in children, none for the 49 passed.
  // (+ 2: AnySplit and NoJoins, the join step since issue 16.)
  expect(report.cost.stateTransitions).toBe(10 + 2 + 2 + 3 * 7);
  expect(report.cost.lambdaRequests).toBe(3 * 2 + 1 + 1);

  // After the retry maps (ReduceAfterRetry's four map results, whatever they hold): one round of the retry
  // states (AnyRetryItems, RetryFailed, AnyRetryJoins, RetryJoin, ReduceAfterRetry, AnyStale) and its reducer.
  const none = {}; // as NoJoins and NoRetryItems give
  await createReduceHandler({ store, env: {} })({ run, mapResults: [none, none, none, none], final: true });
  const after = reportOf(store);
  expect(after.cost.stateTransitions).toBe(report.cost.stateTransitions + 6);
  expect(after.cost.lambdaRequests).toBe(report.cost.lambdaRequests + 1);
});

test("the rule's reducer and a reduction over the earlier report account the passed keys once", async () => {
  const store = new MemoryObjectStore();
  await writePlan(store, unchanged, ['landing/orders/new.csv']);
  await converted(store, 'landing/orders/new.csv', etag(100));
  const reduce = createReduceHandler({
    store,
    env: { CSV2LAKE_DEFAULT_RUN: JSON.stringify({ ...run, runId: undefined }) },
  });
  const first = await reduce({ run, mapResults: [], final: 'ifNoneFailed' });
  const again = await reduce({ run, mapResults: [], final: true });
  const rule = await reduce({ detail: { name: run.runId, status: 'FAILED', input: '{}' } });
  for (const r of [first, again, rule])
    expect(r.items).toEqual({ total: 52, converted: 1, skipped: 50, failed: 0, ignored: 1 });
  const report = reportOf(store);
  expect(report.files).toHaveLength(51);
  expect(report.ignoredKeys).toEqual(['landing/readme.md']);
});

test('the inventory holds what the run proved and what the plan carried; a failed key, a key of two versions and a deleted key have none', async () => {
  const store = new MemoryObjectStore();
  // Outside this execution's prefix: kept as it is.
  const outside: InventoryEntry = { k: 'elsewhere/x.csv', e: etag(9), v: CONVERTER_VERSION, o: 'o', s: 's' };
  // Inside it but no longer listed (deleted): dropped.
  const gone: InventoryEntry = { ...outside, k: 'landing/orders/gone.csv' };
  await store.put(
    'out',
    inventoryKey(run),
    [
      JSON.stringify({ csv2lake: 'inventory', format: 1, scope: inventoryScope(run), runId: 'night-1', at }),
      JSON.stringify(outside),
      JSON.stringify(gone),
    ].join('\n'),
  );
  await writePlan(store, unchanged.slice(0, 3), [
    'landing/orders/new.csv',
    'landing/orders/bad.csv',
    'landing/orders/torn.csv',
  ]);
  await converted(store, 'landing/orders/new.csv', etag(100));
  await record(store, {
    key: 'landing/orders/bad.csv',
    format: 'avro',
    status: 'failed',
    error: { type: 'E', message: '' },
  });
  await record(store, {
    key: 'landing/orders/bad.csv',
    format: 'parquet',
    status: 'converted',
    sourceEtag: etag(101),
    schemaFingerprint: 'print-1',
  });
  await record(store, {
    key: 'landing/orders/torn.csv',
    format: 'avro',
    status: 'converted',
    sourceEtag: etag(102),
    schemaFingerprint: 'print-1',
  });
  await record(store, {
    key: 'landing/orders/torn.csv',
    format: 'parquet',
    status: 'converted',
    sourceEtag: etag(103),
    schemaFingerprint: 'print-1',
  });
  await createReduceHandler({ store, env: {} })({
    run: { ...run, inputPrefix: 'landing/' },
    mapResults: [],
    final: true,
  });
  const o = await options(store);
  expect(inventoryOf(store)).toEqual([
    outside,
    { k: 'landing/orders/new.csv', e: etag(100), v: CONVERTER_VERSION, o, s: 'print-1' },
    ...unchanged.slice(0, 3).map((k, i) => ({ k, e: etag(i), v: CONVERTER_VERSION, o, s: 'print-1' })),
  ]);
});

test("converters whose options changed after the plan: the run proves nothing, the plan's entries are carried", async () => {
  const store = new MemoryObjectStore();
  await writePlan(store, unchanged.slice(0, 2), ['landing/orders/new.csv'], 'another-fingerprint');
  await converted(store, 'landing/orders/new.csv', etag(100));
  await createReduceHandler({ store, env: {} })({ run, mapResults: [], final: true });
  expect(inventoryOf(store).map((e) => e.k)).toEqual(unchanged.slice(0, 2));
});

test('a run without a plan (a definition before it) writes no inventory and reports as before', async () => {
  const store = new MemoryObjectStore();
  await converted(store, 'landing/orders/new.csv', etag(100));
  const result = await createReduceHandler({ store, env: {} })({ run, mapResults: [], final: true });
  expect(result.items).toEqual({ total: 1, converted: 1, skipped: 0, failed: 0, ignored: 0 });
  expect(store.text('out', inventoryKey(run))).toBeUndefined();
});

test('the inventory is written once per execution, by its last reduction: not by a Reduce the retry map follows', async () => {
  const store = new MemoryObjectStore();
  await writePlan(store, unchanged.slice(0, 2), ['landing/orders/new.csv', 'landing/orders/bad.csv']);
  await converted(store, 'landing/orders/new.csv', etag(100));
  await record(store, {
    key: 'landing/orders/bad.csv',
    format: 'parquet',
    status: 'failed',
    error: { type: 'E', message: '' },
  });
  const reduce = createReduceHandler({ store, env: {} });
  await reduce({ run, mapResults: [], final: 'ifNoneFailed' });
  expect(store.text('out', inventoryKey(run))).toBeUndefined();
  await converted(store, 'landing/orders/bad.csv', etag(101));
  await reduce({ run, mapResults: [], final: true });
  expect(inventoryOf(store).map((e) => e.k)).toEqual([
    'landing/orders/bad.csv',
    'landing/orders/new.csv',
    ...unchanged.slice(0, 2),
  ]);
});
