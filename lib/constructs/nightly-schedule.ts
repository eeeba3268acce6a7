import { Duration } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** Props of {@link NightlySchedule}. */
export interface NightlyScheduleProps {
  /** The state machine started. */
  readonly stateMachine: sfn.IStateMachine;
  /** Cron fields, as EventBridge Scheduler takes them (with a time zone). @default 02:00 every day, UTC */
  readonly cron?: scheduler.CronOptionsWithTimezone;
  /** The execution input. @default {}: the configured defaults */
  readonly input?: Readonly<Record<string, unknown>>;
  /** Retries of a StartExecution that failed (throttled, the state machine being updated). @default 3 */
  readonly retryAttempts?: number;
  /** How long a start is retried before it goes to the dead-letter queue. @default 2 hours */
  readonly maxEventAge?: Duration;
}

/** Defaults of {@link NightlyScheduleProps}. */
export const NIGHTLY_SCHEDULE_DEFAULTS = {
  cron: { minute: '0', hour: '2' } as scheduler.CronOptionsWithTimezone,
  retryAttempts: 3,
  maxEventAge: Duration.hours(2),
};

/**
 * The nightly run: an EventBridge Scheduler schedule (cron in a time zone, retries) that starts the state
 * machine, and the encrypted, SSL-only dead-letter queue of the starts that still failed; the night's run
 * then never happened, which only an alarm on that queue tells (see `PipelineAlarms`).
 */
export class NightlySchedule extends Construct {
  readonly schedule: scheduler.Schedule;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: NightlyScheduleProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The most SQS keeps: time to notice the alarm and read what failed.
      retentionPeriod: Duration.days(14),
    });
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: 'Runs csv2lake over the configured prefix every night.',
      schedule: scheduler.ScheduleExpression.cron(props.cron ?? NIGHTLY_SCHEDULE_DEFAULTS.cron),
      target: new schedulerTargets.StepFunctionsStartExecution(props.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject(props.input ?? {}),
        retryAttempts: props.retryAttempts ?? NIGHTLY_SCHEDULE_DEFAULTS.retryAttempts,
        maxEventAge: props.maxEventAge ?? NIGHTLY_SCHEDULE_DEFAULTS.maxEventAge,
        deadLetterQueue: this.deadLetterQueue,
      }),
    });
  }
}
