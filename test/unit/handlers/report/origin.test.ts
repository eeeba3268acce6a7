/*
 * The reducer writes the report for the run it describes: on AWS the execution to redrive comes from the
 * Map Run's ARN (or the rule's event); a local runner tells it the run's folder and redrive command.
 */
import { itemRecordKey } from '../../../../lambdas/handlers/convert-item';
import { createReduceHandler } from '../../../../lambdas/handlers/reduce';
import { executionArnOfMapRun, shellWord } from '../../../../lambdas/handlers/report/origin';
import type { ConvertResult } from '../../../../lambdas/shared/payloads';
import { MemoryObjectStore } from '../../../support/memory-store';
import { runContext } from '../../../support/run-context';

const run = runContext('nightly-1', { outputPrefixes: { parquet: 'parquet/' } });
const ARN = 'arn:aws:states:eu-west-1:123456789012:execution:Csv2LakePipeline:nightly-1';

async function failedFile(store: MemoryObjectStore) {
  const r: ConvertResult = {
    key: 'landing/bad.csv',
    format: 'parquet',
    status: 'failed',
    durationMs: 1000,
    outputKey: 'x',
    at: '2026-11-25T01:00:00.000Z',
    error: { type: 'MalformedCsvError', message: 'line 3' },
  };
  await store.put('out', itemRecordKey(run.runId, 'parquet', r.key), JSON.stringify(r));
}

test('the execution of a Map Run, from its ARN', () => {
  expect(
    executionArnOfMapRun(
      'arn:aws:states:eu-west-1:123456789012:mapRun:Csv2LakePipeline/nightly-1:7f3e2a10-1c2d-4e5f-9a8b-0c1d2e3f4a5b',
    ),
  ).toBe(ARN);
  expect(
    executionArnOfMapRun('arn:aws:states:eu-west-1:123456789012:stateMachine:Csv2LakePipeline'),
  ).toBeUndefined();
});

test('a word is quoted for a shell only when it must be', () => {
  expect(shellWord('/data/lake')).toBe('/data/lake');
  expect(shellWord('s3://lake/out/')).toBe('s3://lake/out/');
  expect(shellWord("/home/ada/Bob's lake")).toBe(`'/home/ada/Bob'\\''s lake'`);
});

test('on AWS, report.md names the input bucket and the execution to redrive, from the Map Run ARN', async () => {
  const store = new MemoryObjectStore();
  await failedFile(store);
  await store.put('out', '_runs/_map/m/SUCCEEDED_0.json', '[]');
  await store.put(
    'out',
    '_runs/_map/m/manifest.json',
    JSON.stringify({
      DestinationBucket: 'out',
      MapRunArn:
        'arn:aws:states:eu-west-1:123456789012:mapRun:Csv2LakePipeline/nightly-1:7f3e2a10-1c2d-4e5f-9a8b-0c1d2e3f4a5b',
      ResultFiles: { SUCCEEDED: [{ Key: '_runs/_map/m/SUCCEEDED_0.json' }] },
    }),
  );
  await createReduceHandler({ store, env: {} })({
    run,
    mapResults: [{ ResultWriterDetails: { Bucket: 'out', Key: '_runs/_map/m/manifest.json' } }],
  });
  const md = store.text('out', '_runs/nightly-1/report.md')!;
  expect(md).toContain('Input: `s3://in/landing/` — generated');
  expect(md).toContain(`aws stepfunctions redrive-execution --execution-arn ${ARN}\n`);
  const json = JSON.parse(store.text('out', '_runs/nightly-1/report.json')!);
  expect(json.origin).toEqual({ input: 's3://in/landing/', redrive: { kind: 'aws', executionArn: ARN } });
});

test("on AWS, the execution-status rule's event names the execution when no Map Run does", async () => {
  const store = new MemoryObjectStore();
  await failedFile(store);
  const reduce = createReduceHandler({
    store,
    env: { CSV2LAKE_DEFAULT_RUN: JSON.stringify({ ...run, runId: undefined }) },
  });
  await reduce({ detail: { name: 'nightly-1', status: 'FAILED', executionArn: ARN } as never });
  expect(store.text('out', '_runs/nightly-1/report.md')).toContain(`--execution-arn ${ARN}\n`);
});

test("a local runner's reducer writes the run's folder and its exact redrive command", async () => {
  const store = new MemoryObjectStore();
  await failedFile(store);
  const command = 'csv2lake redrive nightly-1 --output /data/lake';
  await createReduceHandler({
    store,
    env: {},
    origin: () => ({ input: '/data/exports', redrive: { kind: 'local', command } }),
  })({ run });
  const md = store.text('out', '_runs/nightly-1/report.md')!;
  expect(md).toContain('Input: `/data/exports` — generated');
  expect(md).toContain(`\`\`\`sh\n${command}\n\`\`\``);
  expect(md).not.toContain('s3://in/');
  expect(md).not.toContain('stepfunctions');
});
