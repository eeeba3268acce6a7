/*
 * The run report accounts for every key on every path, through the local runner (issue 12 items 2 and 5):
 * the reducer the execution-status rule invokes on AWS (given no map results) still lists a failure that
 * left no record, also once the map results are gone; the summary's items add up to the total; FilesFailed
 * is emitted once per run, by its last reduction, so a failure the retry map fixed is never counted.
 */
import './quiet';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReduceHandler } from '../../lambdas/handlers/reduce';
import { metrics } from '../../lambdas/shared/observability';
import { S3TransientError } from '../../lambdas/shared/errors';
import { LocalRunner } from '../../lib/local/runner';
import { INPUT_BUCKET, OUTPUT_BUCKET, storesFor } from '../../lib/local/stores';
import { buildDefinition, MAP_RESULTS_PREFIX, STATES } from '../../lib/workflow/definition';

function folder(files: Record<string, string>): { input: string; output: string } {
  const root = mkdtempSync(join(tmpdir(), 'every-key-'));
  for (const [key, text] of Object.entries(files)) {
    mkdirSync(join(root, 'in', key, '..'), { recursive: true });
    writeFileSync(join(root, 'in', key), text);
  }
  return { input: join(root, 'in'), output: join(root, 'out') };
}

const sum = (items: { converted: number; skipped: number; failed: number; ignored: number }) =>
  items.converted + items.skipped + items.failed + items.ignored;

interface Report {
  items: { total: number; converted: number; skipped: number; failed: number; ignored: number };
  failures: { key: string; errors: { format: string; type: string }[] }[];
  failedItems: { key: string }[];
  files: { key: string }[];
  ignoredKeys: string[];
}

test('the reducer the execution-status rule invokes, given no map results, still lists a failure that left no record, even once the map results are gone', async () => {
  const dir = folder({ 'a.csv': 'x\n1\n', 'b.csv': 'x\n2\n', 'killed.csv': 'x\n3\n', 'notes.md': '# no' });
  const result = await LocalRunner.run({
    input: { kind: 'dir', path: dir.input },
    output: { kind: 'dir', path: dir.output },
    retryIntervalMs: 1,
    // Both functions of killed.csv are stopped before they write anything, in both maps (as Lambda stops
    // a function out of memory): the child fails and no record is left.
    fault: (state, payload) =>
      (payload as { key?: string }).key === 'killed.csv' && /Convert(Parquet|Avro)$/.test(state)
        ? Object.assign(new Error('Runtime exited with error: signal: killed'), {
            name: 'Runtime.OutOfMemory',
          })
        : undefined,
  });
  expect(result.status).toBe('FAILED');
  expect(result.items).toEqual({ total: 4, converted: 2, skipped: 0, failed: 1, ignored: 1 });

  // On AWS the rule's event carries only the execution's name, status and input.
  const store = storesFor(
    { input: { kind: 'dir', path: dir.input }, output: { kind: 'dir', path: dir.output } },
    undefined,
  );
  const defaults = {
    inputBucket: INPUT_BUCKET,
    inputPrefix: '',
    outputBucket: OUTPUT_BUCKET,
    outputPrefixes: { parquet: 'parquet/', avro: 'avro/' },
  };
  const rule = createReduceHandler({ store, env: { CSV2LAKE_DEFAULT_RUN: JSON.stringify(defaults) } });
  const event = {
    detail: { name: result.runId, status: 'FAILED', input: '{}', startDate: Date.now() - 60_000 },
  };
  const check = (summary: Awaited<ReturnType<typeof rule>>) => {
    expect(summary).toMatchObject({
      status: 'FAILED',
      items: { total: 4, converted: 2, skipped: 0, failed: 1, ignored: 1 },
    });
    expect(sum(summary.items)).toBe(summary.items.total);
    const report = JSON.parse(readFileSync(result.reportPath, 'utf8')) as Report;
    expect(report.failures).toEqual([
      {
        key: 'killed.csv',
        errors: [expect.objectContaining({ format: 'workflow', type: 'Runtime.OutOfMemory' })],
      },
    ]);
    expect(report.failedItems.map((i) => i.key)).toEqual(['killed.csv']);
    expect(report.ignoredKeys).toEqual(['notes.md']);
    expect(report.files.map((f) => f.key)).toEqual(['a.csv', 'b.csv', 'killed.csv']);
  };
  // The map results are found under the ResultWriter's prefix.
  check(await rule(event));
  // A Map Run that was aborted writes none: what the earlier report knew is kept.
  rmSync(join(dir.output, MAP_RESULTS_PREFIX), { recursive: true, force: true });
  check(await rule(event));
});

test('FilesFailed is emitted by the last reduction only: a file that fails in ConvertFiles and converts in RetryFailed is never counted failed', async () => {
  const added: [string, number][] = [];
  const spy = jest.spyOn(metrics, 'addMetric').mockImplementation((name, _unit, value) => {
    added.push([name, value]);
    return metrics;
  });
  try {
    const dir = folder({ 'a.csv': 'x\n1\n', 'slow.csv': 'x\n2\n' });
    const result = await LocalRunner.run({
      input: { kind: 'dir', path: dir.input },
      output: { kind: 'dir', path: dir.output },
      retryIntervalMs: 1,
      // Throttled on every attempt of the first map (1 + 5 retries), fine in the retry map.
      fault: (state, payload) =>
        state === 'ConvertParquet' && (payload as { key?: string }).key === 'slow.csv'
          ? new S3TransientError('SlowDown: Please reduce your request rate')
          : undefined,
    });
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      items: { total: 2, converted: 2, skipped: 0, failed: 0, ignored: 0 },
    });
    // The converters emit their own per-invocation counts; the injected throttling never reached them, so
    // every FilesFailed here is the reducer's.
    expect(added.filter(([n]) => n === 'FilesFailed').reduce((s, [, v]) => s + v, 0)).toBe(0);
    // What the run's reductions emitted in all: recorded by the last one only (Reduce was not the last).
    const emitted = JSON.parse(readFileSync(join(dir.output, '_runs', result.runId, 'metrics.json'), 'utf8'));
    expect(emitted).toMatchObject({ FilesConverted: 2, FilesFailed: 0 });
  } finally {
    spy.mockRestore();
  }
});

test('the reduce states say which reduction is the last: Reduce only when nothing failed, ReduceAfterRetry always', () => {
  const states = buildDefinition({
    formats: ['parquet', 'avro'],
    inputPrefix: '',
    outputPrefixes: { parquet: 'parquet/', avro: 'avro/' },
    maxConcurrency: 4,
    taskTimeoutSeconds: 930,
  }).States as Record<string, { Parameters: { Payload: Record<string, unknown> } }>;
  expect(states[STATES.reduce]!.Parameters.Payload.final).toBe('ifNoneFailed');
  expect(states[STATES.reduceAfterRetry]!.Parameters.Payload.final).toBe(true);
});
