import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  ListMapRunsCommand,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { redriveRun, runStatus, startRun } from '../../../lib/ops/operations';

const sfn = mockClient(SFNClient);
const client = new SFNClient({ region: 'eu-west-1' });
const arn = 'arn:aws:states:eu-west-1:123456789012:execution:Csv2Lake-Pipeline:nightly-1';

beforeEach(() => sfn.reset());

test('start sends the narrowed input', async () => {
  sfn.on(StartExecutionCommand).resolves({ executionArn: arn, startDate: new Date() });
  expect(await startRun(client, 'arn:sm', { prefix: 'incoming/2026/' }, 'nightly-1')).toEqual({
    executionArn: arn,
    name: 'nightly-1',
  });
  expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input).toEqual({
    stateMachineArn: 'arn:sm',
    input: '{"prefix":"incoming/2026/"}',
    name: 'nightly-1',
  });
});

test('status reports the execution, each map run’s item counts and the report location', async () => {
  sfn.on(DescribeExecutionCommand).resolves({
    name: 'nightly-1',
    status: 'FAILED',
    error: 'States.ExceedToleratedFailureThreshold',
    redriveCount: 1,
  });
  sfn.on(ListMapRunsCommand).resolves({
    mapRuns: [{ mapRunArn: `${arn}/m1`, executionArn: arn, stateMachineArn: 'x', startDate: new Date() }],
  });
  sfn.on(DescribeMapRunCommand).resolves({
    status: 'FAILED',
    itemCounts: {
      total: 10,
      succeeded: 8,
      failed: 2,
      pending: 0,
      running: 0,
      timedOut: 0,
      aborted: 0,
      resultsWritten: 10,
    },
  });
  const s = await runStatus(client, arn, 'lake');
  expect(s).toMatchObject({
    name: 'nightly-1',
    status: 'FAILED',
    redriveCount: 1,
    error: 'States.ExceedToleratedFailureThreshold',
    mapRuns: [
      { mapRunArn: `${arn}/m1`, status: 'FAILED', items: expect.objectContaining({ total: 10, failed: 2 }) },
    ],
    report: 's3://lake/_runs/nightly-1/report.md',
  });
});

test('redrive calls RedriveExecution on the execution', async () => {
  const when = new Date('2026-11-25T05:00:00Z');
  sfn.on(RedriveExecutionCommand).resolves({ redriveDate: when });
  expect(await redriveRun(client, arn)).toEqual(when);
  expect(sfn.commandCalls(RedriveExecutionCommand)[0]!.args[0].input).toEqual({ executionArn: arn });
});

test('status pages through the map runs and takes the report key from a finished execution’s output', async () => {
  sfn.on(DescribeExecutionCommand).resolves({
    name: 'nightly-1',
    status: 'SUCCEEDED',
    output: JSON.stringify({ reduce: { summary: { reportKey: '_runs/nightly-1/report.json' } } }),
  });
  sfn
    .on(ListMapRunsCommand, { executionArn: arn, nextToken: undefined })
    .resolves({
      mapRuns: [{ mapRunArn: `${arn}/m1`, executionArn: arn, stateMachineArn: 'x', startDate: new Date() }],
      nextToken: 'page-2',
    })
    .on(ListMapRunsCommand, { executionArn: arn, nextToken: 'page-2' })
    .resolves({
      mapRuns: [{ mapRunArn: `${arn}/m2`, executionArn: arn, stateMachineArn: 'x', startDate: new Date() }],
    });
  sfn
    .on(DescribeMapRunCommand)
    .resolves({ status: 'SUCCEEDED', itemCounts: { total: 1, succeeded: 1 } as never });
  const s = await runStatus(client, arn, 'lake');
  expect(s.mapRuns.map((m) => m.mapRunArn)).toEqual([`${arn}/m1`, `${arn}/m2`]);
  expect(s.report).toBe('s3://lake/_runs/nightly-1/report.md');
  expect((await runStatus(client, arn)).report).toBeUndefined(); // no bucket known, no guess
});
