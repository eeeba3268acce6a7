import { createHash } from 'node:crypto';
import { MalformedCsvError } from '../../../lambdas/core/model/errors';
import { itemRecordKey } from '../../../lambdas/handlers/convert-item';
import { createConverterHandler } from '../../../lambdas/handlers/converter-handler';
import { S3TransientError } from '../../../lambdas/shared/errors';
import type { ConvertBatch, ConvertResult } from '../../../lambdas/shared/payloads';
import { MemoryObjectStore } from '../../support/memory-store';
import { runContext } from '../../support/run-context';

const run = runContext('run-b');
const keys = ['landing/a.csv', 'landing/bad.csv', 'landing/c.csv'];
const BODY = 'a\n1\n';
/** Each file's ETag as the listing gives it (the memory store's: the MD5 of the body). */
const ETAG = `"${createHash('md5').update(BODY).digest('hex')}"`;
const batch: ConvertBatch = {
  Items: keys.map((key) => ({ bucket: 'in', key, etag: ETAG, size: 4 })),
  BatchInput: { run },
};

/**
 * A stand-in for the core: reads its input as the core does (the converters stream it, so an input no
 * conversion reads is never fetched), then fails for keys whose name contains a marker, writes 4 bytes
 * otherwise.
 */
function fakeConvert(fail: (name: string) => Error | undefined) {
  return async (
    source: { name: string; open(): AsyncIterable<Uint8Array> },
    targets: { parquet?: { write(c: Uint8Array): unknown } },
  ) => {
    for await (const chunk of source.open()) void chunk;
    const error = fail(source.name);
    if (error) throw error;
    await targets.parquet!.write(Buffer.from('PAR1'));
    return { rows: 1, rejectedRows: 0, columns: [], bytesIn: 4, bytesOut: { parquet: 4 } };
  };
}

async function prepared() {
  const store = new MemoryObjectStore();
  for (const key of keys) await store.put('in', key, BODY);
  return store;
}

const recordOf = (store: MemoryObjectStore, key: string) =>
  JSON.parse(store.text('out', itemRecordKey('run-b', 'parquet', key))!) as ConvertResult;

test('a data error in one file of a batch fails the batch only after every other file was converted', async () => {
  const store = await prepared();
  const failing = fakeConvert((name) =>
    name.includes('bad') ? new MalformedCsvError(`${name}: line 3 has 2 fields, expected 3`) : undefined,
  );
  const handler = createConverterHandler('parquet', { store, env: {}, convert: failing as never });
  await expect(handler(batch)).rejects.toMatchObject({
    name: 'BatchItemsFailedError',
    message: expect.stringContaining('1 of 3 files of the batch failed (landing/bad.csv: MalformedCsvError'),
  });
  expect(keys.map((k) => recordOf(store, k).status)).toEqual(['converted', 'failed', 'converted']);
  expect(recordOf(store, 'landing/bad.csv').error?.type).toBe('MalformedCsvError');
  // Each top-level file is a dataset named after its stem.
  expect(store.text('out', 'parquet/c/c.parquet')).toBe('PAR1');

  // The redrive re-runs the batch once the file is fixed: the two good files are skipped without a GET of
  // their input (each conversion reads its dataset's stored schema; bad's, not stored yet, is read again as
  // it is created).
  store.gets.length = 0;
  const fixed = createConverterHandler('parquet', {
    store,
    env: {},
    convert: fakeConvert(() => undefined) as never,
  });
  const result = await fixed(batch);
  expect(result.results.map((r) => r.status)).toEqual(['skipped', 'converted', 'skipped']);
  expect(store.gets).toEqual([
    '_schemas/a.json',
    '_schemas/bad.json',
    'landing/bad.csv',
    '_schemas/bad.json',
    '_schemas/c.json',
  ]);
});

test('a batch whose failures are all transient throws S3TransientError, which the workflow retries', async () => {
  const store = await prepared();
  const throttled = fakeConvert((name) =>
    name.includes('a.csv') || name.includes('c.csv') ? new S3TransientError('SlowDown') : undefined,
  );
  const handler = createConverterHandler('parquet', { store, env: {}, convert: throttled as never });
  await expect(handler(batch)).rejects.toMatchObject({
    name: 'S3TransientError',
    message: expect.stringMatching(/^2 of 3 files/),
  });
});

test('a batch that succeeds returns every result, items taking the run from BatchInput', async () => {
  const store = await prepared();
  const handler = createConverterHandler('parquet', {
    store,
    env: {},
    convert: fakeConvert(() => undefined) as never,
  });
  const { results } = await handler(batch);
  expect(results.map((r) => [r.key, r.status, r.outputKey])).toEqual([
    ['landing/a.csv', 'converted', 'parquet/a/a.parquet'],
    ['landing/bad.csv', 'converted', 'parquet/bad/bad.parquet'],
    ['landing/c.csv', 'converted', 'parquet/c/c.parquet'],
  ]);
  // One item: one result, not a batch answer.
  const single = await handler({ ...batch.Items[0]!, etag: '"new"', run });
  expect(single).toMatchObject({ key: 'landing/a.csv', status: 'converted' });
});
