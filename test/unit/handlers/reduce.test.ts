import { itemRecordKey } from '../../../lambdas/handlers/convert-item';
import { createReduceHandler } from '../../../lambdas/handlers/reduce';
import { writeStreaming } from '../../../lambdas/io/object-text';
import { metrics } from '../../../lambdas/shared/observability';
import type { ConvertItem, ConvertResult } from '../../../lambdas/shared/payloads';
import { MemoryObjectStore } from '../../support/memory-store';
import { runContext } from '../../support/run-context';

const run = runContext('nightly-1');
const at = '2026-11-25T01:00:00.000Z';

function record(
  store: MemoryObjectStore,
  r: Partial<ConvertResult> & Pick<ConvertResult, 'key' | 'format' | 'status'>,
) {
  const full: ConvertResult = { durationMs: 1000, outputKey: `x/${r.key}`, at, ...r };
  return store.put('out', itemRecordKey(run.runId, r.format, r.key), JSON.stringify(full));
}

const item = (key: string): ConvertItem => ({ bucket: 'in', key, etag: '"e"', size: 10, run });

async function mapResults(
  store: MemoryObjectStore,
  name: string,
  failed: { key: string; error: string; cause: string }[],
  ignored: string[] = [],
) {
  await store.put(
    'out',
    `_runs/_map/${name}/FAILED_0.json`,
    JSON.stringify(
      failed.map((f) => ({
        Input: JSON.stringify(item(f.key)),
        Error: f.error,
        Cause: f.cause,
        Status: 'FAILED',
      })),
    ),
  );
  await store.put(
    'out',
    `_runs/_map/${name}/SUCCEEDED_0.json`,
    JSON.stringify(
      ignored.map((key) => ({
        Input: JSON.stringify(item(key)),
        Output: JSON.stringify({ ignored: true, key }),
        Status: 'SUCCEEDED',
      })),
    ),
  );
  await store.put(
    'out',
    `_runs/_map/${name}/manifest.json`,
    JSON.stringify({
      DestinationBucket: 'out',
      ResultFiles: {
        FAILED: [{ Key: `_runs/_map/${name}/FAILED_0.json` }],
        SUCCEEDED: [{ Key: `_runs/_map/${name}/SUCCEEDED_0.json` }],
        PENDING: [],
      },
    }),
  );
  return { ResultWriterDetails: { Bucket: 'out', Key: `_runs/_map/${name}/manifest.json` } };
}

const cols = (types: string[]) =>
  types.map((type, i) => ({ name: `c${i}`, type })) as ConvertResult['columns'];

test('aggregates every item, lists failures with their error, and writes the failed items for a retry', async () => {
  const store = new MemoryObjectStore();
  for (const format of ['parquet', 'avro'] as const) {
    await record(store, {
      key: 'landing/a/1.csv',
      format,
      status: 'converted',
      rows: 10,
      rejectedRows: 2,
      bytesIn: 100,
      bytesOut: 50,
      columns: cols(['int32', 'string']),
    });
    await record(store, {
      key: 'landing/a/2.csv',
      format,
      status: 'converted',
      rows: 5,
      rejectedRows: 0,
      bytesIn: 60,
      bytesOut: 30,
      columns: cols(['double', 'string', 'date']),
    });
    await record(store, { key: 'landing/b/3.csv', format, status: 'skipped' });
  }
  await record(store, {
    key: 'landing/b/bad.csv',
    format: 'parquet',
    status: 'failed',
    error: { type: 'MalformedCsvError', message: 'more than 1000 rows rejected' },
  });
  const map = await mapResults(
    store,
    'm1',
    [
      { key: 'landing/b/bad.csv', error: 'MalformedCsvError', cause: '{}' },
      { key: 'landing/b/timeout.csv', error: 'States.Timeout', cause: 'Task timed out' },
    ],
    ['landing/readme.md'],
  );
  const result = await createReduceHandler({ store, env: {}, now: () => new Date(at) })({
    run,
    mapResults: [map],
  });
  expect(result).toEqual({
    runId: 'nightly-1',
    status: 'FAILED',
    items: { total: 6, converted: 2, skipped: 1, failed: 2, ignored: 1 },
    rejectedRows: 2,
    reportKey: '_runs/nightly-1/report.json',
    failedItemsKey: '_runs/nightly-1/failed-items.json',
    // No dataset's schema changed in this run (no record says so): no output to convert again.
    staleOutputs: 0,
    // No split key: no range to convert, no join to retry.
    rangesToConvert: 0,
    retryJoins: 0,
  });
  const report = JSON.parse(store.text('out', result.reportKey)!);
  expect(report.rows).toBe(15);
  expect(report.ignoredKeys).toEqual(['landing/readme.md']);
  expect(report.failures).toEqual([
    {
      key: 'landing/b/bad.csv',
      errors: [{ format: 'parquet', type: 'MalformedCsvError', message: 'more than 1000 rows rejected' }],
    },
    {
      key: 'landing/b/timeout.csv',
      errors: [{ format: 'workflow', type: 'States.Timeout', message: 'Task timed out' }],
    },
  ]);
  expect(report.drift).toEqual([
    {
      folder: 'landing/a/',
      differences: [
        'landing/a/2.csv: column "c0" is double, int32 in landing/a/1.csv',
        'landing/a/2.csv: column "c2" (date) is not in landing/a/1.csv',
      ],
    },
  ]);
  expect(report.cost.usd).toBeGreaterThan(0);
  expect(report.cost.stateTransitions).toBe(10 + 6 * 7);
  expect(JSON.parse(store.text('out', result.failedItemsKey!)!).map((i: ConvertItem) => i.key)).toEqual([
    'landing/b/bad.csv',
    'landing/b/timeout.csv',
  ]);
  const md = store.text('out', '_runs/nightly-1/report.md')!;
  expect(md).toContain('# csv2lake run nightly-1: FAILED');
  expect(md).toContain('`landing/b/bad.csv`: parquet MalformedCsvError: more than 1000 rows rejected');
  expect(md).toContain('Redrive');
});

test('after a redrive, an item that failed then succeeded is counted once, as converted', async () => {
  const store = new MemoryObjectStore();
  await record(store, {
    key: 'landing/x.csv',
    format: 'parquet',
    status: 'failed',
    error: { type: 'S3TransientError', message: 'SlowDown' },
  });
  const first = await mapResults(store, 'm1', [
    { key: 'landing/x.csv', error: 'S3TransientError', cause: '' },
  ]);
  const reduce = createReduceHandler({ store, env: {} });
  expect((await reduce({ run, mapResults: [first] })).items).toEqual({
    total: 1,
    converted: 0,
    skipped: 0,
    failed: 1,
    ignored: 0,
  });
  // The redriven child writes new records over the old ones.
  for (const format of ['parquet', 'avro'] as const)
    await record(store, { key: 'landing/x.csv', format, status: 'converted', rows: 3 });
  const second = await reduce({ run, mapResults: [first] });
  expect(second).toMatchObject({
    status: 'SUCCEEDED',
    items: { total: 1, converted: 1, skipped: 0, failed: 0 },
  });
  expect(second.failedItemsKey).toBeUndefined();
});

test('the summary stays small for 10,000 items; the rule on a failed execution still gets a report', async () => {
  const store = new MemoryObjectStore();
  for (let i = 0; i < 10000; i++) {
    await record(store, {
      key: `landing/f${String(i).padStart(5, '0')}.csv`,
      format: 'parquet',
      status: i % 1000 === 0 ? 'failed' : 'converted',
      rows: 1,
      error: { type: 'MalformedCsvError', message: 'x' },
    });
  }
  const reduce = createReduceHandler({
    store,
    env: { CSV2LAKE_DEFAULT_RUN: JSON.stringify({ ...run, runId: undefined }) },
  });
  const result = await reduce({ detail: { name: 'nightly-1', status: 'FAILED', input: '{}' } });
  expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThan(1024);
  expect(result).toMatchObject({ runId: 'nightly-1', status: 'FAILED', items: { total: 10000, failed: 10 } });
  expect(JSON.parse(store.text('out', '_runs/nightly-1/report.json')!).files).toHaveLength(10000);
});

async function writeMap(store: MemoryObjectStore, name: string, files: Record<string, string>) {
  const resultFiles: Record<string, { Key: string }[]> = { SUCCEEDED: [], FAILED: [], PENDING: [] };
  for (const [file, body] of Object.entries(files)) {
    const key = `_runs/_map/${name}/${file}`;
    await store.put('out', key, body);
    resultFiles[file.split('_')[0]!]!.push({ Key: key });
  }
  await store.put(
    'out',
    `_runs/_map/${name}/manifest.json`,
    JSON.stringify({ DestinationBucket: 'out', MapRunArn: `arn:${name}`, ResultFiles: resultFiles }),
  );
  return { ResultWriterDetails: { Bucket: 'out', Key: `_runs/_map/${name}/manifest.json` } };
}

test('one format converted, the other child timed out without a record: the item is failed, not converted', async () => {
  const store = new MemoryObjectStore();
  await record(store, { key: 'landing/big.csv', format: 'parquet', status: 'converted', rows: 9, at });
  const map = await writeMap(store, 'm1', {
    'FAILED_0.json': JSON.stringify([
      {
        Input: JSON.stringify(item('landing/big.csv')),
        Status: 'FAILED',
        Error: 'States.Timeout',
        Cause: 'ConvertAvro timed out',
        StopDate: '2026-11-25T01:15:00.000Z',
      },
    ]),
  });
  const result = await createReduceHandler({ store, env: {} })({ run, mapResults: [map] });
  expect(result).toMatchObject({ status: 'FAILED', items: { total: 1, converted: 0, failed: 1 } });
  const report = JSON.parse(store.text('out', result.reportKey)!);
  expect(report.failures).toEqual([
    {
      key: 'landing/big.csv',
      errors: [{ format: 'workflow', type: 'States.Timeout', message: 'ConvertAvro timed out' }],
    },
  ]);
  // Retried at the version the file has then (a fix before a redrive, or two formats of two versions).
  expect(JSON.parse(store.text('out', result.failedItemsKey!)!)).toEqual([
    { ...item('landing/big.csv'), current: true },
  ]);
});

test('a stale FAILED map entry is superseded by records written after it (a redriven child succeeded)', async () => {
  const store = new MemoryObjectStore();
  const failedAt = '2026-11-25T01:15:00.000Z';
  await record(store, { key: 'landing/x.csv', format: 'parquet', status: 'converted', rows: 2, at });
  // The redrive re-ran only the Avro branch, after the failure.
  await record(store, {
    key: 'landing/x.csv',
    format: 'avro',
    status: 'converted',
    rows: 2,
    at: '2026-11-25T02:00:00.000Z',
  });
  const map = await writeMap(store, 'm1', {
    'FAILED_0.json': JSON.stringify([
      {
        Input: JSON.stringify(item('landing/x.csv')),
        Status: 'FAILED',
        Error: 'States.Timeout',
        StopDate: failedAt,
      },
    ]),
  });
  const result = await createReduceHandler({ store, env: {} })({ run, mapResults: [map] });
  expect(result).toMatchObject({ status: 'SUCCEEDED', items: { total: 1, converted: 1, failed: 0 } });
});

test('a FAILED child with no record of one format is failed, although its other format converted (a function killed before it wrote)', async () => {
  const store = new MemoryObjectStore();
  await record(store, { key: 'landing/x.csv', format: 'parquet', status: 'converted', rows: 2, at });
  await record(store, { key: 'landing/y.csv', format: 'parquet', status: 'converted', rows: 2, at });
  await record(store, { key: 'landing/y.csv', format: 'avro', status: 'converted', rows: 2, at });
  const map = await writeMap(store, 'm1', {
    'FAILED_0.json': JSON.stringify([
      { Input: JSON.stringify(item('landing/x.csv')), Status: 'FAILED', Error: 'Runtime.OutOfMemory' },
    ]),
  });
  const result = await createReduceHandler({ store, env: {} })({ run, mapResults: [map] });
  expect(result).toMatchObject({ status: 'FAILED', items: { total: 2, converted: 1, failed: 1 } });
  const report = JSON.parse(store.text('out', result.reportKey)!);
  expect(report.failures).toEqual([
    {
      key: 'landing/x.csv',
      errors: [expect.objectContaining({ format: 'workflow', type: 'Runtime.OutOfMemory' })],
    },
  ]);
  expect(report.failedItems.map((i: { key: string }) => i.key)).toEqual(['landing/x.csv']);
});

test('a file needs every format of the run, not only those some record mentions: a one-file run whose Avro function was killed is failed', async () => {
  const store = new MemoryObjectStore();
  // No Avro record anywhere in the run: the only Avro invocation was killed before it wrote one.
  await record(store, { key: 'landing/x.csv', format: 'parquet', status: 'converted', rows: 2, at });
  const map = await writeMap(store, 'm1', {
    'FAILED_0.json': JSON.stringify([
      { Input: JSON.stringify(item('landing/x.csv')), Status: 'FAILED', Error: 'Runtime.ExitError' },
    ]),
  });
  const result = await createReduceHandler({ store, env: {} })({ run, mapResults: [map] });
  expect(result).toMatchObject({ status: 'FAILED', items: { total: 1, converted: 0, failed: 1 } });
});

test('a run of one format needs only that format: its failed child redriven to a good record is converted', async () => {
  const store = new MemoryObjectStore();
  const parquetOnly = { ...run, outputPrefixes: { parquet: 'parquet/' } };
  await record(store, {
    key: 'landing/x.csv',
    format: 'parquet',
    status: 'converted',
    rows: 2,
    at: '2026-11-25T02:00:00.000Z',
  });
  const map = await writeMap(store, 'm1', {
    'FAILED_0.json': JSON.stringify([
      {
        Input: JSON.stringify({ ...item('landing/x.csv'), run: parquetOnly }),
        Status: 'FAILED',
        Error: 'S3TransientError',
        StopDate: '2026-11-25T01:30:00.000Z',
      },
    ]),
  });
  const result = await createReduceHandler({ store, env: {} })({ run: parquetOnly, mapResults: [map] });
  expect(result).toMatchObject({ status: 'SUCCEEDED', items: { total: 1, converted: 1, failed: 0 } });
});

test('the retry map overrides the first map; JSON Lines result files and batched inputs are read', async () => {
  const store = new MemoryObjectStore();
  for (const key of ['landing/a.csv', 'landing/b.csv'])
    for (const format of ['parquet', 'avro'] as const)
      await record(store, { key, format, status: 'converted', rows: 1 });
  const first = await writeMap(store, 'm1', {
    'FAILED_0.json':
      JSON.stringify({
        Input: JSON.stringify({ Items: [item('landing/a.csv'), item('landing/b.csv')], BatchInput: { run } }),
        Status: 'FAILED',
        Error: 'Lambda.TooManyRequestsException',
      }) + '\n',
    'SUCCEEDED_0.json':
      JSON.stringify({
        Input: JSON.stringify(item('landing/notes.md')),
        Output: JSON.stringify({ ignored: true, key: 'landing/notes.md' }),
        Status: 'SUCCEEDED',
      }) + '\n',
  });
  const retry = await writeMap(store, 'm2', {
    'SUCCEEDED_0.json': JSON.stringify([
      { Input: JSON.stringify(item('landing/a.csv')), Status: 'SUCCEEDED', Output: '[]' },
      { Input: JSON.stringify(item('landing/b.csv')), Status: 'SUCCEEDED', Output: '[]' },
    ]),
  });
  const reduce = createReduceHandler({ store, env: {} });
  const firstOnly = await reduce({ run, mapResults: [first] });
  // Without StopDate the map entry cannot be dated: records that all succeeded win.
  expect(firstOnly.items).toEqual({ total: 3, converted: 2, skipped: 0, failed: 0, ignored: 1 });
  const both = await reduce({ run, mapResults: [first, retry] });
  expect(both).toMatchObject({ status: 'SUCCEEDED', items: { total: 3, converted: 2, failed: 0 } });
  expect(JSON.parse(store.text('out', both.reportKey)!).ignoredKeys).toEqual(['landing/notes.md']);
});

test('a rule-invoked reducer (no map results) still reports a conversion that started and never finished', async () => {
  const store = new MemoryObjectStore();
  await record(store, { key: 'landing/ok.csv', format: 'parquet', status: 'converted', rows: 1 });
  await record(store, {
    key: 'landing/hung.csv',
    format: 'parquet',
    status: 'failed',
    error: { type: 'ConversionIncomplete', message: 'started and never finished' },
  });
  const reduce = createReduceHandler({
    store,
    env: { CSV2LAKE_DEFAULT_RUN: JSON.stringify({ ...run, runId: undefined }) },
  });
  const result = await reduce({ detail: { name: 'nightly-1', status: 'TIMED_OUT' } });
  expect(result).toMatchObject({ status: 'FAILED', items: { total: 2, converted: 1, failed: 1 } });
  expect(store.text('out', '_runs/nightly-1/report.md')).toContain(
    '`landing/hung.csv`: parquet ConversionIncomplete: started and never finished',
  );
});

test('report.md keeps one line per file whatever its key and error hold: control characters escaped, backticks fenced', async () => {
  const store = new MemoryObjectStore();
  const key = 'landing/evil\r\n# Heading\u001b[2J`x`.csv';
  await record(store, {
    key,
    format: 'parquet',
    status: 'failed',
    error: { type: 'MalformedCsvError', message: 'column "a\rb" of line 3\u001b[31m' },
  });
  await record(store, { key: 'landing/b`q.csv', format: 'parquet', status: 'converted', rejectedRows: 2 });
  await createReduceHandler({ store, env: {} })({ run });
  const md = store.text('out', '_runs/nightly-1/report.md')!;
  // eslint-disable-next-line no-control-regex -- control characters are what it looks for
  expect(md).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
  expect(md).toContain(
    '- ``landing/evil\\r\\n# Heading\\u001b[2J`x`.csv``: parquet MalformedCsvError: column "a\\rb" of line 3\\u001b[31m\n',
  );
  expect(md).toContain('- ``landing/b`q.csv``: 2 rows');
  expect(md).not.toMatch(/^# Heading/m);
});

test('two inputs that map to the same output object are flagged as a collision', async () => {
  const store = new MemoryObjectStore();
  // The lake's keys: a.csv and a.csv.gz have two outputs now; the one pair that shares an output is a
  // top-level orders.csv (a dataset named after its stem) beside orders/orders.csv.
  const outputs: Record<string, string> = {
    'landing/a.csv': 'parquet/a/a.parquet',
    'landing/a.csv.gz': 'parquet/a/a.csv.gz.parquet',
    'landing/orders.csv': 'parquet/orders/orders.parquet',
    'landing/orders/orders.csv': 'parquet/orders/orders.parquet',
  };
  for (const [key, outputKey] of Object.entries(outputs))
    await record(store, { key, format: 'parquet', status: 'converted', outputKey });
  const result = await createReduceHandler({ store, env: {} })({ run });
  const report = JSON.parse(store.text('out', result.reportKey)!);
  expect(report.collisions).toEqual([
    {
      outputKey: 'parquet/orders/orders.parquet',
      inputKeys: ['landing/orders.csv', 'landing/orders/orders.csv'],
    },
  ]);
  expect(store.text('out', '_runs/nightly-1/report.md')).toContain('## Output collisions');
});

test('report JSON is streamed in ~1 MiB writes and aborted, never half-written, when a write fails', async () => {
  const store = new MemoryObjectStore();
  const writes: number[] = [];
  let aborted = false;
  const failing = {
    ...store,
    createWriter: () => ({
      bytesWritten: 0,
      write: async (chunk: Uint8Array) => {
        writes.push(chunk.length);
        if (writes.length === 2) throw new Error('connection reset');
      },
      complete: async () => ({ key: 'k', size: 0, etag: '' }),
      abort: async () => {
        aborted = true;
      },
    }),
  } as unknown as MemoryObjectStore;
  const pieces = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(1000) }));
  await expect(writeStreaming(failing, 'out', 'k', pieces)).rejects.toThrow('connection reset');
  expect(aborted).toBe(true);
  expect(writes[0]).toBeGreaterThanOrEqual(1 << 20);
  expect(writes[0]).toBeLessThan((1 << 20) + 1100);

  await writeStreaming(store, 'out', 'ok.json', ['[', '1', ',', '2', ']']);
  expect(JSON.parse(store.text('out', 'ok.json')!)).toEqual([1, 2]);
});

/** The metrics the reducer adds, as [name, value] in order, instead of emitting them. */
function captureMetrics() {
  const added: [string, number][] = [];
  const spy = jest.spyOn(metrics, 'addMetric').mockImplementation((name, _unit, value) => {
    added.push([name, value]);
    return metrics;
  });
  return { added, spy };
}

test('a run reduced again (retry map, redrive, failure rule) adds only what changed to the metrics', async () => {
  const store = new MemoryObjectStore();
  const { added, spy } = captureMetrics();
  try {
    const reduce = createReduceHandler({ store, env: {} });
    await record(store, { key: 'landing/a.csv', format: 'parquet', status: 'converted', rows: 5 });
    await record(store, {
      key: 'landing/b.csv',
      format: 'parquet',
      status: 'failed',
      error: { type: 'S3TransientError', message: 'SlowDown' },
    });
    await reduce({ run });
    const first = Object.fromEntries(added.splice(0));
    expect(first).toMatchObject({ FilesConverted: 1, FilesFailed: 1, RowsConverted: 5 });
    // The redrive converts b: the second reduce adds one file and its rows, no failure.
    await record(store, { key: 'landing/b.csv', format: 'parquet', status: 'converted', rows: 7 });
    await reduce({ run });
    expect(Object.fromEntries(added.splice(0))).toMatchObject({
      FilesConverted: 1,
      FilesFailed: 0,
      RowsConverted: 7,
    });
    // Reduced once more with nothing new: nothing added.
    await reduce({ run });
    expect(added.every(([, value]) => value === 0)).toBe(true);
  } finally {
    spy.mockRestore();
  }
});

test('a reduce that fails to record its metrics emits none of them; its retry emits them once', async () => {
  const store = new MemoryObjectStore();
  const { added, spy } = captureMetrics();
  try {
    await record(store, { key: 'landing/a.csv', format: 'parquet', status: 'converted', rows: 5 });
    const put = store.put.bind(store);
    let refuse = true;
    const flaky = Object.assign(Object.create(store) as MemoryObjectStore, {
      put: async (...args: Parameters<MemoryObjectStore['put']>) => {
        if (refuse && args[1].endsWith('/metrics.json')) throw new Error('SlowDown');
        return put(...args);
      },
    });
    const reduce = createReduceHandler({ store: flaky, env: {} });
    await expect(reduce({ run })).rejects.toThrow('SlowDown');
    expect(added).toEqual([]);
    refuse = false;
    await reduce({ run });
    expect(Object.fromEntries(added)).toMatchObject({ FilesConverted: 1, RowsConverted: 5 });
    expect(added.filter(([name]) => name === 'FilesConverted')).toHaveLength(1);
  } finally {
    spy.mockRestore();
  }
});

/** A Map Run's result files as the ResultWriter lays them out on AWS: `<Prefix>/<Map Run uuid>/…`. */
async function awsMapRun(store: MemoryObjectStore, uuid: string, entries: Record<string, object[]>) {
  const resultFiles: Record<string, { Key: string }[]> = { SUCCEEDED: [], FAILED: [], PENDING: [] };
  for (const [kind, list] of Object.entries(entries)) {
    const key = `_runs/_map/${uuid}/${kind}_0.json`;
    await store.put('out', key, JSON.stringify(list));
    resultFiles[kind]!.push({ Key: key });
  }
  const manifestKey = `_runs/_map/${uuid}/manifest.json`;
  await store.put(
    'out',
    manifestKey,
    JSON.stringify({
      DestinationBucket: 'out',
      MapRunArn: `arn:aws:states:us-east-1:123456789012:mapRun:Csv2Lake/ConvertFiles:${uuid}`,
      ResultFiles: resultFiles,
    }),
  );
  return { ResultWriterDetails: { Bucket: 'out', Key: manifestKey } };
}

test("the execution-status rule's reducer finds the run's map results itself and keeps every key of the earlier report: a failure without a record is never lost", async () => {
  const store = new MemoryObjectStore();
  for (const key of ['landing/a.csv', 'landing/b.csv'])
    for (const format of ['parquet', 'avro'] as const)
      await record(store, { key, format, status: 'converted', rows: 1 });
  await record(store, {
    key: 'landing/bad.csv',
    format: 'parquet',
    status: 'failed',
    error: { type: 'MalformedCsvError', message: 'broken quoting' },
  });
  const convert = await awsMapRun(store, '6dbfba93-bcff-410b-9b5c-abf41ae9eddb', {
    FAILED: [
      { Input: JSON.stringify(item('landing/bad.csv')), Status: 'FAILED', Error: 'MalformedCsvError' },
      {
        Input: JSON.stringify(item('landing/throttled.csv')),
        Status: 'FAILED',
        Error: 'Lambda.TooManyRequestsException',
        Cause: 'Rate exceeded',
      },
    ],
    SUCCEEDED: [
      {
        Input: JSON.stringify(item('landing/readme.md')),
        Output: JSON.stringify({ ignored: true, key: 'landing/readme.md' }),
        Status: 'SUCCEEDED',
      },
    ],
  });
  // Another run's Map Run under the same prefix: none of its keys is this run's.
  await awsMapRun(store, '0b7a41f2-5d1c-4c9e-9d55-1f0c2a3b4c5d', {
    FAILED: [
      {
        Input: JSON.stringify({ ...item('landing/old.csv'), run: { ...run, runId: 'nightly-0' } }),
        Status: 'FAILED',
        Error: 'States.Timeout',
      },
    ],
  });
  const reduce = createReduceHandler({
    store,
    env: { CSV2LAKE_DEFAULT_RUN: JSON.stringify({ ...run, runId: undefined }) },
  });
  const expected = { total: 5, converted: 2, skipped: 0, failed: 2, ignored: 1 };
  expect((await reduce({ run, mapResults: [convert], final: 'ifNoneFailed' })).items).toEqual(expected);

  const rule = { detail: { name: 'nightly-1', status: 'FAILED', input: '{}' } };
  const check = async () => {
    const result = await reduce(rule);
    expect(result).toMatchObject({ status: 'FAILED', items: expected });
    const report = JSON.parse(store.text('out', result.reportKey)!);
    expect(report.failures).toEqual([
      {
        key: 'landing/bad.csv',
        errors: [{ format: 'parquet', type: 'MalformedCsvError', message: 'broken quoting' }],
      },
      {
        key: 'landing/throttled.csv',
        errors: [{ format: 'workflow', type: 'Lambda.TooManyRequestsException', message: 'Rate exceeded' }],
      },
    ]);
    expect(report.ignoredKeys).toEqual(['landing/readme.md']);
    expect(JSON.parse(store.text('out', result.failedItemsKey!)!)).toEqual([
      { ...item('landing/bad.csv'), current: true },
      { ...item('landing/throttled.csv'), current: true },
    ]);
    expect(store.text('out', '_runs/nightly-1/report.md')).toContain(
      '`landing/throttled.csv`: workflow Lambda.TooManyRequestsException: Rate exceeded',
    );
  };
  await check();
  // The map results gone (a Map Run that was aborted writes none): the earlier report's keys are kept.
  for (const key of [...store.objects.keys()])
    if (key.startsWith('out/_runs/_map/')) store.objects.delete(key);
  await check();
});

test("the rule's reducer orders the run's Map Runs as they ran: the first map, then the retry map", async () => {
  const store = new MemoryObjectStore();
  for (const format of ['parquet', 'avro'] as const)
    await record(store, { key: 'landing/a.csv', format, status: 'converted', rows: 1, at });
  const first = await awsMapRun(store, 'ffff0000-0000-0000-0000-000000000001', {
    FAILED: [
      {
        Input: JSON.stringify(item('landing/a.csv')),
        Status: 'FAILED',
        Error: 'S3TransientError',
        StopDate: '2026-11-25T01:30:00.000Z',
      },
    ],
  });
  // The retry map's item list asks for the current version: that is how its manifest is told apart.
  await awsMapRun(store, '00000000-0000-0000-0000-000000000002', {
    FAILED: [
      {
        Input: JSON.stringify({ ...item('landing/a.csv'), current: true }),
        Status: 'FAILED',
        Error: 'Runtime.OutOfMemory',
        StopDate: '2026-11-25T02:30:00.000Z',
      },
    ],
  });
  const reduce = createReduceHandler({
    store,
    env: { CSV2LAKE_DEFAULT_RUN: JSON.stringify({ ...run, runId: undefined }) },
  });
  const result = await reduce({ detail: { name: 'nightly-1', status: 'FAILED', input: '{}' } });
  expect(result.items).toMatchObject({ total: 1, failed: 1 });
  // The retry map's verdict wins (it sorts before the first map's uuid, yet ran after it).
  expect(JSON.parse(store.text('out', result.reportKey)!).failures[0].errors).toEqual([
    { format: 'workflow', type: 'Runtime.OutOfMemory', message: '' },
  ]);
  expect(first.ResultWriterDetails.Key).toMatch(/^_runs\/_map\/ffff/);
});

test('the run counts are emitted by its last reduction only: not by a Reduce the retry map follows, by ReduceAfterRetry with what is still failed', async () => {
  const store = new MemoryObjectStore();
  const { added, spy } = captureMetrics();
  try {
    const reduce = createReduceHandler({ store, env: {} });
    await record(store, { key: 'landing/a.csv', format: 'parquet', status: 'converted', rows: 5 });
    await record(store, {
      key: 'landing/b.csv',
      format: 'parquet',
      status: 'failed',
      error: { type: 'S3TransientError', message: 'SlowDown' },
    });
    const single = { ...run, outputPrefixes: { parquet: 'parquet/' } };
    await reduce({ run: single, final: 'ifNoneFailed' });
    // Files failed, so RetryFailed runs: this reduction emits (and records) nothing.
    expect(added).toEqual([]);
    expect(store.text('out', '_runs/nightly-1/metrics.json')).toBeUndefined();
    // The retry map converts b.
    await record(store, { key: 'landing/b.csv', format: 'parquet', status: 'converted', rows: 7 });
    await reduce({ run: single, final: true });
    expect(Object.fromEntries(added.splice(0))).toMatchObject({
      FilesConverted: 2,
      FilesFailed: 0,
      RowsConverted: 12,
    });
    // A run where nothing failed: Reduce is its last reduction (AnyFailed skips the retry map).
    await reduce({ run: { ...single, runId: 'nightly-2' }, final: 'ifNoneFailed' });
    expect(Object.fromEntries(added.splice(0))).toMatchObject({ FilesFailed: 0 });
  } finally {
    spy.mockRestore();
  }
});

test("the rule's reducer does not read the manifests of Map Runs that ended before its execution started", async () => {
  const store = new MemoryObjectStore();
  await record(store, { key: 'landing/a.csv', format: 'parquet', status: 'converted', rows: 1 });
  await awsMapRun(store, 'aaaa0000-0000-0000-0000-000000000001', {
    FAILED: [{ Input: JSON.stringify(item('landing/gone.csv')), Status: 'FAILED', Error: 'States.Timeout' }],
  });
  // The memory store dates nothing; S3 lists every object with its LastModified.
  const written = new Date('2026-11-25T01:00:00.000Z');
  const dated = Object.assign(Object.create(store) as MemoryObjectStore, {
    list: async (...args: Parameters<MemoryObjectStore['list']>) => {
      const page = await store.list(...args);
      return { ...page, objects: page.objects.map((o) => ({ ...o, lastModified: written })) };
    },
  });
  const reduce = createReduceHandler({
    store: dated,
    env: { CSV2LAKE_DEFAULT_RUN: JSON.stringify({ ...run, runId: undefined }) },
  });
  const detail = { name: 'nightly-1', status: 'FAILED', input: '{}' };
  // Started the next day: the manifest is an earlier execution's (of the same name), not read.
  const next = await reduce({ detail: { ...detail, startDate: Date.parse('2026-11-26T01:00:00.000Z') } });
  expect(next.items).toMatchObject({ total: 1, failed: 0 });
  expect(store.gets).not.toContain('_runs/_map/aaaa0000-0000-0000-0000-000000000001/manifest.json');
  // Started before it was written: it is this execution's.
  const same = await reduce({ detail: { ...detail, startDate: Date.parse('2026-11-25T00:30:00.000Z') } });
  expect(same.items).toMatchObject({ total: 2, failed: 1 });
});
