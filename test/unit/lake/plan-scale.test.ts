/*
 * The plan over many keys in bounded memory: a synthetic prefix of 200,000 keys and its inventory, both
 * generated as they are read (test/bench/synthetic-lake.ts). The inventory is read in step with the listing,
 * never ahead of it by more than a chunk, and the lists are written as they are decided.
 */
import './quiet';
import { tmpdir } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CONVERTER_VERSION } from '../../../lambdas/handlers/convert-item';
import { planRun } from '../../../lambdas/lake/plan';
import { converterConfig } from '../../../lambdas/shared/config';
import { SyntheticLakeStore } from '../../bench/synthetic-lake';

const run = {
  runId: 'night',
  inputBucket: 'in',
  inputPrefix: 'landing/',
  outputBucket: 'out',
  outputPrefixes: { parquet: 'parquet/', avro: 'avro/' },
  layout: { root: 'landing/', pattern: '{dataset}/**/{file}' },
};
const config = { ...converterConfig({ CSV2LAKE_FORMAT: 'parquet' }), spoolDir: tmpdir() };

test('200,000 keys, 200 of them changed: the inventory streams with the listing, one request per page and dataset', async () => {
  const keys = 200_000;
  // The live heap, after a collection, at every 20th listing page while the plan runs.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  const heap = process.memoryUsage().heapUsed;
  let peak = 0;
  let samples = 0;
  const store = new SyntheticLakeStore(run, {
    keys,
    inventory: true,
    changed: 200,
    onList: (page) => {
      if (page % 20 !== 0) return;
      gc();
      samples += 1;
      peak = Math.max(peak, process.memoryUsage().heapUsed - heap);
    },
  });
  const summary = await planRun({ store, config, converterVersion: CONVERTER_VERSION }, run);
  expect(summary).toMatchObject({
    listed: keys,
    planned: 200,
    unchanged: keys - 200,
    reasons: { source: 200 },
  });
  // Never more than a generated chunk (256 lines) of the inventory ahead of what was listed.
  expect(store.inventoryLines).toBe(keys);
  expect(store.maxLead).toBeLessThanOrEqual(256);
  // A LIST per 1,000 keys, the inventory and each of the 100 datasets' schemas once; the passed list as a
  // multipart upload (8 MiB parts, create and complete), the items, the joins (issue 16: `[]` here, no key
  // is over rangeBytes) and the summary as one PUT each.
  const parts = Math.ceil(store.size(summary.passedKey) / (8 << 20));
  expect(parts).toBeGreaterThan(1);
  expect(store.requests).toEqual({ list: 200, get: 1 + 100, head: 0, put: parts + 2 + 1 + 1 + 1 });
  expect(summary.requests).toEqual({ reads: 101, writes: 200 + parts + 2 + 1 + 1 + 1 });
  // What it holds does not grow with the keys: the passed list it wrote is ~27 MB, its live heap a few.
  expect(store.size(summary.passedKey)).toBeGreaterThan(20e6);
  // The bound is measured, not vacuous: a sample every 20th of the 200 pages (the live heap may end below
  // where it started, after a collection of what jest held, so the peak itself can be 0).
  expect(samples).toBe(10);
  expect(peak).toBeLessThan(8e6);
});
