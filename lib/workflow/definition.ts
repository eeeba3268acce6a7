/*
 * The csv2lake state machine, defined once as Amazon States Language (JSONPath). The CDK construct deploys
 * it with `${…}` substitutions for ARNs and names; tests validate it; the local runner executes it.
 */
import type { OutputFormat } from '../../lambdas/core/convert';
import { CSV_SUFFIXES } from '../../lambdas/io/object-key';
import { RETRYABLE_ERRORS } from '../../lambdas/shared/errors';

/** State names, for tests, alarms and the local runner. */
export const STATES = {
  applyDefaults: 'ApplyDefaults',
  overrideBucket: 'OverrideBucket',
  compareBucket: 'CompareBucket',
  checkPrefix: 'CheckPrefix',
  overridePrefix: 'OverridePrefix',
  validateInput: 'ValidateInput',
  invalidInput: 'InvalidInput',
  buildRun: 'BuildRun',
  convertFiles: 'ConvertFiles',
  isCsv: 'IsCsv',
  ignore: 'IgnoreNotCsv',
  convertFormats: 'ConvertFormats',
  convertParquet: 'ConvertParquet',
  convertAvro: 'ConvertAvro',
  reduce: 'Reduce',
  anyFailed: 'AnyFailed',
  retryFailed: 'RetryFailed',
  reduceAfterRetry: 'ReduceAfterRetry',
  done: 'Done',
} as const;

/** Placeholders substituted at deployment (DefinitionSubstitutions) or by the local runner. */
export const SUBSTITUTIONS = {
  parquetFunction: 'ParquetFunctionArn',
  avroFunction: 'AvroFunctionArn',
  reduceFunction: 'ReduceFunctionArn',
  inputBucket: 'InputBucket',
  outputBucket: 'OutputBucket',
} as const;

/** Prefix of the retry map's child state names (names must be unique in the whole machine). */
export const RETRY_PREFIX = 'Retry';

/** Where the Distributed Map result files go, in the output bucket. */
export const MAP_RESULTS_PREFIX = '_runs/_map';

/** What shapes the definition. */
export interface WorkflowSettings {
  readonly formats: readonly OutputFormat[];
  readonly inputPrefix: string;
  readonly outputPrefixes: Readonly<Record<OutputFormat, string>>;
  readonly maxConcurrency: number;
  /** Key suffixes converted (each also with `.gz`), matched case-sensitively as written and upper-cased. */
  readonly suffixes?: readonly string[];
  /** Seconds a converter may run before Step Functions times the task out. */
  readonly taskTimeoutSeconds: number;
}

const sub = (name: string) => '${' + name + '}';

/** Retry for transient failures: backoff with full jitter. Data errors are not listed, so never retried. */
const TRANSIENT_RETRY = {
  ErrorEquals: [...RETRYABLE_ERRORS],
  IntervalSeconds: 2,
  MaxAttempts: 5,
  BackoffRate: 2,
  MaxDelaySeconds: 60,
  JitterStrategy: 'FULL',
};

const LAMBDA_RETRY = {
  ErrorEquals: [
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
  ],
  IntervalSeconds: 2,
  MaxAttempts: 6,
  BackoffRate: 2,
  JitterStrategy: 'FULL',
};

function converterTask(format: OutputFormat, timeoutSeconds: number): Record<string, unknown> {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: {
      FunctionName: sub(format === 'parquet' ? SUBSTITUTIONS.parquetFunction : SUBSTITUTIONS.avroFunction),
      'Payload.$': '$',
    },
    OutputPath: '$.Payload',
    TimeoutSeconds: timeoutSeconds,
    Retry: [TRANSIENT_RETRY],
    End: true,
  };
}

/** The child workflow of each Distributed Map: skip non-CSV keys, then both converters in parallel. */
function itemProcessor(settings: WorkflowSettings, prefix = ''): Record<string, unknown> {
  // State names must be unique in the whole machine: the retry map's child states carry a prefix.
  const name = (state: string) => prefix + state;
  const suffixes = settings.suffixes ?? CSV_SUFFIXES;
  const patterns = suffixes.flatMap((s) => [s, s.toUpperCase()]).flatMap((s) => [`*${s}`, `*${s}.gz`]);
  return {
    ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
    StartAt: name(STATES.isCsv),
    States: {
      [name(STATES.isCsv)]: {
        Type: 'Choice',
        Choices: [
          {
            Or: patterns.map((p) => ({ Variable: '$.key', StringMatches: p })),
            Next: name(STATES.convertFormats),
          },
        ],
        Default: name(STATES.ignore),
      },
      [name(STATES.ignore)]: {
        Type: 'Pass',
        Comment: 'Folder markers and keys without a CSV suffix: accounted for in the report as ignored.',
        Parameters: { ignored: true, 'key.$': '$.key' },
        End: true,
      },
      [name(STATES.convertFormats)]: {
        Type: 'Parallel',
        Branches: settings.formats.map((format) => {
          const task = name(format === 'parquet' ? STATES.convertParquet : STATES.convertAvro);
          return { StartAt: task, States: { [task]: converterTask(format, settings.taskTimeoutSeconds) } };
        }),
        End: true,
      },
    },
  };
}

function reduceTask(mapResults: string, next: string): Record<string, unknown> {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: {
      FunctionName: sub(SUBSTITUTIONS.reduceFunction),
      Payload: { 'run.$': '$.run', 'mapResults.$': mapResults },
    },
    ResultSelector: { 'summary.$': '$.Payload' },
    ResultPath: '$.reduce',
    TimeoutSeconds: 930,
    Retry: [LAMBDA_RETRY],
    Next: next,
  };
}

const resultWriter = {
  Resource: 'arn:aws:states:::s3:putObject',
  Parameters: { Bucket: sub(SUBSTITUTIONS.outputBucket), Prefix: MAP_RESULTS_PREFIX },
};

/**
 * The state machine. How failures and redrive work (see README, "Operations"):
 * - `ConvertFiles` tolerates every failure, so one bad file never stops the others.
 * - `Reduce` writes the report and, when files failed, the list of them.
 * - `RetryFailed` runs those files again with no tolerance: if any fails again the Map state fails, so the
 *   execution ends FAILED (alarmed), and a console Redrive re-runs only that Map's unsuccessful children,
 *   never the files that succeeded; then `ReduceAfterRetry` writes the report over the whole run.
 * A failed file is attempted twice per execution; a data error fails fast both times.
 */
export function buildDefinition(settings: WorkflowSettings): Record<string, unknown> {
  const prefix = settings.inputPrefix;
  return {
    Comment: 'csv2lake: convert every CSV under a prefix to Parquet and Avro',
    StartAt: STATES.applyDefaults,
    States: {
      [STATES.applyDefaults]: {
        Type: 'Pass',
        Comment: 'Every field of the execution input is optional: {} runs on the configured defaults.',
        Parameters: {
          config: { inputBucket: sub(SUBSTITUTIONS.inputBucket), inputPrefix: prefix },
          'input.$': '$',
        },
        Next: STATES.overrideBucket,
      },
      [STATES.overrideBucket]: {
        Type: 'Choice',
        Choices: [{ Variable: '$.input.bucket', IsPresent: true, Next: STATES.compareBucket }],
        Default: STATES.checkPrefix,
      },
      [STATES.compareBucket]: {
        Type: 'Choice',
        Comment: 'The bucket may be given, but only the configured one is allowed.',
        Choices: [
          {
            Variable: '$.input.bucket',
            StringEquals: sub(SUBSTITUTIONS.inputBucket),
            Next: STATES.checkPrefix,
          },
        ],
        Default: STATES.invalidInput,
      },
      [STATES.checkPrefix]: {
        Type: 'Choice',
        Choices: [{ Variable: '$.input.prefix', IsPresent: true, Next: STATES.overridePrefix }],
        Default: STATES.validateInput,
      },
      [STATES.overridePrefix]: {
        Type: 'Pass',
        InputPath: '$.input.prefix',
        ResultPath: '$.config.inputPrefix',
        Next: STATES.validateInput,
      },
      [STATES.validateInput]: {
        Type: 'Choice',
        Comment:
          'Only the configured bucket, only at or below the configured prefix, never with ".." segments.',
        Choices: [
          {
            And: [
              { Variable: '$.config.inputPrefix', IsString: true },
              { Variable: '$.config.inputPrefix', StringMatches: `${prefix.replaceAll('*', '\\*')}*` },
              { Not: { Variable: '$.config.inputPrefix', StringMatches: '*..*' } },
            ],
            Next: STATES.buildRun,
          },
        ],
        Default: STATES.invalidInput,
      },
      [STATES.invalidInput]: {
        Type: 'Fail',
        Error: 'InvalidExecutionInput',
        Cause: `The execution input must be {} or {"bucket": "<the configured input bucket>", "prefix": "<a prefix starting with '${prefix}'>"}; nothing was converted.`,
      },
      [STATES.buildRun]: {
        Type: 'Pass',
        Parameters: {
          run: {
            'runId.$': '$$.Execution.Name',
            'inputBucket.$': '$.config.inputBucket',
            'inputPrefix.$': '$.config.inputPrefix',
            outputBucket: sub(SUBSTITUTIONS.outputBucket),
            outputPrefixes: settings.outputPrefixes,
          },
        },
        Next: STATES.convertFiles,
      },
      [STATES.convertFiles]: {
        Type: 'Map',
        ItemReader: {
          Resource: 'arn:aws:states:::s3:listObjectsV2',
          Parameters: { 'Bucket.$': '$.run.inputBucket', 'Prefix.$': '$.run.inputPrefix' },
        },
        ItemSelector: {
          'bucket.$': '$.run.inputBucket',
          'key.$': '$$.Map.Item.Value.Key',
          'etag.$': '$$.Map.Item.Value.Etag',
          'size.$': '$$.Map.Item.Value.Size',
          'run.$': '$.run',
        },
        ItemProcessor: itemProcessor(settings),
        MaxConcurrency: settings.maxConcurrency,
        ToleratedFailurePercentage: 100,
        ResultWriter: resultWriter,
        ResultPath: '$.convertMap',
        Next: STATES.reduce,
      },
      [STATES.reduce]: reduceTask('States.Array($.convertMap)', STATES.anyFailed),
      [STATES.anyFailed]: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.reduce.summary.items.failed', NumericGreaterThan: 0, Next: STATES.retryFailed },
        ],
        Default: STATES.done,
      },
      [STATES.retryFailed]: {
        Type: 'Map',
        Comment:
          'No tolerance: a file failing again fails this state, so a console Redrive re-runs only these children.',
        ItemReader: {
          Resource: 'arn:aws:states:::s3:getObject',
          ReaderConfig: { InputType: 'JSON' },
          Parameters: { Bucket: sub(SUBSTITUTIONS.outputBucket), 'Key.$': '$.reduce.summary.failedItemsKey' },
        },
        ItemProcessor: itemProcessor(settings, RETRY_PREFIX),
        MaxConcurrency: settings.maxConcurrency,
        ToleratedFailurePercentage: 0,
        ResultWriter: resultWriter,
        ResultPath: '$.retryMap',
        Next: STATES.reduceAfterRetry,
      },
      [STATES.reduceAfterRetry]: reduceTask('States.Array($.convertMap, $.retryMap)', STATES.done),
      [STATES.done]: { Type: 'Succeed' },
    },
  };
}

/** Replaces `${Name}` placeholders (as the deployment does with DefinitionSubstitutions). */
export function substitute(
  definition: unknown,
  values: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const text = JSON.stringify(definition).replace(/\$\{([A-Za-z0-9]+)\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for the definition placeholder ${whole}`);
    return JSON.stringify(value).slice(1, -1);
  });
  return JSON.parse(text) as Record<string, unknown>;
}
