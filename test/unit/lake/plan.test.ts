/*
 * The plan's decisions, night after night, against the converters' own: a key is left out only when both
 * converters would skip it after a HEAD. Each night plans, converts the planned items with the real
 * converters, and reduces with the real reducer (which writes the inventory the next plan reads); the
 * oracle converts EVERY listed key on a copy of the store and says which ones the converters skip.
 */
import './quiet';
import { tmpdir } from 'node:os';
import { CONVERTER_VERSION, convertItem } from '../../../lambdas/handlers/convert-item';
import { createReduceHandler } from '../../../lambdas/handlers/reduce';
import { isCsvKey } from '../../../lambdas/io/object-key';
import { readDatasetSchema, widenDatasetSchema } from '../../../lambdas/lake/dataset-schema';
import { inventoryKey } from '../../../lambdas/lake/inventory';
import { planRun } from '../../../lambdas/lake/plan';
import { isIgnoredLine, type PassedLine, type PlannedItem } from '../../../lambdas/lake/plan-files';
import { converterConfig } from '../../../lambdas/shared/config';
import type { ConvertItem, ReduceResult, RunContext } from '../../../lambdas/shared/payloads';
import { MemoryObjectStore } from '../../support/memory-store';

const base: Omit<RunContext, 'runId'> = {
  inputBucket: 'in',
  inputPrefix: 'landing/',
  outputBucket: 'out',
  outputPrefixes: { parquet: 'parquet/', avro: 'avro/' },
  layout: { root: 'landing/', pattern: '{dataset}/**/{file}' },
};

/** A night's settings: the converters' environment, and the planner's idea of the converter version. */
interface NightOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly version?: string;
  readonly inputPrefix?: string;
}

function copyOf(store: MemoryObjectStore): MemoryObjectStore {
  const copy = new MemoryObjectStore();
  for (const [id, o] of store.objects) copy.objects.set(id, { body: o.body, metadata: { ...o.metadata } });
  return copy;
}

/** What the converters do with every listed CSV key: those both formats skip. */
async function oracle(
  store: MemoryObjectStore,
  run: RunContext,
  env: NodeJS.ProcessEnv,
): Promise<Set<string>> {
  const copy = copyOf(store);
  const skipped = new Set<string>();
  const page = await copy.list('in', run.inputPrefix);
  for (const o of page.objects) {
    if (!isCsvKey(o.key)) continue;
    const item: ConvertItem = {
      bucket: 'in',
      key: o.key,
      etag: o.etag,
      size: o.size,
      run: { ...run, runId: 'oracle' },
    };
    const statuses = [];
    for (const format of ['parquet', 'avro'] as const) {
      const config = { ...converterConfig({ ...env, CSV2LAKE_FORMAT: format }), spoolDir: tmpdir() };
      statuses.push((await convertItem({ store: copy, config }, item).catch(() => undefined))?.status);
    }
    if (statuses.every((s) => s === 'skipped')) skipped.add(o.key);
  }
  return skipped;
}

async function night(store: MemoryObjectStore, runId: string, options: NightOptions = {}) {
  const env = options.env ?? {};
  const run: RunContext = { ...base, runId, inputPrefix: options.inputPrefix ?? base.inputPrefix };
  const skips = await oracle(store, run, env);
  const config = { ...converterConfig({ ...env, CSV2LAKE_FORMAT: 'parquet' }), spoolDir: tmpdir() };
  const summary = await planRun(
    { store, config, converterVersion: options.version ?? CONVERTER_VERSION },
    run,
  );
  const items = JSON.parse(store.text('out', summary.itemsKey)!) as PlannedItem[];
  const passed = store
    .text('out', summary.passedKey)!
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as PassedLine);
  for (const item of items)
    for (const format of ['parquet', 'avro'] as const) {
      const c = { ...converterConfig({ ...env, CSV2LAKE_FORMAT: format }), spoolDir: tmpdir() };
      await convertItem(
        { store, config: c },
        { bucket: 'in', key: item.Key, etag: item.Etag, size: item.Size, run },
      ).catch(() => undefined);
    }
  const reduced: ReduceResult = await createReduceHandler({ store, env })({
    run,
    mapResults: [],
    final: true,
  });
  return {
    summary,
    planned: items.map((i) => i.Key),
    unchanged: passed.filter((l) => !isIgnoredLine(l)).map((l) => l.k),
    ignored: passed.filter(isIgnoredLine).map((l) => l.k),
    skips,
    reduced,
  };
}

async function lake(): Promise<MemoryObjectStore> {
  const store = new MemoryObjectStore();
  await store.put('in', 'landing/orders/a.csv', 'id,amount\n1,2.5\n');
  await store.put('in', 'landing/orders/b.csv', 'id,amount\n2,3.5\n');
  await store.put('in', 'landing/crm/c.csv', 'id,name\n1,Ada\n');
  await store.put('in', 'landing/readme.md', '# not a CSV');
  return store;
}

test('a first night plans every CSV key; the second plans none, and the converters would have skipped them all', async () => {
  const store = await lake();
  const first = await night(store, 'n1');
  expect(first.planned).toEqual(['landing/crm/c.csv', 'landing/orders/a.csv', 'landing/orders/b.csv']);
  expect(first.summary).toMatchObject({
    listed: 4,
    planned: 3,
    unchanged: 0,
    ignored: 1,
    reasons: { new: 3 },
  });
  expect(first.summary.inventory.unusable).toMatch(/none yet/);
  expect(first.reduced.items).toEqual({ total: 4, converted: 3, skipped: 0, failed: 0, ignored: 1 });

  const second = await night(store, 'n2');
  expect(second.planned).toEqual([]);
  expect(second.unchanged).toEqual(['landing/crm/c.csv', 'landing/orders/a.csv', 'landing/orders/b.csv']);
  expect(second.ignored).toEqual(['landing/readme.md']);
  expect([...second.skips].sort()).toEqual(second.unchanged);
  expect(second.reduced.items).toEqual({ total: 4, converted: 0, skipped: 3, failed: 0, ignored: 1 });
});

test('a changed source ETag plans that key only; a deleted key leaves the inventory', async () => {
  const store = await lake();
  await night(store, 'n1');
  await store.put('in', 'landing/orders/a.csv', 'id,amount\n1,2.5\n9,9.5\n');
  await store.delete('in', 'landing/crm/c.csv');
  const n2 = await night(store, 'n2');
  expect(n2.planned).toEqual(['landing/orders/a.csv']);
  expect(n2.summary.reasons).toEqual({ source: 1 });
  expect(n2.skips.has('landing/orders/a.csv')).toBe(false);
  expect(n2.unchanged).toEqual(['landing/orders/b.csv']);
  const inventory = store
    .text('out', inventoryKey({ ...base, runId: 'n2' }))!
    .trim()
    .split('\n');
  expect(inventory.slice(1).map((l) => JSON.parse(l).k)).toEqual([
    'landing/orders/a.csv',
    'landing/orders/b.csv',
  ]);
  expect(n2.reduced.items).toEqual({ total: 3, converted: 1, skipped: 1, failed: 0, ignored: 1 });
});

test('changed options (null tokens, a pinned schema for one dataset) plan exactly the keys whose hash changed', async () => {
  const store = await lake();
  await night(store, 'n1');
  const tokens = { CSV2LAKE_NULL_TOKENS: '["NA"]' };
  const n2 = await night(store, 'n2', { env: tokens });
  expect(n2.planned).toHaveLength(3);
  expect(n2.summary.reasons).toEqual({ options: 3 });
  expect(n2.skips.size).toBe(0);

  await store.put(
    'out',
    '_schemas/pins.json',
    JSON.stringify({ datasets: { orders: { columns: { amount: 'string' } } } }),
  );
  const pinned = { ...tokens, CSV2LAKE_SCHEMA_LOCATION: 's3://out/_schemas/pins.json' };
  const n3 = await night(store, 'n3', { env: pinned });
  expect(n3.planned).toEqual(['landing/orders/a.csv', 'landing/orders/b.csv']);
  expect(n3.summary.reasons).toEqual({ options: 2 });
  expect([...n3.skips]).toEqual(['landing/crm/c.csv']);
  const n4 = await night(store, 'n4', { env: pinned });
  expect(n4.planned).toEqual([]);
});

test('another converter version plans every key', async () => {
  const store = await lake();
  await night(store, 'n1');
  const n2 = await night(store, 'n2', { version: `${CONVERTER_VERSION}-next` });
  expect(n2.summary.reasons).toEqual({ version: 3 });
});

test("a dataset whose schema changed since its keys were converted has them planned; the other dataset's are not", async () => {
  const store = await lake();
  await night(store, 'n1');
  const before = await readDatasetSchema(store, 'out', 'orders');
  await widenDatasetSchema(store, 'out', 'orders', {
    columns: [...before!.schema.columns, { name: 'note', type: 'string' }],
    partitions: [],
    runId: 'elsewhere',
    key: 'landing/orders/z.csv',
    at: '2026-11-25T00:00:00.000Z',
  });
  const n2 = await night(store, 'n2');
  expect(n2.planned).toEqual(['landing/orders/a.csv', 'landing/orders/b.csv']);
  expect(n2.summary.reasons).toEqual({ schema: 2 });
  expect([...n2.skips]).toEqual(['landing/crm/c.csv']);
  expect(n2.unchanged).toEqual(['landing/crm/c.csv']);
});

test('a failed key is planned again; a narrowed run keeps the inventory of the keys it did not list', async () => {
  const store = await lake();
  await store.put('in', 'landing/orders/bad.csv', 'id\n1\n2,3,4,5\n'.repeat(1));
  const n1 = await night(store, 'n1', { env: { CSV2LAKE_MAX_REJECTS: '0' } });
  expect(n1.reduced.items.failed).toBe(1);
  const n2 = await night(store, 'n2', { env: { CSV2LAKE_MAX_REJECTS: '0' }, inputPrefix: 'landing/orders/' });
  expect(n2.planned).toEqual(['landing/orders/bad.csv']);
  expect(n2.summary.listed).toBe(3);
  const n3 = await night(store, 'n3', { env: { CSV2LAKE_MAX_REJECTS: '0' } });
  // crm/c.csv kept its entry through the narrowed run.
  expect(n3.planned).toEqual(['landing/orders/bad.csv']);
  expect(n3.unchanged).toEqual(['landing/crm/c.csv', 'landing/orders/a.csv', 'landing/orders/b.csv']);
});

test('an inventory written for another layout is not used: every key is planned', async () => {
  const store = await lake();
  await night(store, 'n1');
  const key = inventoryKey({ ...base, runId: 'x' });
  const [header, ...rest] = store.text('out', key)!.trim().split('\n');
  const other = {
    ...JSON.parse(header!),
    scope: { ...JSON.parse(header!).scope, pattern: '{dataset}/{file}' },
  };
  await store.put('out', key, [JSON.stringify(other), ...rest].join('\n'));
  const n2 = await night(store, 'n2');
  expect(n2.summary.reasons).toEqual({ new: 3 });
  expect(n2.summary.inventory.unusable).toMatch(/another layout/);
});

test('doubts plan the key, never fail the plan: a schema file gone, a damaged inventory line', async () => {
  const store = await lake();
  const pinned = { CSV2LAKE_SCHEMA_LOCATION: 's3://out/_schemas/pins.json' };
  await store.put('out', '_schemas/pins.json', JSON.stringify({ columns: {} }));
  await night(store, 'n1', { env: pinned });
  await store.delete('out', '_schemas/pins.json');
  const gone = await night(store, 'n2', { env: pinned });
  expect(gone.summary.reasons).toEqual({ schemaFile: 3 });
  expect(gone.reduced.items.failed).toBe(3);

  const fresh = await lake();
  await night(fresh, 'n1');
  const key = inventoryKey({ ...base, runId: 'x' });
  const [header, first, ...rest] = fresh.text('out', key)!.trim().split('\n');
  await fresh.put('out', key, [header, first, '{"torn', ...rest].join('\n'));
  const damaged = await night(fresh, 'n2');
  expect(damaged.summary.inventory.damaged).toMatch(/not an entry/);
  expect(damaged.unchanged).toEqual([JSON.parse(first!).k]);
  expect(damaged.summary.reasons).toEqual({ new: 2 });
  // Written whole again by that night's reduction.
  expect((await night(fresh, 'n3')).planned).toEqual([]);
});

test('a key over rangeBytes is planned as range items covering it and one join item; a gzip key and a small key stay one item', async () => {
  // prepare
  const store = new MemoryObjectStore();
  const big = 'id,amount\n' + '1,2.5\n'.repeat(600_000); // ~3.6 MB
  await store.put('in', 'landing/orders/big.csv', big);
  await store.put('in', 'landing/orders/big.csv.gz', big);
  await store.put('in', 'landing/orders/small.csv', 'id,amount\n1,2.5\n');
  const run: RunContext = { ...base, runId: 'ranges' };
  const config = converterConfig({ CSV2LAKE_FORMAT: 'parquet', CSV2LAKE_RANGE_BYTES: String(1 << 20) });
  // act
  const summary = await planRun({ store, config, converterVersion: CONVERTER_VERSION }, run);
  // assert
  const items = JSON.parse(store.text('out', summary.itemsKey)!) as PlannedItem[];
  const ranged = items.filter((i) => i.Range);
  expect(ranged.map((i) => i.Key)).toEqual(Array(4).fill('landing/orders/big.csv'));
  expect(ranged.map((i) => i.Range!.index)).toEqual([0, 1, 2, 3]);
  expect(ranged.every((i) => i.Range!.count === 4)).toBe(true);
  expect(ranged[0]!.Range!.start).toBe(0);
  expect(ranged[3]!.Range!.end).toBe(big.length);
  for (let i = 1; i < 4; i++) expect(ranged[i]!.Range!.start).toBe(ranged[i - 1]!.Range!.end);
  expect(items.filter((i) => !i.Range).map((i) => i.Key)).toEqual([
    'landing/orders/big.csv.gz',
    'landing/orders/small.csv',
  ]);
  expect(JSON.parse(store.text('out', summary.joinsKey)!)).toEqual([
    { Key: 'landing/orders/big.csv', Etag: ranged[0]!.Etag, Size: big.length, count: 4 },
  ]);
  expect(summary).toMatchObject({ planned: 3, split: 1, ranges: 4, rangeBytes: 1 << 20 });
});

test('with no key over rangeBytes, joins.json is an empty array', async () => {
  const store = await lake();
  const summary = await planRun(
    { store, config: converterConfig({ CSV2LAKE_FORMAT: 'parquet' }), converterVersion: CONVERTER_VERSION },
    { ...base, runId: 'none' },
  );
  expect(JSON.parse(store.text('out', summary.joinsKey)!)).toEqual([]);
  expect(summary).toMatchObject({ split: 0, ranges: 0, rangeBytes: 1 << 30 });
});
