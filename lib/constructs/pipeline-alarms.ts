import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, RUN_METRICS, SERVICE_NAMES } from '../../lambdas/shared/metrics-names';

/** Props of {@link PipelineAlarms}. */
export interface PipelineAlarmsProps {
  /** The pipeline's state machine. */
  readonly stateMachine: sfn.IStateMachine;
  /**
   * Dead-letter queues to watch, by a name used in the alarm's id and description (e.g. the schedule's:
   * a message there is a night's run that never started). @default {}
   */
  readonly deadLetterQueues?: Readonly<Record<string, sqs.IQueue>>;
  /**
   * The topic every alarm notifies, when it fires and when it clears. @default a new topic, encrypted with a
   * new customer-managed KMS key (CloudWatch cannot publish to a topic under the AWS-managed `aws/sns` key,
   * whose policy cannot grant it) and SSL-only
   */
  readonly topic?: sns.ITopic;
  /** An e-mail address subscribed to the topic (AWS sends a confirmation first). @default none */
  readonly alarmEmail?: string;
  /** The period every alarm evaluates (one period over its threshold fires it). @default 5 minutes */
  readonly period?: Duration;
}

/** Defaults of {@link PipelineAlarmsProps}. */
export const PIPELINE_ALARMS_DEFAULTS = { period: Duration.minutes(5) };

/**
 * Alarms that reach someone: executions that ended FAILED, TIMED_OUT or ABORTED, files still failed after the
 * retry map (the reducer's `FilesFailed`), and messages in each dead-letter queue; every alarm notifies an SNS
 * topic both when it fires and when it is OK again.
 */
export class PipelineAlarms extends Construct {
  readonly topic: sns.ITopic;
  readonly failedExecutions: cloudwatch.Alarm;
  readonly timedOutExecutions: cloudwatch.Alarm;
  readonly abortedExecutions: cloudwatch.Alarm;
  readonly failedFiles: cloudwatch.Alarm;
  /** One per dead-letter queue, by its name. */
  readonly deadLetters: Readonly<Record<string, cloudwatch.Alarm>>;
  /** Every alarm above. */
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    const period = props.period ?? PIPELINE_ALARMS_DEFAULTS.period;
    this.topic = props.topic ?? this.createTopic();
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const action = new cloudwatchActions.SnsAction(this.topic);
    const alarm = (name: string, description: string, metric: cloudwatch.IMetric) => {
      const a = new cloudwatch.Alarm(this, name, {
        alarmDescription: description,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No run, no data: nothing to alarm on.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(action);
      a.addOkAction(action);
      return a;
    };
    const sm = props.stateMachine;
    const sum = { period, statistic: 'Sum' };
    const read =
      'read _runs/<execution>/report.md (the reducer writes it for this status too), fix, then Redrive';
    this.failedExecutions = alarm(
      'FailedExecutions',
      `A csv2lake run ended FAILED: ${read}.`,
      sm.metricFailed(sum),
    );
    this.timedOutExecutions = alarm(
      'TimedOutExecutions',
      `A csv2lake run ended TIMED_OUT (the state machine's overall timeout): ${read}; raise maxConcurrency or the timeout if the run was only slow.`,
      sm.metricTimedOut(sum),
    );
    this.abortedExecutions = alarm(
      'AbortedExecutions',
      `A csv2lake run was ABORTED (stopped by someone or something): ${read} if it should have finished.`,
      sm.metricAborted(sum),
    );
    this.failedFiles = alarm(
      'FailedFiles',
      'Files still failed at the end of a csv2lake run, after the retry map: the report lists them and why.',
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: RUN_METRICS.filesFailed,
        dimensionsMap: { service: SERVICE_NAMES.reducer },
        ...sum,
      }),
    );
    const deadLetters: Record<string, cloudwatch.Alarm> = {};
    for (const [name, queue] of Object.entries(props.deadLetterQueues ?? {})) {
      deadLetters[name] = alarm(
        `${name}Messages`,
        `Messages in the csv2lake dead-letter queue ${name}: an event that could not be delivered after its ` +
          'retries (read the message for the error).',
        queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      );
    }
    this.deadLetters = deadLetters;
    this.alarms = [
      this.failedExecutions,
      this.timedOutExecutions,
      this.abortedExecutions,
      this.failedFiles,
      ...Object.values(deadLetters),
    ];
  }

  private createTopic(): sns.Topic {
    const stack = Stack.of(this);
    const key = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the csv2lake alarm topic.',
      enableKeyRotation: true,
    });
    // CloudWatch publishes the alarm notifications: it needs the key to encrypt them.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    const topic = new sns.Topic(this, 'Topic', {
      displayName: 'csv2lake alarms',
      masterKey: key,
      enforceSSL: true,
    });
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`,
          },
          StringEquals: { 'aws:SourceAccount': stack.account },
        },
      }),
    );
    return topic;
  }
}
