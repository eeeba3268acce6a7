import { Duration, Stack, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { CsvDialectOptions, OutputFormat } from '../lambdas/core/model/options';
import {
  checkOutputOutsideInput,
  parseKeyPattern,
  REJECTS_PREFIX,
  SCHEMAS_PREFIX,
} from '../lambdas/lake/layout';
import { csvOptions, ENV, REDUCER_ENV } from '../lambdas/shared/config';
import { SERVICE_NAMES } from '../lambdas/shared/metrics-names';
import { FailedExecutionReport } from './constructs/failed-execution-report';
import { LakeCatalog } from './constructs/lake-catalog';
import { acknowledge, acknowledgeScopedWildcards } from './constructs/nag-acknowledgements';
import {
  grantConverter,
  grantPlanner,
  grantReducer,
  grantStateMachine,
  type PipelineLocations,
  RUNS_PREFIX,
} from './constructs/pipeline-permissions';
import { NightlySchedule, NIGHTLY_SCHEDULE_DEFAULTS } from './constructs/nightly-schedule';
import { PipelineAlarms } from './constructs/pipeline-alarms';
import { PipelineDashboard } from './constructs/pipeline-dashboard';
import { PIPELINE_FUNCTION_DEFAULTS, PipelineFunction } from './constructs/pipeline-function';
import { runOutputPrefixes, WORKFLOW_DEFAULTS } from './workflow/defaults';
import { buildDefinition, type ItemBatching, SUBSTITUTIONS } from './workflow/definition';

/** The construct id (and Powertools service name) of the planner function. */
export const PLANNER_ID = 'Planner';

/** The nightly schedule. */
export interface PipelineSchedule {
  /** Cron fields, as EventBridge Scheduler takes them. @default 02:00 every day */
  readonly cron?: scheduler.CronOptionsWithTimezone;
  /** Set false to deploy without a schedule. @default true */
  readonly enabled?: boolean;
}

/** Props of {@link CsvConversionPipeline}. */
export interface CsvConversionPipelineProps {
  /** Where the CSV files land. */
  readonly inputBucket: s3.IBucket;
  /**
   * The KMS key of the input bucket's objects, for a bucket encrypted with a customer-managed key: the
   * converters get kms:Decrypt on it, the state machine too (without it every GET is AccessDenied). An
   * imported bucket (`Bucket.fromBucketName`) does not know its key: pass it here (`Key.fromKeyArn`).
   * @default the bucket's `encryptionKey` (none for imported buckets and SSE-S3)
   */
  readonly inputBucketKey?: kms.IKey;
  /** Only keys under this prefix are listed; executions may narrow it, never widen it. @default '' (the whole bucket) */
  readonly inputPrefix?: string;
  /**
   * How keys below {@link inputPrefix} map to datasets (one table each) and Hive partitions: a key pattern
   * of `/`-separated segments, such as `{dataset}/{dt}/{file}`, where `{dataset}` names the table, `{file}`
   * ends the pattern, `**` keeps any folders as they are, and any other `{name}` is a partition column
   * (see lambdas/lake/layout.ts). A file directly under the prefix is its own dataset, named after its stem.
   * Checked at synth. Output keys depend only on the key and this prefix, never on an execution's narrower one.
   * @default '{dataset}/**\/{file}' (DEFAULT_DATASET_PATTERN): the first folder is the dataset
   */
  readonly datasetPattern?: string;
  /** Where outputs, rejects and run reports go. */
  readonly outputBucket: s3.IBucket;
  /**
   * The KMS key of the output bucket, for a bucket encrypted with a customer-managed key: the functions and
   * the state machine get encrypt and decrypt on it. @default the bucket's `encryptionKey` (none for imported
   * buckets and SSE-S3)
   */
  readonly outputBucketKey?: kms.IKey;
  /**
   * Output prefix per format: each dataset's table location is `<prefix><dataset>/`. With both buckets the
   * same, neither these, `_rejects/`, `_schemas/` nor `_runs/` may overlap the input prefix (refused at synth).
   * @default { parquet: 'parquet/', avro: 'avro/' }
   */
  readonly outputPrefixes?: Partial<Record<OutputFormat, string>>;
  /** Formats written. @default ['parquet', 'avro'] */
  readonly formats?: readonly OutputFormat[];
  /**
   * Files converted at once (child executions of the Distributed Map); each runs one invocation of every
   * converter, so each converter runs up to this many at once, 2 × this in all. At most
   * {@link converterReservedConcurrency} when that is set. @default 50
   */
  readonly maxConcurrency?: number;
  /** Key suffixes converted, each also with `.gz`, in any case mix; folder markers and other keys are ignored. @default ['.csv', '.tsv', '.txt'] */
  readonly suffixes?: readonly string[];
  /**
   * Files that may still fail after their retry without failing the execution. Every file is attempted
   * whatever this is; above it the execution ends FAILED and can be redriven; at or below it the execution
   * SUCCEEDS, the failures stay in the report and the FilesFailed alarm, and nothing can redrive them.
   * With {@link itemBatching} it counts batches. @default 0
   */
  readonly toleratedFailedFiles?: number;
  /**
   * Several files per child execution (see {@link ItemBatching} for what it saves and costs). Off by default:
   * a failure, the Map Run console and a redrive then concern exactly one file, and files of typical sizes
   * cost far more in Lambda time than in state transitions. The converters skip the non-CSV keys of a batch.
   * @default none: one file per child execution
   */
  readonly itemBatching?: ItemBatching;
  /** The nightly schedule. @default enabled, 02:00 UTC */
  readonly schedule?: PipelineSchedule;
  /** Converter memory (1,769 MB is one full vCPU). @default 1769 */
  readonly converterMemoryMb?: number;
  /** Converter timeout. @default 15 minutes */
  readonly converterTimeout?: Duration;
  /**
   * Concurrency reserved for each converter. None by default: a reservation is taken from the account's
   * unreserved pool for good and Lambda keeps at least 100 unreserved, so an account with the low quota new
   * accounts get cannot deploy any; the state machine's {@link maxConcurrency} bounds the converters instead.
   * Set it where other functions of the account could starve the converters (or be starved by them): it must
   * then be at least {@link maxConcurrency}, or conversions would be throttled.
   * @default none: the account's unreserved concurrency
   */
  readonly converterReservedConcurrency?: number;
  /** Lambda architecture. x86_64 by default: the native snappy addon bundled is the x86_64 build. @default X86_64 */
  readonly architecture?: lambda.Architecture;
  /**
   * Node.js runtime of the functions (see `PipelineFunctionProps.runtime`: nodejs22.x is deprecated on
   * 30 April 2027). @default NODEJS_24_X
   */
  readonly runtime?: lambda.Runtime;
  /** `s3://bucket/key` of a schema file applied to every file. @default none: types are inferred */
  readonly schemaLocation?: string;
  /**
   * How to read the CSV text of every file: delimiter, header, encoding, quote, escape, comment, skipRows
   * (as `csv2lake convert`'s options). @default {}: each sniffed or defaulted per file as by `convert`
   */
  readonly csv?: CsvDialectOptions;
  /** Values read as null besides the empty field. @default [] */
  readonly nullTokens?: readonly string[];
  /** Rejected rows tolerated per file. @default 1000 */
  readonly maxRejects?: number;
  /** Retention of the functions' and the state machine's logs. @default one month */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The longest an execution may run (the definition's `TimeoutSeconds`): a run still going then ends
   * TIMED_OUT (alarmed, reported by the execution-status rule, redrivable), so a slow run never overlaps the
   * next night's. @default 23 hours
   */
  readonly executionTimeout?: Duration;
  /**
   * The topic every alarm notifies (alarm and OK). @default a new topic, encrypted with a new customer-managed
   * KMS key, SSL-only
   */
  readonly alarmTopic?: sns.ITopic;
  /** An e-mail address subscribed to the alarm topic (AWS asks it to confirm). @default none */
  readonly alarmEmail?: string;
  /**
   * Set false to deploy without the Glue catalog: no database, no Glue permissions, and the reducer
   * registers no table. @default true
   */
  readonly catalog?: boolean;
  /**
   * The Glue database holding one table per dataset and format (`orders`, `orders_avro`), created by the
   * construct and kept by the reducer: 1 to 255 lower case letters, digits or `_` (what Athena takes).
   * Not with `catalog: false`.
   * @default the stack name, lower case, each character other than `[a-z0-9_]` as `_` (`Csv2Lake` → `csv2lake`)
   */
  readonly glueDatabaseName?: string;
}

/** Defaults of {@link CsvConversionPipelineProps}, in one place. */
export const PIPELINE_DEFAULTS = {
  ...WORKFLOW_DEFAULTS,
  converterMemoryMb: PIPELINE_FUNCTION_DEFAULTS.memoryMb,
  converterTimeout: PIPELINE_FUNCTION_DEFAULTS.timeout,
  logRetention: PIPELINE_FUNCTION_DEFAULTS.logRetention,
  cron: NIGHTLY_SCHEDULE_DEFAULTS.cron,
  // A night's run must end before the next one starts at the same hour: 23 h leaves an hour's margin.
  executionTimeout: Duration.hours(23),
};

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
    const stack = Stack.of(this);
    const inputPrefix = props.inputPrefix ?? PIPELINE_DEFAULTS.inputPrefix;
    const formats = props.formats ?? PIPELINE_DEFAULTS.formats;
    const outputPrefixes = { ...PIPELINE_DEFAULTS.outputPrefixes, ...props.outputPrefixes };
    const memory = props.converterMemoryMb ?? PIPELINE_DEFAULTS.converterMemoryMb;
    const timeout = props.converterTimeout ?? PIPELINE_DEFAULTS.converterTimeout;
    const maxConcurrency = props.maxConcurrency ?? PIPELINE_DEFAULTS.maxConcurrency;
    const reserved = props.converterReservedConcurrency;
    if (reserved !== undefined && maxConcurrency > reserved)
      throw new Error(
        `maxConcurrency ${maxConcurrency} is above converterReservedConcurrency ${reserved}: each converter ` +
          `runs up to maxConcurrency invocations at once and the rest would be throttled; lower maxConcurrency ` +
          `or raise the reservation`,
      );
    const executionTimeout = props.executionTimeout ?? PIPELINE_DEFAULTS.executionTimeout;
    const { inputBucket, outputBucket } = props;
    const datasetPattern = props.datasetPattern ?? PIPELINE_DEFAULTS.datasetPattern;
    try {
      parseKeyPattern(datasetPattern);
    } catch (error) {
      throw new Error(`datasetPattern ${JSON.stringify(datasetPattern)}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    refuseOverlap(inputBucket, inputPrefix, outputBucket, [
      ...formats.map((format) => outputPrefixes[format]),
      REJECTS_PREFIX,
      SCHEMAS_PREFIX,
      RUNS_PREFIX,
    ]);
    if (props.catalog === false && props.glueDatabaseName !== undefined)
      throw new Error(
        `glueDatabaseName ${JSON.stringify(props.glueDatabaseName)} with catalog: false: there is no ` +
          `database to name; drop one of the two`,
      );
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

    // The converters' options: their skip-unchanged compares the hash of them that each output records, and
    // so do the planner (to leave unchanged keys out) and the reducer (to record what outputs were written with).
    const converterEnvironment: Record<string, string> = {
      [ENV.NULL_TOKENS]: JSON.stringify(props.nullTokens ?? []),
      ...(props.csv && Object.keys(props.csv).length > 0
        ? { [ENV.CSV_OPTIONS]: JSON.stringify(csvOptions(props.csv, 'the csv prop')) }
        : {}),
      [ENV.MAX_REJECTS]: String(props.maxRejects ?? PIPELINE_DEFAULTS.maxRejects),
      ...(props.schemaLocation ? { [ENV.SCHEMA_LOCATION]: props.schemaLocation } : {}),
    };

    // Converters: read the input prefix, write their own output prefix and their own run records, read and
    // merge the datasets' schemas; one of them (Parquet's when Parquet is written) writes the rejects.
    const rejectsWriter: OutputFormat = formats.includes('parquet') ? 'parquet' : 'avro';
    for (const format of formats) {
      const converter = new PipelineFunction(this, SERVICE_NAMES[format], {
        ...functionProps,
        entry: format === 'parquet' ? 'convert-parquet.ts' : 'convert-avro.ts',
        environment: converterEnvironment,
        memoryMb: memory,
        timeout,
        ...(reserved !== undefined ? { reservedConcurrency: reserved } : {}),
      });
      grantConverter(converter, locations, {
        format,
        outputPrefix: outputPrefixes[format],
        writesRejects: format === rejectsWriter,
        schemaLocation: props.schemaLocation,
      });
      this.converters[format] = converter;
    }

    // The planner: lists the input prefix and compares each key with the inventory, a streaming merge-join
    // (a page, a line, a few write buffers): 1,024 MB for the CPU of parsing a million lines, 15 minutes for
    // a million keys' listing (~1,000 LIST pages).
    const planner = new PipelineFunction(this, PLANNER_ID, {
      ...functionProps,
      entry: 'plan.ts',
      environment: converterEnvironment,
      memoryMb: 1024,
      timeout: Duration.minutes(15),
    });
    grantPlanner(planner, locations, props.schemaLocation);
    this.planner = planner;

    const reducer = new PipelineFunction(this, SERVICE_NAMES.reducer, {
      ...functionProps,
      entry: 'reduce.ts',
      environment: {
        [REDUCER_ENV.CONVERTER_MEMORY_MB]: String(memory),
        [REDUCER_ENV.DEFAULT_RUN]: stack.toJsonString({
          inputBucket: inputBucket.bucketName,
          inputPrefix,
          outputBucket: outputBucket.bucketName,
          outputPrefixes: runOutputPrefixes(formats, outputPrefixes),
          layout: {
            root: inputPrefix,
            pattern: datasetPattern,
            ...(props.suffixes ? { suffixes: props.suffixes } : {}),
          },
        }),
        ...(this.catalog ? { [REDUCER_ENV.GLUE_DATABASE]: this.catalog.databaseName } : {}),
        ...converterEnvironment,
      },
      memoryMb: 1024,
      timeout: Duration.minutes(15),
    });
    grantReducer(reducer, locations, this.catalog, props.schemaLocation);
    this.reducer = reducer;

    // The state machine: its name is fixed so that its own ARN can be granted without a cycle.
    const stateMachineName = `${stack.stackName}-${id}`.replace(/[^A-Za-z0-9-_]/g, '-').slice(0, 80);
    const definition = buildDefinition({
      formats,
      inputPrefix,
      outputPrefixes,
      maxConcurrency,
      ...(props.suffixes ? { suffixes: props.suffixes } : {}),
      taskTimeoutSeconds: timeout.toSeconds() + 30,
      toleratedFailedFiles: props.toleratedFailedFiles ?? PIPELINE_DEFAULTS.toleratedFailedFiles,
      ...(props.itemBatching ? { itemBatching: props.itemBatching } : {}),
      datasetPattern,
      // In the definition: CDK's `timeout` prop is not applied to a definition given as a string.
      executionTimeoutSeconds: executionTimeout.toSeconds(),
    });
    const stateMachineLogs = new logs.LogGroup(this, 'StateMachineLogs', {
      // Under /aws/vendedlogs/: CreateStateMachine adds a CloudWatch Logs resource policy statement for any
      // other name, and fails once the account's policy is full (5,120 characters).
      logGroupName: `/aws/vendedlogs/states/${stateMachineName}`,
      retention: props.logRetention ?? PIPELINE_DEFAULTS.logRetention,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(definition)),
      definitionSubstitutions: {
        [SUBSTITUTIONS.parquetFunction]: this.converters.parquet?.functionArn ?? 'unused',
        [SUBSTITUTIONS.avroFunction]: this.converters.avro?.functionArn ?? 'unused',
        [SUBSTITUTIONS.reduceFunction]: reducer.functionArn,
        [SUBSTITUTIONS.planFunction]: planner.functionArn,
        [SUBSTITUTIONS.inputBucket]: inputBucket.bucketName,
        [SUBSTITUTIONS.outputBucket]: outputBucket.bucketName,
      },
      tracingEnabled: true,
      logs: { destination: stateMachineLogs, level: sfn.LogLevel.ERROR, includeExecutionData: false },
    });
    const sm = this.stateMachine;
    grantStateMachine(sm, stateMachineName, [...Object.values(this.converters), planner, reducer], locations);

    // A failed, timed-out or aborted execution still gets its report.
    const report = new FailedExecutionReport(this, 'ReportFailedExecutions', { stateMachine: sm, reducer });
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

    acknowledge(this, [
      [
        'AwsSolutions-SQS3',
        'These queues are themselves dead-letter queues (of the schedule and of the execution-status rule).',
      ],
      [
        'AwsSolutions-L1',
        'The runtime is a prop: nodejs24.x by default, nodejs22.x where pinned (see PipelineFunctionProps.runtime).',
      ],
      [
        'AwsSolutions-SF1',
        'ERROR-level logging keeps log cost proportional to failures on runs of thousands of child executions; ' +
          'the execution and Map Run histories and the run report carry the rest.',
      ],
      [
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'AWSLambdaBasicExecutionRole only lets a function write its own logs.',
      ],
      [
        'AwsSolutions-IAM5[Resource::*]',
        'X-Ray tracing (PutTraceSegments, PutTelemetryRecords) has no resource-level permissions.',
      ],
    ]);
    acknowledgeScopedWildcards(this);
  }
}

/**
 * Refuses, when both buckets are one, an input prefix that overlaps a prefix the pipeline writes: a run
 * would convert its own outputs, rejects or run files, or list its inputs under a table location.
 * Buckets are one when they are the same object or have the same concrete name (imported by name).
 * @throws InvalidOptionsError from checkOutputOutsideInput, saying which is inside which
 */
function refuseOverlap(
  input: s3.IBucket,
  inputPrefix: string,
  output: s3.IBucket,
  written: readonly string[],
): void {
  const concrete = !Token.isUnresolved(input.bucketName);
  if (input !== output && !(concrete && input.bucketName === output.bucketName)) return;
  // A created bucket has no name before deployment: its construct path stands for it in the message.
  const bucket = concrete ? input.bucketName : `<${input.node.path}>`;
  for (const prefix of written) checkOutputOutsideInput({ bucket, prefix: inputPrefix }, { bucket, prefix });
}
