import {
  DescribeExecutionCommand,
  ListMapRunsCommand,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { redrive, start, status } from '../../../lib/cli/aws-commands';

const sfn = mockClient(SFNClient);
const arn = 'arn:aws:states:eu-west-1:123456789012:execution:Csv2Lake:nightly-1';
let out: string;

beforeEach(() => {
  sfn.reset();
  out = '';
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  process.env.AWS_REGION = 'eu-west-1';
  delete process.env.CSV2LAKE_STATE_MACHINE_ARN;
});
afterEach(() => jest.restoreAllMocks());

test('start: needs a state machine ARN; sends only the options given', async () => {
  await expect(start.run([])).rejects.toMatchObject({ name: 'UsageError', exitCode: 2 });
  sfn.on(StartExecutionCommand).resolves({ executionArn: arn });
  expect(await start.run(['--state-machine-arn', 'arn:sm', '--prefix', 'in/2026/', '--json'])).toBe(0);
  expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input).toEqual({
    stateMachineArn: 'arn:sm',
    input: '{"prefix":"in/2026/"}',
  });
  expect(JSON.parse(out)).toEqual({ executionArn: arn, name: 'nightly-1' });
  await expect(start.run(['--state-machine-arn', 'arn:sm', '--bogus'])).rejects.toMatchObject({
    name: 'UsageError',
  });
});

test('status: exit code 1 for a failed run, with the error and the report location', async () => {
  sfn.on(DescribeExecutionCommand).resolves({
    name: 'nightly-1',
    status: 'FAILED',
    error: 'States.ExceedToleratedFailureThreshold',
    cause: '2 items failed',
  });
  sfn.on(ListMapRunsCommand).resolves({ mapRuns: [] });
  expect(await status.run([arn, '--output-bucket', 'lake'])).toBe(1);
  expect(out).toContain('nightly-1: FAILED');
  expect(out).toContain('States.ExceedToleratedFailureThreshold: 2 items failed');
  expect(out).toContain('report: s3://lake/_runs/nightly-1/report.md');
  await expect(status.run([])).rejects.toMatchObject({ name: 'UsageError' });
});

test('redrive: refuses anything but an execution ARN; redrives it', async () => {
  await expect(redrive.run(['nightly-1'])).rejects.toMatchObject({ name: 'UsageError' });
  sfn.on(RedriveExecutionCommand).resolves({ redriveDate: new Date('2026-11-25T05:00:00Z') });
  expect(await redrive.run([arn])).toBe(0);
  expect(sfn.commandCalls(RedriveExecutionCommand)[0]!.args[0].input).toEqual({ executionArn: arn });
  expect(out).toContain('Redriven at 2026-11-25T05:00:00.000Z');
});
