import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { OutputFormat } from '../lambdas/core/model/options';
import { SERVICE_NAMES } from '../lambdas/shared/metrics-names';
import { ConverterFunction, type ConverterOptions } from './constructs/converter-function';
import { FailedExecutionReport } from './constructs/failed-execution-report';
import { LakeCatalog } from './constructs/lake-catalog';
import { acknowledgePipeline } from './constructs/nag-acknowledgements';
import { NightlySchedule } from './constructs/nightly-schedule';
import { PipelineAlarms } from './constructs/pipeline-alarms';
import { PipelineDashboard } from './constructs/pipeline-dashboard';
import type { PipelineLocations } from './constructs/pipeline-permissions';
import { PipelineStateMachine } from './constructs/pipeline-state-machine';
import { PlannerFunction } from './constructs/planner-function';
import { ReducerFunction } from './constructs/reducer-function';
import { type CsvConversionPipelineProps, PIPELINE_DEFAULTS, resolvePipelineProps } from './pipeline-props';
import { runOutputPrefixes } from './workflow/defaults';

export { type CsvConversionPipelineProps, PIPELINE_DEFAULTS, type PipelineSchedule } from './pipeline-props';

/** The construct id (and Powertools service name) of the planner function. */
export const PLANNER_ID = 'Planner';

/**
 * csv2lake on AWS: a STANDARD state machine whose planner lists the input prefix and leaves out the keys
 * converted before and unchanged since, whose Distributed Map converts the others to Parquet and Avro with
 * one Lambda per format, a reducer that writes the run report (the keys left out included) and the
 * inventory of what was converted, and keeps one Glue table per dataset and format, a retry map that
 * makes failures (and outputs of a widened schema) convert again, a nightly schedule, a rule that reports
 * executions that did not succeed, alarms that notify a topic, and a dashboard. Permissions are scoped to
 * the given buckets, prefixes and Glue database (lib/constructs/pipeline-permissions.ts).
 */
export class CsvConversionPipeline extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly converters: Partial<Record<OutputFormat, lambda.IFunction>> = {};
  /** Lists the input and plans which keys each run converts (lambdas/lake/plan.ts). */
  readonly planner: lambda.IFunction;
  readonly reducer: lambda.IFunction;
  readonly alarms: PipelineAlarms;
  readonly failedExecutionsAlarm: cloudwatch.Alarm;
  readonly failedFilesAlarm: cloudwatch.Alarm;
  readonly dashboard: cloudwatch.Dashboard;
  readonly schedule: scheduler.Schedule | undefined;
  /** The schedule's dead-letter queue (starts that failed), when there is a schedule. */
  readonly deadLetterQueue: sqs.Queue | undefined;
  /** The dead-letter queue of the execution-status rule's reducer invocations. */
  readonly reportDeadLetterQueue: sqs.Queue;
  /** The Glue database of the datasets' tables, unless `catalog` is false. */
  readonly catalog: LakeCatalog | undefined;

  constructor(scope: Construct, id: string, props: CsvConversionPipelineProps) {
    super(scope, id);
    const settings = resolvePipelineProps(props);
    const { inputPrefix, formats, outputPrefixes, datasetPattern } = settings;
    const { inputBucket, outputBucket } = props;
    this.catalog =
      props.catalog === false
        ? undefined
        : new LakeCatalog(this, 'Catalog', {
            ...(props.glueDatabaseName !== undefined ? { databaseName: props.glueDatabaseName } : {}),
          });
    const inputKey = props.inputBucketKey ?? inputBucket.encryptionKey;
    const outputKey = props.outputBucketKey ?? outputBucket.encryptionKey;
    const locations: PipelineLocations = { inputBucket, inputPrefix, inputKey, outputBucket, outputKey };
    const functionProps = {
      ...(props.architecture ? { architecture: props.architecture } : {}),
      ...(props.runtime ? { runtime: props.runtime } : {}),
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
    };
    // Every function is given the converters' options: see ConverterOptions.
    const options: ConverterOptions = {
      ...(props.csv ? { csv: props.csv } : {}),
      ...(props.nullTokens ? { nullTokens: props.nullTokens } : {}),
      ...(props.maxRejects !== undefined ? { maxRejects: props.maxRejects } : {}),
      ...(props.schemaLocation ? { schemaLocation: props.schemaLocation } : {}),
      ...(props.rangeBytes !== undefined ? { rangeBytes: props.rangeBytes } : {}),
    };

    // One of the converters (Parquet's when Parquet is written) writes the rejects.
    const rejectsWriter: OutputFormat = formats.includes('parquet') ? 'parquet' : 'avro';
    for (const format of formats) {
      this.converters[format] = new ConverterFunction(this, SERVICE_NAMES[format], {
        ...functionProps,
        ...options,
        format,
        locations,
        outputPrefix: outputPrefixes[format],
        writesRejects: format === rejectsWriter,
        memoryMb: settings.converterMemoryMb,
        timeout: settings.converterTimeout,
        ...(props.converterReservedConcurrency !== undefined
          ? { reservedConcurrency: props.converterReservedConcurrency }
          : {}),
      });
    }
    this.planner = new PlannerFunction(this, PLANNER_ID, { ...functionProps, ...options, locations });
    this.reducer = new ReducerFunction(this, SERVICE_NAMES.reducer, {
      ...functionProps,
      ...options,
      locations,
      outputPrefixes: runOutputPrefixes(formats, outputPrefixes),
      layout: {
        root: inputPrefix,
        pattern: datasetPattern,
        ...(props.suffixes ? { suffixes: props.suffixes } : {}),
      },
      converterMemoryMb: settings.converterMemoryMb,
      ...(this.catalog ? { catalog: this.catalog } : {}),
    });

    const sm = (this.stateMachine = new PipelineStateMachine(this, 'StateMachine', {
      workflow: {
        formats,
        inputPrefix,
        outputPrefixes,
        maxConcurrency: settings.maxConcurrency,
        ...(props.suffixes ? { suffixes: props.suffixes } : {}),
        taskTimeoutSeconds: settings.converterTimeout.toSeconds() + 30,
        toleratedFailedFiles: props.toleratedFailedFiles ?? PIPELINE_DEFAULTS.toleratedFailedFiles,
        ...(props.itemBatching ? { itemBatching: props.itemBatching } : {}),
        datasetPattern,
        // In the definition: CDK's `timeout` prop is not applied to a definition given as a string.
        executionTimeoutSeconds: settings.executionTimeout.toSeconds(),
      },
      functions: { converters: this.converters, planner: this.planner, reducer: this.reducer },
      locations,
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
    }));

    // A failed, timed-out or aborted execution still gets its report.
    const report = new FailedExecutionReport(this, 'ReportFailedExecutions', {
      stateMachine: sm,
      reducer: this.reducer,
    });
    this.reportDeadLetterQueue = report.deadLetterQueue;

    const schedule = props.schedule ?? {};
    if (schedule.enabled ?? true) {
      const nightly = new NightlySchedule(this, 'Nightly', {
        stateMachine: sm,
        ...(schedule.cron ? { cron: schedule.cron } : {}),
      });
      this.schedule = nightly.schedule;
      this.deadLetterQueue = nightly.deadLetterQueue;
    }

    this.alarms = new PipelineAlarms(this, 'Alarms', {
      stateMachine: sm,
      deadLetterQueues: {
        ...(this.deadLetterQueue ? { ScheduleDeadLetters: this.deadLetterQueue } : {}),
        ReportDeadLetters: this.reportDeadLetterQueue,
      },
      ...(props.alarmTopic ? { topic: props.alarmTopic } : {}),
      ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}),
    });
    this.failedExecutionsAlarm = this.alarms.failedExecutions;
    this.failedFilesAlarm = this.alarms.failedFiles;
    this.dashboard = new PipelineDashboard(this, 'Monitoring', {
      stateMachine: sm,
      alarms: this.alarms.alarms,
    }).dashboard;

    acknowledgePipeline(this);
  }
}
