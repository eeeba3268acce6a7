import {
  placeOutputs,
  refuseCollision,
  refusePartitionClash,
  rejectsFormat,
  runLayout,
} from '../../../lambdas/lake/output-placement';
import type { ConvertItem, RunContext } from '../../../lambdas/shared/payloads';
import { MemoryObjectStore } from '../../support/memory-store';

const run: RunContext = {
  runId: 'r',
  inputBucket: 'in',
  inputPrefix: 'landing/',
  outputBucket: 'out',
  outputPrefixes: { parquet: 'parquet/', avro: 'avro/' },
  layout: { root: 'landing/', pattern: '{dataset}/{dt}/{file}' },
};
const item = (key: string, over: Partial<RunContext> = {}): ConvertItem => ({
  bucket: 'in',
  key,
  etag: '"e"',
  size: 1,
  run: { ...run, ...over },
});

test('a key is placed in its dataset and partition; the Parquet converter writes the rejects', () => {
  const parquet = placeOutputs(item('landing/orders/2026-12-01/a.csv'), 'parquet', 'parquet/');
  expect(parquet).toEqual({
    dataset: 'orders',
    target: expect.stringMatching(/^parquet\/orders\/dt=2026-12-01\/a.*\.parquet$/),
    rejectsTarget: expect.stringMatching(/^_rejects\/orders\/dt=2026-12-01\//),
    writesRejects: true,
    partitions: ['dt'],
  });
  expect(placeOutputs(item('landing/orders/2026-12-01/a.csv'), 'avro', 'avro/').writesRejects).toBe(false);
});

test('without Parquet the Avro converter writes the rejects; a run without a layout gets the default pattern', () => {
  expect(rejectsFormat({ ...run, outputPrefixes: { avro: 'avro/' } })).toBe('avro');
  expect(rejectsFormat(run)).toBe('parquet');
  const { layout: _layout, ...old } = run;
  expect(runLayout(old)).toEqual({ root: 'landing/', pattern: '{dataset}/**/{file}' });
});

test('an output key over 1,024 bytes is refused before any work, naming both ends', () => {
  const long = `landing/orders/2026-12-01/${'x'.repeat(1100)}.csv`;
  expect(() => placeOutputs(item(long), 'parquet', 'parquet/')).toThrow(
    expect.objectContaining({
      name: 'OutputKeyTooLongError',
      message: expect.stringMatching(/over S3's 1024-byte limit/),
    }),
  );
});

test('a key the pattern cannot place is a DatasetLayoutError', () => {
  expect(() => placeOutputs(item('landing/orders/a.csv'), 'parquet', 'parquet/')).toThrow(
    expect.objectContaining({ name: 'DatasetLayoutError' }),
  );
});

test('a column named as a partition column is refused', () => {
  const it = item('landing/orders/2026-12-01/a.csv');
  expect(() => refusePartitionClash(it, [{ name: 'dt', type: 'string' }], ['dt'])).toThrow(
    expect.objectContaining({ name: 'SchemaMismatchError', message: expect.stringContaining('{dt}') }),
  );
  expect(() => refusePartitionClash(it, [{ name: 'id', type: 'int32' }], ['dt'])).not.toThrow();
});

test("an output recorded as another input's is refused while that input exists", async () => {
  const store = new MemoryObjectStore();
  const it = item('landing/orders.csv');
  await expect(
    refuseCollision(store, it, 'parquet/orders/orders.parquet', undefined),
  ).resolves.toBeUndefined();
  const other = encodeURIComponent('landing/orders/orders.csv');
  await expect(refuseCollision(store, it, 'parquet/orders/orders.parquet', other)).resolves.toBeUndefined();
  await store.put('in', 'landing/orders/orders.csv', 'id\n1\n');
  await expect(refuseCollision(store, it, 'parquet/orders/orders.parquet', other)).rejects.toMatchObject({
    name: 'DatasetLayoutError',
  });
  await expect(
    refuseCollision(store, it, 'parquet/orders/orders.parquet', encodeURIComponent(it.key)),
  ).resolves.toBeUndefined();
});
