/*
 * A batched child has no IsCsv Choice: the converters skip the keys the Choice would ignore, with the
 * suffixes the batch carries, in any case mix, and write nothing for them.
 */
import { gzipSync } from 'node:zlib';
import type { SuffixedBatch } from '../../../lambdas/handlers/convert-batch';
import { itemRecordKey } from '../../../lambdas/handlers/convert-item';
import { createConverterHandler } from '../../../lambdas/handlers/converter-handler';
import { MemoryObjectStore } from '../../support/memory-store';
import { runContext } from '../../support/run-context';

const run = runContext('run-s', { inputPrefix: '', outputPrefixes: { parquet: 'parquet/' } });

async function batchOf(store: MemoryObjectStore, files: Record<string, string | Buffer>) {
  const items = [];
  for (const [key, body] of Object.entries(files)) {
    await store.put('in', key, body);
    const info = (await store.head('in', key))!;
    items.push({ bucket: 'in', key, etag: info.etag, size: info.size });
  }
  return items;
}

test('keys of every case mix are converted; folder markers and other suffixes are ignored, with no record', async () => {
  const store = new MemoryObjectStore();
  const items = await batchOf(store, {
    'A.Csv': 'x\n1\n',
    'B.CSV.GZ': gzipSync('x\n2\n'),
    'c.Csv.Gz': gzipSync('x\n3\n'),
    'folder/': '',
    'notes.json': '{"x": 1}',
  });
  const handler = createConverterHandler('parquet', { store, env: {} });
  const batch: SuffixedBatch = { Items: items, BatchInput: { run, suffixes: ['.csv'] } };
  const { results } = await handler(batch);
  expect(results.map((r) => [r.key, r.status ?? 'ignored'])).toEqual([
    ['A.Csv', 'converted'],
    ['B.CSV.GZ', 'converted'],
    ['c.Csv.Gz', 'converted'],
    ['folder/', 'ignored'],
    ['notes.json', 'ignored'],
  ]);
  expect(results[3]).toEqual({ key: 'folder/', ignored: true });
  expect(store.text('out', itemRecordKey('run-s', 'parquet', 'notes.json'))).toBeUndefined();
  expect(store.gets).not.toContain('notes.json');
});

test('a batch without suffixes (built before they were carried) uses the default ones', async () => {
  const store = new MemoryObjectStore();
  const items = await batchOf(store, { 'a.TSV': 'x\n1\n', 'b.psv': 'x|y\n' });
  const handler = createConverterHandler('parquet', { store, env: {} });
  const { results } = await handler({ Items: items, BatchInput: { run } });
  expect(results.map((r) => r.status ?? 'ignored')).toEqual(['converted', 'ignored']);
});
