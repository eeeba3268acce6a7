import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { FailedExecutionReport, REPORTED_STATUSES } from '../../../lib/constructs/failed-execution-report';
import { bareStack } from './support';

test('defaults: FAILED, TIMED_OUT and ABORTED executions invoke the reducer, 3 retries within 2 hours, then a dead-letter queue', () => {
  const { stack, stateMachine, fn } = bareStack();
  new FailedExecutionReport(stack, 'Report', { stateMachine, reducer: fn });
  const t = Template.fromStack(stack);
  expect(REPORTED_STATUSES).toEqual(['FAILED', 'TIMED_OUT', 'ABORTED']);
  t.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: {
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [{ Ref: Match.anyValue() }] },
    },
    Targets: [
      Match.objectLike({
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Fn'), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 7200 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ReportDeadLetters'), 'Arn'] } },
      }),
    ],
  });
  t.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
  // EventBridge may send the failed events to the queue.
  t.hasResourceProperties('AWS::SQS::QueuePolicy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
        }),
      ]),
    },
  });
});

test('props are honoured: retries and event age', () => {
  const { stack, stateMachine, fn } = bareStack();
  new FailedExecutionReport(stack, 'Report', {
    stateMachine,
    reducer: fn,
    retryAttempts: 0,
    maxEventAge: Duration.minutes(10),
  });
  Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
    Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 600 } })],
  });
});
