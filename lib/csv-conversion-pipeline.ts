import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { CsvDialectOptions, OutputFormat } from '../lambdas/core/convert';
import { csvOptions, ENV, REDUCER_ENV } from '../lambdas/shared/config';
import { SERVICE_NAMES } from '../lambdas/shared/metrics-names';
import { FailedExecutionReport } from './constructs/failed-execution-report';
import { NightlySchedule, NIGHTLY_SCHEDULE_DEFAULTS } from './constructs/nightly-schedule';
import { PipelineAlarms } from './constructs/pipeline-alarms';
import { PipelineDashboard } from './constructs/pipeline-dashboard';
import { PIPELINE_FUNCTION_DEFAULTS, PipelineFunction } from './constructs/pipeline-function';
import { runOutputPrefixes, WORKFLOW_DEFAULTS } from './workflow/defaults';
import { buildDefinition, type ItemBatching, MAP_RESULTS_PREFIX, SUBSTITUTIONS } from './workflow/definition';

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
  /** Where outputs, rejects and run reports go. */
  readonly outputBucket: s3.IBucket;
  /**
   * The KMS key of the output bucket, for a bucket encrypted with a customer-managed key: the functions and
   * the state machine get encrypt and decrypt on it. @default the bucket's `encryptionKey` (none for imported
   * buckets and SSE-S3)
   */
  readonly outputBucketKey?: kms.IKey;
  /** Output prefix per format. @default { parquet: 'parquet/', avro: 'avro/' } */
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
 * csv2lake on AWS: a STANDARD state machine whose Distributed Map lists the input prefix and converts every
 * CSV to Parquet and Avro with one Lambda per format, a reducer that writes the run report, a retry map
 * that makes failures redrivable, a nightly schedule, a rule that reports executions that did not succeed,
 * alarms that notify a topic, and a dashboard. Permissions are scoped to the given buckets and prefixes.
 */
export class CsvConversionPipeline extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly converters: Partial<Record<OutputFormat, lambda.IFunction>> = {};
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
    const inputKey = props.inputBucketKey ?? inputBucket.encryptionKey;
    const outputKey = props.outputBucketKey ?? outputBucket.encryptionKey;
    const functionProps = {
      ...(props.architecture ? { architecture: props.architecture } : {}),
      ...(props.runtime ? { runtime: props.runtime } : {}),
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
    };

    // Converters: read the input prefix, write their own output prefix and their own run records.
    for (const format of formats) {
      const converter = new PipelineFunction(this, SERVICE_NAMES[format], {
        ...functionProps,
        entry: format === 'parquet' ? 'convert-parquet.ts' : 'convert-avro.ts',
        environment: {
          [ENV.NULL_TOKENS]: JSON.stringify(props.nullTokens ?? []),
          ...(props.csv && Object.keys(props.csv).length > 0
            ? { [ENV.CSV_OPTIONS]: JSON.stringify(csvOptions(props.csv, 'the csv prop')) }
            : {}),
          [ENV.MAX_REJECTS]: String(props.maxRejects ?? PIPELINE_DEFAULTS.maxRejects),
          ...(props.schemaLocation ? { [ENV.SCHEMA_LOCATION]: props.schemaLocation } : {}),
        },
        memoryMb: memory,
        timeout,
        ...(reserved !== undefined ? { reservedConcurrency: reserved } : {}),
      });
      allow(converter, ['s3:GetObject'], [inputBucket.arnForObjects(`${inputPrefix}*`)]);
      converter.addToRolePolicy(
        new iam.PolicyStatement({
          // Without ListBucket S3 answers a GET or HEAD of a missing key with 403, not 404: a file deleted
          // after the listing was reported AccessDenied instead of InputMissingError.
          actions: ['s3:ListBucket'],
          resources: [inputBucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${inputPrefix}*`] } },
        }),
      );
      allow(
        converter,
        ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'],
        [outputBucket.arnForObjects(`${outputPrefixes[format]}*`)],
      );
      // Its own records only (`_runs/<run>/items/<format>/…`): never a report, a map result or metrics.json.
      allow(converter, ['s3:PutObject'], [outputBucket.arnForObjects(`_runs/*/items/${format}/*`)]);
      converter.addToRolePolicy(
        new iam.PolicyStatement({
          // Without ListBucket, HEAD of a missing output answers 403 instead of 404.
          actions: ['s3:ListBucket'],
          resources: [outputBucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${outputPrefixes[format]}*`] } },
        }),
      );
      inputKey?.grantDecrypt(converter);
      outputKey?.grantEncryptDecrypt(converter);
      if (props.schemaLocation) {
        const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(props.schemaLocation);
        if (!match) throw new Error(`schemaLocation must be s3://bucket/key, not ${props.schemaLocation}`);
        converter.addToRolePolicy(
          new iam.PolicyStatement({
            // GET, and HEAD (which GetObject covers) for its ETag at every invocation.
            actions: ['s3:GetObject'],
            resources: [`arn:${stack.partition}:s3:::${match[1]}/${match[2]}`],
          }),
        );
      }
      this.converters[format] = converter;
    }

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
        }),
      },
      memoryMb: 1024,
      timeout: Duration.minutes(15),
    });
    allow(reducer, ['s3:GetObject', 's3:PutObject'], [outputBucket.arnForObjects('_runs/*')]);
    reducer.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [outputBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['_runs/*'] } },
      }),
    );
    outputKey?.grantEncryptDecrypt(reducer);
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
        [SUBSTITUTIONS.inputBucket]: inputBucket.bucketName,
        [SUBSTITUTIONS.outputBucket]: outputBucket.bucketName,
      },
      tracingEnabled: true,
      logs: { destination: stateMachineLogs, level: sfn.LogLevel.ERROR, includeExecutionData: false },
    });
    const sm = this.stateMachine;
    for (const f of [...Object.values(this.converters), reducer]) f.grantInvoke(sm);
    const executionArns = `arn:${stack.partition}:states:${stack.region}:${stack.account}:execution:${stateMachineName}/*`;
    const mapRunArns = `arn:${stack.partition}:states:${stack.region}:${stack.account}:mapRun:${stateMachineName}/*`;
    // What the Distributed Map needs (AWS's "IAM policies for using Distributed Map states"): start, describe
    // and stop its child executions, and redrive them when the parent is redriven ("Redriving Map Runs").
    // states:UpdateMapRun and states:ListMapRuns are calls of an operator, never of the Map itself: not granted.
    sm.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [
          `arn:${stack.partition}:states:${stack.region}:${stack.account}:stateMachine:${stateMachineName}`,
        ],
      }),
    );
    sm.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:DescribeExecution', 'states:StopExecution', 'states:RedriveExecution'],
        resources: [executionArns],
      }),
    );
    sm.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:DescribeMapRun'],
        resources: [mapRunArns],
      }),
    );
    sm.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [inputBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${inputPrefix}*`] } },
      }),
    );
    allow(sm, ['s3:GetObject'], [outputBucket.arnForObjects('_runs/*')]);
    allow(
      sm,
      ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      [outputBucket.arnForObjects(`${MAP_RESULTS_PREFIX}/*`)],
    );

    // Buckets encrypted with a customer key: the Map lists the input and reads/writes its run files.
    inputKey?.grantDecrypt(sm);
    outputKey?.grantEncryptDecrypt(sm);

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

/** Adds one least-privilege statement to a function's or state machine's role. */
function allow(
  grantee: iam.IGrantable & { addToRolePolicy?: unknown },
  actions: string[],
  resources: string[],
): void {
  iam.Grant.addToPrincipal({ grantee, actions, resourceArns: resources });
}

/** cdk-nag's rendering of a resource ARN: tokens as `<LogicalId.Attr>`, pseudo parameters as `<AWS::X>`. */
function findingResource(stack: Stack, arn: unknown): string {
  const part = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const v = value as Record<string, unknown>;
    if (v['Fn::Join']) {
      const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(part).join(sep);
    }
    if (v['Fn::GetAtt']) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
    if (v.Ref) return `<${v.Ref as string}>`;
    return JSON.stringify(v);
  };
  return part(stack.resolve(arn));
}

/**
 * Acknowledges the IAM5 finding of every wildcard resource in this construct's policies. Each one is a
 * prefix below a configured bucket prefix, a function version (`:*`), or the children and map runs of this
 * state machine: the narrowest ARNs IAM can express for what the workflow does.
 */
function acknowledgeScopedWildcards(scope: Construct): void {
  const stack = Stack.of(scope);
  const findings = new Set<string>();
  for (const child of scope.node.findAll()) {
    if (!(child instanceof iam.CfnPolicy)) continue;
    const document = stack.resolve(child.policyDocument) as { Statement: { Resource: unknown }[] };
    for (const statement of document.Statement) {
      const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      for (const resource of resources) {
        const rendered = findingResource(stack, resource);
        if (rendered.includes('*') && rendered !== '*') findings.add(rendered);
      }
    }
  }
  acknowledge(
    scope,
    [...findings].map((resource) => [
      `AwsSolutions-IAM5[Resource::${resource}]`,
      'Scoped wildcard: objects under a configured prefix, function versions, or this state machine’s own child executions and map runs.',
    ]),
  );
}

/** Acknowledges cdk-nag findings on a construct, each with its reason. */
export function acknowledge(scope: Construct, findings: readonly [id: string, reason: string][]): void {
  for (const [id, reason] of findings) Validations.of(scope).acknowledge({ id, reason });
}
