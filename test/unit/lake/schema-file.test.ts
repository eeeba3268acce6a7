/*
 * "Fix the schema, then Redrive" on a warm container: the schema is re-read when its ETag changed, so the
 * next invocation applies the fixed schema; an unchanged schema is HEADed, not read again.
 */
import { createConverterHandler } from '../../../lambdas/handlers/converter-handler';
import { loadSchema } from '../../../lambdas/lake/schema-file';
import type { ConvertItem } from '../../../lambdas/shared/payloads';
import { MemoryObjectStore } from '../../support/memory-store';

const run = {
  runId: 'schema',
  inputBucket: 'in-bucket',
  inputPrefix: '',
  outputBucket: 'out-bucket',
  outputPrefixes: { parquet: 'parquet/' },
};
const location = 's3://schemas/csv2lake/schema.json';

test('one warm handler: a schema fixed between two invocations applies at the next one', async () => {
  const store = new MemoryObjectStore();
  await store.put('in-bucket', 'a.csv', 'id,when\n1,yesterday\n');
  const etag = (await store.head('in-bucket', 'a.csv'))!.etag;
  const item: ConvertItem = { bucket: 'in-bucket', key: 'a.csv', etag, size: 21, run };
  // The schema names a column the file does not have (a typo): every file fails until it is fixed.
  await store.put('schemas', 'csv2lake/schema.json', '{"columns": {"id": "int32", "wehn": "string"}}');
  const handler = createConverterHandler('parquet', {
    store,
    env: { CSV2LAKE_SCHEMA_LOCATION: location },
  });
  await expect(handler(item)).rejects.toMatchObject({ name: 'SchemaMismatchError' });
  // Fixed: the same container (handler) now converts.
  await store.put('schemas', 'csv2lake/schema.json', '{"columns": {"id": "int32", "when": "string"}}');
  await expect(handler(item)).resolves.toMatchObject({ status: 'converted', rows: 1 });
});

test('an unchanged schema is HEADed on each invocation and read once; a changed one is read again', async () => {
  const store = new MemoryObjectStore();
  await store.put('schemas', 'csv2lake/schema.json', '{"columns": {"id": "int32"}}');
  const first = await loadSchema(store, location);
  const again = await loadSchema(store, location);
  expect(again).toBe(first);
  expect(store.gets.filter((k) => k === 'csv2lake/schema.json')).toHaveLength(1);
  await store.put('schemas', 'csv2lake/schema.json', '{"columns": {"id": "int64"}}');
  const changed = await loadSchema(store, location);
  expect(changed).not.toEqual(first);
  expect(JSON.stringify(changed)).toContain('int64');
  expect(store.gets.filter((k) => k === 'csv2lake/schema.json')).toHaveLength(2);
});

test('a missing schema, or a location that is not s3://bucket/key, fails naming it (InvalidOptionsError)', async () => {
  const store = new MemoryObjectStore();
  await expect(loadSchema(store, location)).rejects.toMatchObject({
    name: 'InvalidOptionsError',
    message: expect.stringContaining(`the schema file ${location} does not exist`),
  });
  await expect(loadSchema(store, 'schemas/schema.json')).rejects.toMatchObject({
    name: 'InvalidOptionsError',
  });
  await expect(loadSchema(store, undefined)).resolves.toBeUndefined();
});
