import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** Props of {@link FailedExecutionReport}. */
export interface FailedExecutionReportProps {
  /** The state machine whose executions are watched. */
  readonly stateMachine: sfn.IStateMachine;
  /** The reducer, invoked with the status-change event. */
  readonly reducer: lambda.IFunction;
  /** Retries of an invocation that failed (throttled, the reducer failing). @default 3 */
  readonly retryAttempts?: number;
  /** How long an event is retried before it goes to the dead-letter queue. @default 2 hours */
  readonly maxEventAge?: Duration;
}

/** Defaults of {@link FailedExecutionReportProps}. */
export const FAILED_EXECUTION_REPORT_DEFAULTS = { retryAttempts: 3, maxEventAge: Duration.hours(2) };

/** The execution statuses reported: every way a run ends without succeeding. */
export const REPORTED_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

/**
 * A FAILED, TIMED_OUT or ABORTED execution still gets its report: an EventBridge rule on the execution's
 * status change invokes the reducer. Events whose invocation still failed after the retries go to an
 * encrypted, SSL-only dead-letter queue (alarmed by `PipelineAlarms`): such a run has no report.
 */
export class FailedExecutionReport extends Construct {
  readonly rule: events.Rule;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: FailedExecutionReportProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.rule = new events.Rule(this, 'Rule', {
      description:
        'Invoke the csv2lake reducer when an execution does not succeed, so that the run has a report.',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: [...REPORTED_STATUSES], stateMachineArn: [props.stateMachine.stateMachineArn] },
      },
      targets: [
        new eventsTargets.LambdaFunction(props.reducer, {
          retryAttempts: props.retryAttempts ?? FAILED_EXECUTION_REPORT_DEFAULTS.retryAttempts,
          maxEventAge: props.maxEventAge ?? FAILED_EXECUTION_REPORT_DEFAULTS.maxEventAge,
          deadLetterQueue: this.deadLetterQueue,
        }),
      ],
    });
  }
}
