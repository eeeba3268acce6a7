/*
 * The planner's options hash is the converters' own: compared with the metadata the converters write into
 * each output (`csv2lake-options`), under every option that enters it.
 */
import './quiet';
import { tmpdir } from 'node:os';
import { convertItem, META } from '../../../lambdas/handlers/convert-item';
import { dataKey, locateKey } from '../../../lambdas/lake/layout';
import { converterFingerprint } from '../../../lambdas/lake/plan-fingerprint';
import { converterConfig } from '../../../lambdas/shared/config';
import type { RunContext } from '../../../lambdas/shared/payloads';
import { MemoryObjectStore } from '../../support/memory-store';

const run: RunContext = {
  runId: 'r',
  inputBucket: 'in',
  inputPrefix: '',
  outputBucket: 'out',
  outputPrefixes: { parquet: 'parquet/' },
  layout: { root: '', pattern: '{dataset}/**/{file}' },
};

const ENVS: Record<string, NodeJS.ProcessEnv> = {
  defaults: {},
  'csv options': { CSV2LAKE_CSV_OPTIONS: '{"delimiter":";","header":true}' },
  'null tokens': { CSV2LAKE_NULL_TOKENS: '["NA","-"]' },
  'max rejects': { CSV2LAKE_MAX_REJECTS: '7' },
  'a schema for every dataset': { CSV2LAKE_SCHEMA_LOCATION: 's3://cfg/all.json' },
  'a schema per dataset': { CSV2LAKE_SCHEMA_LOCATION: 's3://cfg/per.json' },
};

test.each(Object.entries(ENVS))("the options hash equals the converters' (%s)", async (_name, env) => {
  const store = new MemoryObjectStore();
  await store.put('cfg', 'all.json', JSON.stringify({ columns: { amount: 'double' } }));
  await store.put(
    'cfg',
    'per.json',
    JSON.stringify({ datasets: { orders: { columns: { amount: 'string' } } } }),
  );
  const config = { ...converterConfig({ ...env, CSV2LAKE_FORMAT: 'parquet' }), spoolDir: tmpdir() };
  const fingerprint = await converterFingerprint(store, config, 'v');
  for (const key of ['orders/a.csv', 'crm/b.csv']) {
    const info = await store.put(
      'in',
      key,
      'id;amount\n1;2.5\n'.replace(/;/g, env.CSV2LAKE_CSV_OPTIONS ? ';' : ','),
    );
    await convertItem({ store, config }, { bucket: 'in', key, etag: info.etag, size: info.size, run });
    const output = await store.head('out', dataKey(locateKey(key, run.layout!), 'parquet/', 'parquet'));
    expect(fingerprint.optionsHash(locateKey(key, run.layout!).dataset)).toBe(
      output!.metadata![META.OPTIONS],
    );
  }
});

test('the fingerprint changes with the schema file, and is unknown when the file is not a schema file', async () => {
  const store = new MemoryObjectStore();
  await store.put('cfg', 'all.json', JSON.stringify({ columns: { amount: 'double' } }));
  const config = converterConfig({
    CSV2LAKE_FORMAT: 'parquet',
    CSV2LAKE_SCHEMA_LOCATION: 's3://cfg/all.json',
  });
  const first = await converterFingerprint(store, config, 'v');
  await store.put('cfg', 'all.json', JSON.stringify({ columns: { amount: 'string' } }));
  const second = await converterFingerprint(store, config, 'v');
  expect(second.id).not.toBe(first.id);
  expect(second.optionsHash('orders')).not.toBe(first.optionsHash('orders'));
  await store.put('cfg', 'all.json', '{"neither": 1}');
  expect((await converterFingerprint(store, config, 'v')).optionsHash('orders')).toBeUndefined();
  expect((await converterFingerprint(store, config, 'w')).id).not.toBe(
    (await converterFingerprint(store, config, 'v')).id,
  );
});
