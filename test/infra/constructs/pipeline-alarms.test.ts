import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { PIPELINE_ALARMS_DEFAULTS, PipelineAlarms } from '../../../lib/constructs/pipeline-alarms';
import { bareStack } from './support';

test('defaults: failed, timed-out and aborted executions and failed files over 5 minutes, a new encrypted topic, no subscription, no queue alarm', () => {
  const { stack, stateMachine } = bareStack();
  const alarms = new PipelineAlarms(stack, 'Alarms', { stateMachine });
  const t = Template.fromStack(stack);
  expect(alarms.alarms).toHaveLength(4);
  t.resourceCountIs('AWS::CloudWatch::Alarm', 4);
  t.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { Period: 300, EvaluationPeriods: 1 }, 4);
  t.resourceCountIs('AWS::SNS::Topic', 1);
  t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  t.resourceCountIs('AWS::SNS::Subscription', 0);
  expect(PIPELINE_ALARMS_DEFAULTS.period.toMinutes()).toBe(5);
});

test('props are honoured: dead-letter queues, topic, e-mail, period', () => {
  const { stack, stateMachine } = bareStack();
  const queue = new sqs.Queue(stack, 'Dlq');
  const topic = new sns.Topic(stack, 'Ops');
  const alarms = new PipelineAlarms(stack, 'Alarms', {
    stateMachine,
    deadLetterQueues: { Somewhere: queue },
    topic,
    alarmEmail: 'ops@example.com',
    period: Duration.minutes(15),
  });
  const t = Template.fromStack(stack);
  expect(Object.keys(alarms.deadLetters)).toEqual(['Somewhere']);
  t.resourceCountIs('AWS::CloudWatch::Alarm', 5);
  t.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { Period: 900 }, 5);
  t.hasResourceProperties('AWS::CloudWatch::Alarm', {
    MetricName: 'ApproximateNumberOfMessagesVisible',
    AlarmDescription: Match.stringLikeRegexp('dead-letter queue Somewhere'),
    AlarmActions: [{ Ref: Match.stringLikeRegexp('^Ops') }],
    OKActions: [{ Ref: Match.stringLikeRegexp('^Ops') }],
  });
  // The given topic, not a new one, and no key made for it.
  t.resourceCountIs('AWS::SNS::Topic', 1);
  t.resourceCountIs('AWS::KMS::Key', 0);
  t.hasResourceProperties('AWS::SNS::Subscription', {
    Protocol: 'email',
    Endpoint: 'ops@example.com',
    TopicArn: { Ref: Match.stringLikeRegexp('^Ops') },
  });
});
