import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { NIGHTLY_SCHEDULE_DEFAULTS, NightlySchedule } from '../../../lib/constructs/nightly-schedule';
import { bareStack } from './support';

test('defaults: 02:00 UTC every day, input {}, 3 retries within 2 hours, an encrypted SSL-only dead-letter queue', () => {
  const { stack, stateMachine } = bareStack();
  new NightlySchedule(stack, 'Nightly', { stateMachine });
  const t = Template.fromStack(stack);
  t.hasResourceProperties('AWS::Scheduler::Schedule', {
    ScheduleExpression: 'cron(0 2 * * ? *)',
    ScheduleExpressionTimezone: 'Etc/UTC',
    Target: Match.objectLike({
      Input: '{}',
      RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 7200 },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('NightlyDeadLetters'), 'Arn'] } },
    }),
  });
  t.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
  t.hasResourceProperties('AWS::SQS::QueuePolicy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ]),
    },
  });
  expect(NIGHTLY_SCHEDULE_DEFAULTS.retryAttempts).toBe(3);
});

test('props are honoured: cron in a time zone, input, retries, event age', () => {
  const { stack, stateMachine } = bareStack();
  new NightlySchedule(stack, 'Nightly', {
    stateMachine,
    cron: { minute: '15', hour: '5', timeZone: { timezoneName: 'Europe/Paris' } as never },
    input: { prefix: 'incoming/daily/' },
    retryAttempts: 1,
    maxEventAge: Duration.minutes(30),
  });
  Template.fromStack(stack).hasResourceProperties('AWS::Scheduler::Schedule', {
    ScheduleExpression: 'cron(15 5 * * ? *)',
    ScheduleExpressionTimezone: 'Europe/Paris',
    Target: Match.objectLike({
      Input: '{"prefix":"incoming/daily/"}',
      RetryPolicy: { MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 1800 },
    }),
  });
});
