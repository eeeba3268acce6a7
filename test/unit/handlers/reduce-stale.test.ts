/*
 * The reducer's stale outputs: which files of a dataset whose schema this execution changed go round the
 * retry map again (lambdas/lake/run-datasets.ts, through the reducer).
 */
import { itemRecordKey } from '../../../lambdas/handlers/convert-item';
import { createReduceHandler } from '../../../lambdas/handlers/reduce';
import { schemaFingerprint, widenDatasetSchema } from '../../../lambdas/lake/dataset-schema';
import type { TableColumn } from '../../../lambdas/core/model/schema';
import type { ConvertItem, ConvertResult } from '../../../lambdas/shared/payloads';
import { MemoryObjectStore } from '../../support/memory-store';
import { LANDING_LAYOUT, runContext } from '../../support/run-context';

const run = runContext('nightly-2', { outputPrefixes: { parquet: 'parquet/' }, layout: LANDING_LAYOUT });
const at = '2026-11-25T01:00:00.000Z';
const NARROW: TableColumn[] = [
  { name: 'id', type: 'int64' },
  { name: 'amount', type: 'int64' },
];
const WIDE: TableColumn[] = [
  { name: 'id', type: 'int64' },
  { name: 'amount', type: 'double' },
];

/** The dataset `orders`: v1 from an earlier night, widened to v2 (amount → double) by this run. */
async function widenedOrders(store: MemoryObjectStore): Promise<void> {
  const file = { partitions: [], at };
  await widenDatasetSchema(store, 'out', 'orders', {
    ...file,
    columns: NARROW,
    runId: 'nightly-1',
    key: 'x',
  });
  await widenDatasetSchema(store, 'out', 'orders', {
    ...file,
    columns: WIDE,
    runId: run.runId,
    key: 'landing/orders/a.csv',
  });
}

function record(store: MemoryObjectStore, key: string, columns: readonly TableColumn[]) {
  const r: ConvertResult = {
    key,
    format: 'parquet',
    status: 'converted',
    durationMs: 10,
    outputKey: `parquet/orders/${key
      .split('/')
      .pop()!
      .replace(/\.csv$/, '')}.parquet`,
    dataset: 'orders',
    schemaFingerprint: schemaFingerprint(columns),
    at,
  };
  return store.put('out', itemRecordKey(run.runId, 'parquet', key), JSON.stringify(r));
}

/** A map whose children all succeeded; `ignored` are the keys its suffix filter passed over. */
async function succeededMap(store: MemoryObjectStore, name: string, ignored: string[]) {
  const item = (key: string): ConvertItem => ({ bucket: 'in', key, etag: '"e"', size: 10, run });
  const entries = ignored.map((key) => ({
    Input: JSON.stringify(item(key)),
    Output: JSON.stringify({ ignored: true, key }),
    Status: 'SUCCEEDED',
  }));
  await store.put('out', `_runs/_map/${name}/SUCCEEDED_0.json`, JSON.stringify(entries));
  await store.put(
    'out',
    `_runs/_map/${name}/manifest.json`,
    JSON.stringify({
      DestinationBucket: 'out',
      ResultFiles: { SUCCEEDED: [{ Key: `_runs/_map/${name}/SUCCEEDED_0.json` }], FAILED: [], PENDING: [] },
    }),
  );
  return { ResultWriterDetails: { Bucket: 'out', Key: `_runs/_map/${name}/manifest.json` } };
}

test('a key of a widened dataset that the map ignored (a suffix the deployment does not convert) is never stale: the retry loop ends', async () => {
  const store = new MemoryObjectStore();
  // The deployment converts `.csv` only: the map ignored notes.txt, which the default suffixes call CSV.
  for (const key of ['landing/orders/a.csv', 'landing/orders/b.csv', 'landing/orders/notes.txt'])
    await store.put('in', key, 'id,amount\n1,2\n');
  await widenedOrders(store);
  await record(store, 'landing/orders/a.csv', WIDE);
  await record(store, 'landing/orders/b.csv', NARROW); // converted before a.csv widened the schema
  const reduce = createReduceHandler({ store, env: {} });

  const first = await reduce({
    run,
    mapResults: [await succeededMap(store, 'm1', ['landing/orders/notes.txt'])],
  });
  expect(first).toMatchObject({ items: { converted: 2, ignored: 1 }, staleOutputs: 1 });
  const items = JSON.parse(store.text('out', first.failedItemsKey!)!) as ConvertItem[];
  expect(items.map((i) => [i.key, i.current])).toEqual([['landing/orders/b.csv', true]]);

  // The retry map converts b.csv at the current schema and ignores notes.txt again: nothing is left stale.
  await record(store, 'landing/orders/b.csv', WIDE);
  const after = await reduce({
    run,
    final: true,
    mapResults: [
      await succeededMap(store, 'm1', ['landing/orders/notes.txt']),
      await succeededMap(store, 'm2', []),
    ],
  });
  expect(after).toMatchObject({ items: { converted: 2, ignored: 1 }, staleOutputs: 0 });
  const report = JSON.parse(store.text('out', after.reportKey)!);
  expect(report.datasets).toEqual([
    expect.objectContaining({
      dataset: 'orders',
      version: 2,
      versionAtStart: 1,
      reconverted: [{ key: 'landing/orders/b.csv', reason: 'schema v1 → v2: amount int64 → double' }],
    }),
  ]);
});

test('with the deployment’s own suffixes, an earlier night’s file of a widened dataset is stale whatever its suffix', async () => {
  const store = new MemoryObjectStore();
  const datRun = { ...run, layout: { ...LANDING_LAYOUT, suffixes: ['.csv', '.dat'] } };
  // old.dat was converted on an earlier night (no record in this run); a.csv widened the schema tonight.
  for (const key of ['landing/orders/a.csv', 'landing/orders/old.dat', 'landing/orders/readme.md'])
    await store.put('in', key, 'id,amount\n1,2\n');
  await widenedOrders(store);
  await record(store, 'landing/orders/a.csv', WIDE);
  const reduce = createReduceHandler({ store, env: {} });

  const result = await reduce({ run: datRun, mapResults: [] });

  expect(result.staleOutputs).toBe(1);
  const items = JSON.parse(store.text('out', result.failedItemsKey!)!) as ConvertItem[];
  expect(items.map((i) => [i.key, i.current])).toEqual([['landing/orders/old.dat', true]]);
});
