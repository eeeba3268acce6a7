/*
 * The converter's part of the lake: output keys from the configured prefix only, one rejects file per
 * input outside the tables, skip-unchanged only when the output holds the dataset's current schema, and no
 * input overwriting another's output.
 */
import { convertItem, META } from '../../../lambdas/handlers/convert-item';
import { readDatasetSchema, schemaFingerprint } from '../../../lambdas/lake/dataset-schema';
import { converterConfig } from '../../../lambdas/shared/config';
import type { ConvertItem } from '../../../lambdas/shared/payloads';
import { MemoryObjectStore } from '../../support/memory-store';
import { LANDING_LAYOUT, runContext } from '../../support/run-context';

const run = runContext('run-1', { layout: LANDING_LAYOUT });
const deps = (store: MemoryObjectStore, format: 'parquet' | 'avro') => ({
  store,
  config: converterConfig({ CSV2LAKE_FORMAT: format }),
});

async function itemFor(
  store: MemoryObjectStore,
  key: string,
  text: string,
  runContext = run,
): Promise<ConvertItem> {
  const info = await store.put('in', key, text);
  return { bucket: 'in', key, etag: info.etag, size: info.size, run: runContext };
}

test('a run narrowed to a sub-prefix writes the same output keys as the full run', async () => {
  const store = new MemoryObjectStore();
  const key = 'landing/orders/2026-11-24/day.csv';
  const full = await convertItem(deps(store, 'parquet'), await itemFor(store, key, 'id\n1\n'));
  const narrowed = await convertItem(
    deps(store, 'parquet'),
    await itemFor(store, key, 'id\n2\n', {
      ...run,
      runId: 'run-2',
      inputPrefix: 'landing/orders/2026-11-24/',
    }),
  );
  expect(full.outputKey).toBe('parquet/orders/2026-11-24/day.parquet');
  expect(narrowed.outputKey).toBe(full.outputKey);
});

test('rejected rows go once under _rejects/<dataset>/, written by the Parquet converter only', async () => {
  const store = new MemoryObjectStore();
  const item = await itemFor(store, 'landing/orders/d1.csv', 'id,n\n1,2\n1,2,3\n');
  const parquet = await convertItem(deps(store, 'parquet'), item);
  const avro = await convertItem(deps(store, 'avro'), item);
  expect(parquet).toMatchObject({ rejectedRows: 1, rejectsKey: '_rejects/orders/d1.rejects.csv' });
  expect(avro).toMatchObject({ rejectedRows: 1 });
  expect(avro.rejectsKey).toBeUndefined();
  const keys = [...(await store.list('out', '')).objects.map((o) => o.key)].filter(
    (k) => !k.startsWith('_runs/'),
  );
  expect(keys.sort()).toEqual([
    '_rejects/orders/d1.rejects.csv',
    '_schemas/orders.json',
    'avro/orders/d1.avro',
    'parquet/orders/d1.parquet',
  ]);
});

test('an unchanged file is skipped only while its output holds the dataset’s current schema', async () => {
  const store = new MemoryObjectStore();
  const first = await itemFor(store, 'landing/orders/d1.csv', 'id,amount\n1,2\n');
  expect((await convertItem(deps(store, 'parquet'), first)).status).toBe('converted');
  expect((await convertItem(deps(store, 'parquet'), first)).status).toBe('skipped');
  // Another file widens the dataset: d1's output no longer holds the current schema.
  await convertItem(
    deps(store, 'parquet'),
    await itemFor(store, 'landing/orders/d2.csv', 'id,amount\n2,2.5\n'),
  );
  const again = await convertItem(deps(store, 'parquet'), first);
  expect(again.status).toBe('converted');
  const stored = (await readDatasetSchema(store, 'out', 'orders'))!.schema;
  expect(stored.columns).toEqual([
    { name: 'id', type: 'int64' },
    { name: 'amount', type: 'double' },
  ]);
  expect((await store.head('out', 'parquet/orders/d1.parquet'))!.metadata![META.SCHEMA]).toBe(
    schemaFingerprint(stored.columns),
  );
  expect(again.schemaFingerprint).toBe(schemaFingerprint(stored.columns));
});

test('a top-level orders.csv and orders/orders.csv map to one output: the second is refused, the first kept', async () => {
  const store = new MemoryObjectStore();
  const top = await itemFor(store, 'landing/orders.csv', 'id\n1\n');
  const nested = await itemFor(store, 'landing/orders/orders.csv', 'id\n2\n');
  const converted = await convertItem(deps(store, 'parquet'), top);
  expect(converted.outputKey).toBe('parquet/orders/orders.parquet');
  await expect(convertItem(deps(store, 'parquet'), nested)).rejects.toMatchObject({
    name: 'DatasetLayoutError',
    message: expect.stringContaining('map to the same output parquet/orders/orders.parquet'),
  });
  const meta = (await store.head('out', 'parquet/orders/orders.parquet'))!.metadata!;
  expect(decodeURIComponent(meta[META.SOURCE_KEY]!)).toBe('landing/orders.csv');
  // Once the first input is gone, the other may take the output.
  await store.delete('in', 'landing/orders.csv');
  expect((await convertItem(deps(store, 'parquet'), nested)).status).toBe('converted');
});

test('a key the pattern cannot place fails with DatasetLayoutError and a failed record naming no output', async () => {
  const store = new MemoryObjectStore();
  const item = await itemFor(store, 'landing/orders/d1.csv', 'id\n1\n', {
    ...run,
    layout: { root: 'landing/', pattern: '{dataset}/{dt}/{file}' },
  });
  await expect(convertItem(deps(store, 'parquet'), item)).rejects.toMatchObject({
    name: 'DatasetLayoutError',
  });
  expect((await store.list('out', 'parquet/')).objects).toEqual([]);
});
