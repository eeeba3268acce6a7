import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { PIPELINE_DASHBOARD_DEFAULTS, PipelineDashboard } from '../../../lib/constructs/pipeline-dashboard';
import { bareStack } from './support';

/** The dashboard body, tokens replaced by a marker. */
function body(t: Template): string {
  const [dashboard] = Object.values(t.findResources('AWS::CloudWatch::Dashboard')) as any[];
  const b = dashboard.Properties.DashboardBody;
  return typeof b === 'string'
    ? b
    : b['Fn::Join'][1].map((p: unknown) => (typeof p === 'string' ? p : '<token>')).join('');
}

test('defaults: one-day points of runs (all four outcomes), files, rows, bytes and duration; no alarm', () => {
  const { stack, stateMachine } = bareStack();
  new PipelineDashboard(stack, 'Monitoring', { stateMachine });
  const text = body(Template.fromStack(stack));
  for (const metric of [
    'ExecutionsSucceeded',
    'ExecutionsFailed',
    'ExecutionsTimedOut',
    'ExecutionsAborted',
    'FilesConverted',
    'FilesSkipped',
    'FilesFailed',
    'RowsConverted',
    'RejectedRows',
    'BytesIn',
    'ExecutionTime',
  ])
    expect(text).toContain(`"${metric}"`);
  expect(text).toContain('"period":86400');
  expect(text).toContain('"alarms":[]');
  expect(PIPELINE_DASHBOARD_DEFAULTS.period.toDays()).toBe(1);
});

test('props are honoured: alarms shown, period', () => {
  const { stack, stateMachine } = bareStack();
  const alarm = new cloudwatch.Alarm(stack, 'Some', {
    metric: stateMachine.metricFailed(),
    threshold: 1,
    evaluationPeriods: 1,
  });
  new PipelineDashboard(stack, 'Monitoring', { stateMachine, alarms: [alarm], period: Duration.hours(1) });
  const text = body(Template.fromStack(stack));
  expect(text).toContain('"period":3600');
  expect(text).not.toContain('"alarms":[]');
});
