/*
 * What a converter returns is what the state machine needs, whatever the file's width: the column list stays
 * in the item's record (the reducer's source), so a wide file's child output stays far below the 262,144-byte
 * state limit (4,096 short-named columns made it 263,114 bytes, and the child failed after writing).
 */
import { createConverterHandler } from '../../../lambdas/handlers/converter-handler';
import { itemRecordKey } from '../../../lambdas/handlers/convert-item';
import { STATE_RESULT_FIELDS, stateResult } from '../../../lambdas/handlers/state-result';
import type { ConvertItem, ConvertResult } from '../../../lambdas/shared/payloads';
import { MemoryObjectStore } from '../../support/memory-store';
import { runContext } from '../../support/run-context';

const run = runContext('wide', { inputBucket: 'in-bucket', inputPrefix: '', outputBucket: 'out-bucket' });

/** State limit of Step Functions (a state's input or output, in UTF-8 bytes). */
const STATE_LIMIT = 262_144;

test('a 4,096-column file: the Parallel output of both converters stays far below the state limit; the record keeps the columns', async () => {
  const columns = Array.from({ length: 4096 }, (_, i) => `c${i}`);
  const csv = `${columns.join(',')}\n${columns.map((_, i) => i).join(',')}\n`;
  const store = new MemoryObjectStore();
  await store.put('in-bucket', 'wide.csv', csv);
  const etag = (await store.head('in-bucket', 'wide.csv'))!.etag;
  const item: ConvertItem = { bucket: 'in-bucket', key: 'wide.csv', etag, size: csv.length, run };
  const outputs = await Promise.all(
    (['parquet', 'avro'] as const).map((format) => createConverterHandler(format, { store })(item)),
  );
  // The Parallel's output is the array of its branches' outputs: 438 bytes here (measured), against
  // 260,450 for the two full records.
  const parallelBytes = Buffer.byteLength(JSON.stringify(outputs));
  expect(parallelBytes).toBeLessThan(2_000);
  expect(parallelBytes).toBeLessThan(STATE_LIMIT / 100);
  for (const output of outputs) {
    expect(output).toMatchObject({ key: 'wide.csv', status: 'converted', rows: 1, sourceEtag: etag });
    expect(output).not.toHaveProperty('columns');
  }
  // What the results carried before: both records, columns included, at the limit (the Map's wrapper of
  // the child output, and longer names, took the file over it).
  const records = (['parquet', 'avro'] as const).map(
    (format) =>
      JSON.parse(store.text('out-bucket', itemRecordKey('wide', format, 'wide.csv'))!) as ConvertResult,
  );
  expect(records[0]!.columns).toHaveLength(4096);
  expect(records[1]!.columns).toHaveLength(4096);
  expect(Buffer.byteLength(JSON.stringify(records))).toBeGreaterThan(250_000);
});

test('a batch returns the same small results, one per item', async () => {
  const store = new MemoryObjectStore();
  await store.put('in-bucket', 'a.csv', 'x,y\n1,2\n');
  const etag = (await store.head('in-bucket', 'a.csv'))!.etag;
  const { run: batchRun, ...entry } = { bucket: 'in-bucket', key: 'a.csv', etag, size: 8, run };
  const result = await createConverterHandler('parquet', { store })({
    Items: [entry],
    BatchInput: { run: batchRun },
  });
  expect(result.results).toHaveLength(1);
  expect(
    Object.keys(result.results[0]!).every((k) => (STATE_RESULT_FIELDS as readonly string[]).includes(k)),
  ).toBe(true);
});

test('stateResult keeps the fields the graph and the local runner read, sourceEtag included, and drops the rest', () => {
  const full: ConvertResult = {
    key: 'k.csv',
    format: 'avro',
    status: 'converted',
    rows: 3,
    rejectedRows: 1,
    bytesIn: 10,
    bytesOut: 20,
    durationMs: 5,
    outputKey: 'avro/k.avro',
    rejectsKey: 'avro/k.rejects.csv',
    columns: [{ name: 'a', type: 'int32' }],
    sourceEtag: '"e"',
    at: '2026-12-02T00:00:00.000Z',
  };
  expect(stateResult(full)).toEqual({
    key: 'k.csv',
    format: 'avro',
    status: 'converted',
    rows: 3,
    rejectedRows: 1,
    bytesIn: 10,
    bytesOut: 20,
    durationMs: 5,
    outputKey: 'avro/k.avro',
    sourceEtag: '"e"',
  });
  // Absent fields stay absent (a skipped item has no rows).
  expect(stateResult({ ...full, rows: undefined, status: 'skipped' } as ConvertResult)).not.toHaveProperty(
    'rows',
  );
});
