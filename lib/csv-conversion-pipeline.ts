import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CsvDialectOptions, OutputFormat } from '../lambdas/core/convert';
import { csvOptions, ENV } from '../lambdas/shared/config';
import { REDUCER_ENV } from '../lambdas/handlers/reduce';
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
  /** Only keys under this prefix are listed; executions may narrow it, never widen it. @default '' (the whole bucket) */
  readonly inputPrefix?: string;
  /** Where outputs, rejects and run reports go. */
  readonly outputBucket: s3.IBucket;
  /** Output prefix per format. @default { parquet: 'parquet/', avro: 'avro/' } */
  readonly outputPrefixes?: Partial<Record<OutputFormat, string>>;
  /** Formats written. @default ['parquet', 'avro'] */
  readonly formats?: readonly OutputFormat[];
  /** Files converted at once (child executions of the Distributed Map). @default 50 */
  readonly maxConcurrency?: number;
  /** Key suffixes converted, each also with `.gz`; folder markers and other keys are ignored. @default ['.csv', '.tsv', '.txt'] */
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
   * cost far more in Lambda time than in state transitions. Needs converters that skip non-CSV keys of a
   * batch. @default none: one file per child execution
   */
  readonly itemBatching?: ItemBatching;
  /** The nightly schedule. @default enabled, 02:00 UTC */
  readonly schedule?: PipelineSchedule;
  /** Converter memory (1,769 MB is one full vCPU). @default 1769 */
  readonly converterMemoryMb?: number;
  /** Converter timeout. @default 15 minutes */
  readonly converterTimeout?: Duration;
  /** Lambda architecture. x86_64 by default: the native snappy addon bundled is the x86_64 build. @default X86_64 */
  readonly architecture?: lambda.Architecture;
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
}

/** Defaults of {@link CsvConversionPipelineProps}, in one place. */
export const PIPELINE_DEFAULTS = {
  ...WORKFLOW_DEFAULTS,
  converterMemoryMb: 1769,
  converterTimeout: Duration.minutes(15),
  logRetention: logs.RetentionDays.ONE_MONTH,
  cron: { minute: '0', hour: '2' } as scheduler.CronOptionsWithTimezone,
};

const HANDLERS = join(__dirname, '../lambdas/handlers');
const ROOT = join(__dirname, '..');

/**
 * csv2lake on AWS: a STANDARD state machine whose Distributed Map lists the input prefix and converts every
 * CSV to Parquet and Avro with one Lambda per format, a reducer that writes the run report, a retry map
 * that makes failures redrivable, a nightly EventBridge Scheduler schedule, a rule that reports failed
 * executions, alarms and a dashboard. Permissions are scoped to the given buckets and prefixes.
 */
export class CsvConversionPipeline extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly converters: Partial<Record<OutputFormat, lambda.IFunction>> = {};
  readonly reducer: lambda.IFunction;
  readonly failedExecutionsAlarm: cloudwatch.Alarm;
  readonly failedFilesAlarm: cloudwatch.Alarm;
  readonly dashboard: cloudwatch.Dashboard;
  readonly schedule: scheduler.Schedule | undefined;
  readonly deadLetterQueue: sqs.Queue | undefined;

  constructor(scope: Construct, id: string, props: CsvConversionPipelineProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const inputPrefix = props.inputPrefix ?? PIPELINE_DEFAULTS.inputPrefix;
    const formats = props.formats ?? PIPELINE_DEFAULTS.formats;
    const outputPrefixes = { ...PIPELINE_DEFAULTS.outputPrefixes, ...props.outputPrefixes };
    const memory = props.converterMemoryMb ?? PIPELINE_DEFAULTS.converterMemoryMb;
    const timeout = props.converterTimeout ?? PIPELINE_DEFAULTS.converterTimeout;
    const architecture = props.architecture ?? lambda.Architecture.X86_64;
    const snappyBinary =
      architecture === lambda.Architecture.ARM_64 ? 'snappy-linux-arm64-gnu' : 'snappy-linux-x64-gnu';
    if (!existsSync(join(ROOT, 'node_modules/@napi-rs', snappyBinary))) {
      throw new Error(
        `architecture ${architecture.name} needs the native addon @napi-rs/${snappyBinary} in node_modules ` +
          '(npm installs only the build for the machine it runs on): install it, or deploy x86_64',
      );
    }
    const logRetention = props.logRetention ?? PIPELINE_DEFAULTS.logRetention;
    const namespace = 'csv2lake';
    const { inputBucket, outputBucket } = props;

    const fn = (
      name: string,
      entry: string,
      environment: Record<string, string>,
      memorySize: number,
      fnTimeout: Duration,
    ) => {
      const logGroup = new logs.LogGroup(this, `${name}Logs`, { retention: logRetention });
      return new NodejsFunction(this, name, {
        entry: join(HANDLERS, entry),
        handler: 'handler',
        // Explicit, so that synthesis works from any working directory (the local runner is run from anywhere).
        projectRoot: ROOT,
        depsLockFilePath: join(ROOT, 'package-lock.json'),
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture,
        memorySize,
        timeout: fnTimeout,
        logGroup,
        tracing: lambda.Tracing.ACTIVE,
        environment: {
          POWERTOOLS_SERVICE_NAME: name,
          POWERTOOLS_METRICS_NAMESPACE: namespace,
          ...environment,
        },
        bundling: {
          target: 'node22',
          minify: false,
          sourceMap: true,
          externalModules: ['@aws-sdk/*', 'snappy'],
          // The native snappy addon cannot be bundled: copy it and the binary of the architecture beside the bundle.
          commandHooks: {
            beforeBundling: () => [],
            beforeInstall: () => [],
            afterBundling: (_input: string, output: string) => [
              `mkdir -p ${output}/node_modules/@napi-rs`,
              `cp -R ${ROOT}/node_modules/snappy ${output}/node_modules/snappy`,
              `cp -R ${ROOT}/node_modules/@napi-rs/${snappyBinary} ${output}/node_modules/@napi-rs/`,
            ],
          },
        },
      });
    };

    // Converters: read the input prefix, write their own output prefix and the run records.
    for (const format of formats) {
      const converter = fn(
        format === 'parquet' ? 'ParquetConverter' : 'AvroConverter',
        format === 'parquet' ? 'convert-parquet.ts' : 'convert-avro.ts',
        {
          [ENV.NULL_TOKENS]: JSON.stringify(props.nullTokens ?? []),
          ...(props.csv && Object.keys(props.csv).length > 0
            ? { [ENV.CSV_OPTIONS]: JSON.stringify(csvOptions(props.csv, 'the csv prop')) }
            : {}),
          [ENV.MAX_REJECTS]: String(props.maxRejects ?? PIPELINE_DEFAULTS.maxRejects),
          ...(props.schemaLocation ? { [ENV.SCHEMA_LOCATION]: props.schemaLocation } : {}),
        },
        memory,
        timeout,
      );
      allow(converter, ['s3:GetObject'], [inputBucket.arnForObjects(`${inputPrefix}*`)]);
      allow(
        converter,
        ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'],
        [outputBucket.arnForObjects(`${outputPrefixes[format]}*`)],
      );
      allow(converter, ['s3:PutObject'], [outputBucket.arnForObjects('_runs/*')]);
      converter.addToRolePolicy(
        new iam.PolicyStatement({
          // Without ListBucket, HEAD of a missing output answers 403 instead of 404.
          actions: ['s3:ListBucket'],
          resources: [outputBucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${outputPrefixes[format]}*`] } },
        }),
      );
      inputBucket.encryptionKey?.grantDecrypt(converter);
      outputBucket.encryptionKey?.grantEncryptDecrypt(converter);
      if (props.schemaLocation) {
        const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(props.schemaLocation);
        if (!match) throw new Error(`schemaLocation must be s3://bucket/key, not ${props.schemaLocation}`);
        converter.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['s3:GetObject'],
            resources: [`arn:${stack.partition}:s3:::${match[1]}/${match[2]}`],
          }),
        );
      }
      this.converters[format] = converter;
    }

    const reducer = fn(
      'Reducer',
      'reduce.ts',
      {
        [REDUCER_ENV.CONVERTER_MEMORY_MB]: String(memory),
        [REDUCER_ENV.DEFAULT_RUN]: stack.toJsonString({
          inputBucket: inputBucket.bucketName,
          inputPrefix,
          outputBucket: outputBucket.bucketName,
          outputPrefixes: runOutputPrefixes(formats, outputPrefixes),
        }),
      },
      1024,
      Duration.minutes(15),
    );
    allow(reducer, ['s3:GetObject', 's3:PutObject'], [outputBucket.arnForObjects('_runs/*')]);
    reducer.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [outputBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['_runs/*'] } },
      }),
    );
    outputBucket.encryptionKey?.grantEncryptDecrypt(reducer);
    this.reducer = reducer;

    // The state machine: its name is fixed so that its own ARN can be granted without a cycle.
    const stateMachineName = `${stack.stackName}-${id}`.replace(/[^A-Za-z0-9-_]/g, '-').slice(0, 80);
    const definition = buildDefinition({
      formats,
      inputPrefix,
      outputPrefixes,
      maxConcurrency: props.maxConcurrency ?? PIPELINE_DEFAULTS.maxConcurrency,
      ...(props.suffixes ? { suffixes: props.suffixes } : {}),
      taskTimeoutSeconds: timeout.toSeconds() + 30,
      toleratedFailedFiles: props.toleratedFailedFiles ?? PIPELINE_DEFAULTS.toleratedFailedFiles,
      ...(props.itemBatching ? { itemBatching: props.itemBatching } : {}),
    });
    const stateMachineLogs = new logs.LogGroup(this, 'StateMachineLogs', { retention: logRetention });
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
        actions: ['states:DescribeMapRun', 'states:UpdateMapRun', 'states:ListMapRuns'],
        resources: [mapRunArns, executionArns],
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
    inputBucket.encryptionKey?.grantDecrypt(sm);
    outputBucket.encryptionKey?.grantEncryptDecrypt(sm);

    // A failed, timed-out or aborted execution still gets its report.
    new events.Rule(this, 'ReportFailedExecutions', {
      description:
        'Invoke the csv2lake reducer when an execution does not succeed, so that the run has a report.',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [sm.stateMachineArn] },
      },
      targets: [new eventsTargets.LambdaFunction(reducer, { retryAttempts: 3 })],
    });

    // Nightly schedule (EventBridge Scheduler: cron with a time zone, retries, dead-letter queue).
    const schedule = props.schedule ?? {};
    if (schedule.enabled ?? true) {
      this.deadLetterQueue = new sqs.Queue(this, 'ScheduleDeadLetters', {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      this.schedule = new scheduler.Schedule(this, 'Nightly', {
        description: 'Runs csv2lake over the configured prefix every night.',
        schedule: scheduler.ScheduleExpression.cron(schedule.cron ?? PIPELINE_DEFAULTS.cron),
        target: new schedulerTargets.StepFunctionsStartExecution(sm, {
          input: scheduler.ScheduleTargetInput.fromObject({}),
          retryAttempts: 3,
          maxEventAge: Duration.hours(2),
          deadLetterQueue: this.deadLetterQueue,
        }),
      });
    }

    // Alarms and dashboard.
    this.failedExecutionsAlarm = new cloudwatch.Alarm(this, 'FailedExecutions', {
      alarmDescription:
        'A csv2lake run ended FAILED/TIMED_OUT/ABORTED: read _runs/<execution>/report.md, fix, then Redrive.',
      metric: sm.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const filesFailed = new cloudwatch.Metric({
      namespace,
      metricName: 'FilesFailed',
      dimensionsMap: { service: 'Reducer' },
      period: Duration.minutes(5),
      statistic: 'Sum',
    });
    this.failedFilesAlarm = new cloudwatch.Alarm(this, 'FailedFiles', {
      alarmDescription: 'Files failed in a csv2lake run (after retries).',
      metric: filesFailed,
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const reducerMetric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace,
        metricName,
        dimensionsMap: { service: 'Reducer' },
        period: Duration.days(1),
        statistic: 'Sum',
      });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Runs',
            left: [
              sm.metricSucceeded({ period: Duration.days(1) }),
              sm.metricFailed({ period: Duration.days(1) }),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'Files',
            left: ['FilesConverted', 'FilesSkipped', 'FilesFailed'].map(reducerMetric),
          }),
          new cloudwatch.GraphWidget({
            title: 'Rows',
            left: ['RowsConverted', 'RejectedRows'].map(reducerMetric),
          }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Bytes in', left: [reducerMetric('BytesIn')] }),
          new cloudwatch.GraphWidget({
            title: 'Run duration',
            left: [sm.metricTime({ period: Duration.days(1), statistic: 'Maximum' })],
          }),
          new cloudwatch.AlarmStatusWidget({
            title: 'Failures',
            alarms: [this.failedExecutionsAlarm, this.failedFilesAlarm],
          }),
        ],
      ],
    });

    acknowledge(this, [
      ['AwsSolutions-SQS3', 'This queue is itself the dead-letter queue of the schedule.'],
      ['AwsSolutions-L1', 'Node.js 22 is the runtime the project targets and tests (FIELD-NOTES).'],
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
