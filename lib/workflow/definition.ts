/*
 * The csv2lake state machine, defined once as Amazon States Language (JSONPath). The CDK construct deploys
 * it with `${…}` substitutions for ARNs and names; tests validate it; the local runner executes it.
 */
import type { OutputFormat } from '../../lambdas/core/model/options';
import { COMPRESSION_SUFFIXES, CSV_SUFFIXES } from '../../lambdas/io/object-key';
import { FUNCTION_KILLED_ERRORS, RETRYABLE_ERRORS, TASK_TIMEOUT_ERRORS } from '../../lambdas/shared/errors';
import { DEFAULT_DATASET_PATTERN } from '../../lambdas/lake/layout';
import { runOutputPrefixes } from './defaults';

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
  plan: 'Plan',
  anyPlanned: 'AnyPlanned',
  nothingPlanned: 'NothingPlanned',
  convertFiles: 'ConvertFiles',
  isCsv: 'IsCsv',
  ignore: 'IgnoreNotCsv',
  convertFormats: 'ConvertFormats',
  convertParquet: 'ConvertParquet',
  convertAvro: 'ConvertAvro',
  sameVersion: 'SameVersion',
  converted: 'Converted',
  versionsDiffer: 'VersionsDiffer',
  reduce: 'Reduce',
  anyFailed: 'AnyFailed',
  retryFailed: 'RetryFailed',
  reduceAfterRetry: 'ReduceAfterRetry',
  anyStale: 'AnyStale',
  done: 'Done',
} as const;

/** Placeholders substituted at deployment (DefinitionSubstitutions) or by the local runner. */
export const SUBSTITUTIONS = {
  parquetFunction: 'ParquetFunctionArn',
  avroFunction: 'AvroFunctionArn',
  reduceFunction: 'ReduceFunctionArn',
  planFunction: 'PlanFunctionArn',
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
  /** Key suffixes converted (each also with `.gz` or `.zst`), matched in any case mix (see {@link csvKeyPatterns}). */
  readonly suffixes?: readonly string[];
  /** Seconds a converter may run before Step Functions times the task out. */
  readonly taskTimeoutSeconds: number;
  /** Files that may still fail after the retry map without failing the execution. @default 0 */
  readonly toleratedFailedFiles?: number;
  /** Files per child execution (ItemBatcher). @default none: one file per child */
  readonly itemBatching?: ItemBatching;
  /**
   * The execution's overall timeout (the definition's top-level `TimeoutSeconds`): a run still going then
   * ends TIMED_OUT (alarmed, reported, redrivable). @default none: a year, Step Functions' limit
   */
  readonly executionTimeoutSeconds?: number;
  /** The dataset key pattern below `inputPrefix` (see lambdas/lake/layout.ts). @default DEFAULT_DATASET_PATTERN */
  readonly datasetPattern?: string;
}

/**
 * Several files per child execution (an `ItemBatcher`). It saves, per file, the child execution's state
 * transitions and a Lambda invocation per format (about 5 transitions and 2 invocations become 5/N and 2/N:
 * for 100,000 small files, ~$12 of transitions and the invocations' start-up time). It costs: files of a batch
 * run one after the other in one function (the timeout must cover the batch), a failure fails the whole batch
 * (a redrive re-runs it; its good files are then skipped as unchanged after a HEAD), the Map Run console and
 * the tolerance count batches rather than files, and the suffix filter moves from the state machine into the
 * converters (a Choice cannot filter inside a batch).
 */
export interface ItemBatching {
  /** At most this many files per child. */
  readonly maxItemsPerBatch: number;
  /** At most this many bytes of item JSON per child (not of file content). @default no limit but 256 KiB */
  readonly maxInputBytesPerBatch?: number;
}

const sub = (name: string) => '${' + name + '}';

/**
 * The Retry of every Lambda task: both converters, in both maps, and both reducer states. Step Functions
 * scans the retriers in order and applies the first whose `ErrorEquals` names the error, each retrier
 * counting its own attempts; an error no retrier names is not retried. So every name appears in exactly one
 * retrier and no wildcard (`States.ALL`, `States.TaskFailed`) is used, which would also match data errors
 * and killed functions:
 * - transient errors (Lambda service errors, throttling, `S3TransientError`): 5 retries, exponential
 *   backoff from 2 s with full jitter, at most 60 s apart;
 * - `States.Timeout` (the task's own timeout, above the function's): 1 retry;
 * - a function killed for memory or time: 0 retries (`MaxAttempts: 0`, stated rather than left out);
 * - data errors and everything else: not named, so not retried.
 */
function lambdaTaskRetry(): Record<string, unknown>[] {
  return [
    {
      ErrorEquals: [...RETRYABLE_ERRORS],
      IntervalSeconds: 2,
      MaxAttempts: 5,
      BackoffRate: 2,
      MaxDelaySeconds: 60,
      JitterStrategy: 'FULL',
    },
    { ErrorEquals: [...TASK_TIMEOUT_ERRORS], IntervalSeconds: 2, MaxAttempts: 1 },
    { ErrorEquals: [...FUNCTION_KILLED_ERRORS], MaxAttempts: 0 },
  ];
}

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
    Retry: lambdaTaskRetry(),
    End: true,
  };
}

/**
 * The child workflow of each Distributed Map: skip non-CSV keys, then both converters in parallel. With
 * item batching the child receives `{BatchInput, Items}` and goes straight to the converters, which then
 * skip non-CSV keys themselves.
 */
function itemProcessor(settings: WorkflowSettings, prefix = ''): Record<string, unknown> {
  // State names must be unique in the whole machine: the retry map's child states carry a prefix.
  const name = (state: string) => prefix + state;
  const patterns = csvKeyPatterns(settings.suffixes ?? CSV_SUFFIXES);
  const batched = settings.itemBatching !== undefined;
  const checkVersions = !batched && settings.formats.length > 1;
  return {
    ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
    StartAt: name(batched ? STATES.convertFormats : STATES.isCsv),
    States: {
      ...(batched ? {} : filterStates(name, patterns)),
      [name(STATES.convertFormats)]: {
        Type: 'Parallel',
        Branches: settings.formats.map((format) => {
          const task = name(format === 'parquet' ? STATES.convertParquet : STATES.convertAvro);
          return { StartAt: task, States: { [task]: converterTask(format, settings.taskTimeoutSeconds) } };
        }),
        ...(checkVersions ? { Next: name(STATES.sameVersion) } : { End: true }),
      },
      ...(checkVersions ? versionCheckStates(name) : {}),
    },
  };
}

/**
 * After both converters: their outputs must hold one version of the file. Each reads the listed version
 * (or, when the file was replaced since, the current one), so they differ only when the file changed
 * between their reads; the child then fails with the converters' `InputChangedError`, and the retry map,
 * whose items ask for the current version, converts again the format that holds the older one.
 */
function versionCheckStates(name: (state: string) => string): Record<string, unknown> {
  return {
    [name(STATES.sameVersion)]: {
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$[0].sourceEtag', IsPresent: true },
            { Variable: '$[1].sourceEtag', IsPresent: true },
            { Variable: '$[0].sourceEtag', StringEqualsPath: '$[1].sourceEtag' },
          ],
          Next: name(STATES.converted),
        },
      ],
      Default: name(STATES.versionsDiffer),
    },
    [name(STATES.converted)]: { Type: 'Succeed' },
    [name(STATES.versionsDiffer)]: {
      Type: 'Fail',
      Error: 'InputChangedError',
      Cause:
        'The file changed while it was converted: its Parquet and Avro outputs hold different versions of it. ' +
        'The retry map (or a redrive) converts the current version again.',
    },
  };
}

/** The most `StringMatches` patterns the `IsCsv` Choice may have (a long suffix doubles them per letter). */
export const MAX_CSV_KEY_PATTERNS = 1024;

/**
 * The `StringMatches` patterns of the `IsCsv` Choice: every case mix of each suffix, alone and followed by
 * every case mix of a compression suffix, `.gz` or `.zst` (`*.csv`, `*.Csv`, `*.CSV.GZ`, `*.csv.Zst`, …),
 * since `StringMatches` has no case-insensitive mode. The key set they accept is exactly `isCsvKey`'s
 * (lambdas/io/object-key.ts), which the converters apply to batched items: the two paths agree (tested on
 * generated keys). Three letters make 8 mixes, with `.gz` and `.zst` 8 × (1 + 4 + 8) = 104 patterns per
 * suffix, 312 for the defaults (about 10 KB of definition per map). `*` and `\` in a suffix are escaped.
 * @throws Error for a suffix with a non-ASCII letter (whose case folding a pattern cannot spell) or when the
 *   suffixes need more than {@link MAX_CSV_KEY_PATTERNS} patterns
 */
export function csvKeyPatterns(suffixes: readonly string[]): string[] {
  const mixes = (text: string): string[] =>
    [...text].reduce<string[]>(
      (out, c) => {
        const cases = [...new Set([c.toLowerCase(), c.toUpperCase()])];
        return out.flatMap((head) => cases.map((x) => head + x));
      },
      [''],
    );
  const escape = (text: string) => text.replace(/[\\*]/g, (c) => `\\${c}`);
  const compressed = COMPRESSION_SUFFIXES.flatMap(mixes);
  const patterns = new Set<string>();
  for (const suffix of suffixes) {
    if ([...suffix].some((c) => c.charCodeAt(0) > 0x7f))
      throw new Error(`suffix ${JSON.stringify(suffix)}: only ASCII suffixes can be matched in every case`);
    for (const mix of mixes(suffix.toLowerCase())) {
      patterns.add(`*${escape(mix)}`);
      for (const c of compressed) patterns.add(`*${escape(mix)}${c}`);
    }
  }
  if (patterns.size > MAX_CSV_KEY_PATTERNS)
    throw new Error(
      `the suffixes ${suffixes.join(' ')} need ${patterns.size} case patterns in the IsCsv Choice, over ` +
        `${MAX_CSV_KEY_PATTERNS}: use fewer or shorter suffixes`,
    );
  return [...patterns];
}

/** The suffix filter of an unbatched child: a Choice, and a Pass that marks the key ignored. */
function filterStates(name: (state: string) => string, patterns: string[]): Record<string, unknown> {
  return {
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
  };
}

/**
 * The planner: lists the execution's prefix, leaves out the keys whose outputs are current, and writes the
 * keys to convert as a JSON array in the output bucket (lambdas/lake/plan.ts). Its answer is small: where the
 * array is and how many keys it holds.
 */
function planTask(next: string): Record<string, unknown> {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: sub(SUBSTITUTIONS.planFunction), Payload: { 'run.$': '$.run' } },
    ResultSelector: { 'itemsKey.$': '$.Payload.itemsKey', 'planned.$': '$.Payload.planned' },
    ResultPath: '$.plan',
    TimeoutSeconds: 930,
    Retry: lambdaTaskRetry(),
    Next: next,
  };
}

/**
 * The ItemBatcher of both maps, when batching. The batch carries the suffixes: with no `IsCsv` Choice in a
 * batched child, the converters skip the keys `isCsvKey` refuses, with the same suffixes.
 */
function itemBatcher(
  batching: ItemBatching | undefined,
  suffixes: readonly string[] | undefined,
): Record<string, unknown> {
  if (!batching) return {};
  return {
    ItemBatcher: {
      MaxItemsPerBatch: batching.maxItemsPerBatch,
      ...(batching.maxInputBytesPerBatch ? { MaxInputBytesPerBatch: batching.maxInputBytesPerBatch } : {}),
      BatchInput: { 'run.$': '$.run', suffixes: [...(suffixes ?? CSV_SUFFIXES)] },
    },
  };
}

/**
 * A reducer state. `final` says whether it is the execution's last reduction, the one that emits the run's
 * file counts (so FilesFailed counts only what the retry map did not fix): `'ifNoneFailed'` for `Reduce`,
 * which `AnyFailed` follows with `RetryFailed` only when files failed; `true` for `ReduceAfterRetry`.
 */
function reduceTask(mapResults: string, final: true | 'ifNoneFailed', next: string): Record<string, unknown> {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: {
      FunctionName: sub(SUBSTITUTIONS.reduceFunction),
      Payload: { 'run.$': '$.run', 'mapResults.$': mapResults, final },
    },
    ResultSelector: { 'summary.$': '$.Payload' },
    ResultPath: '$.reduce',
    TimeoutSeconds: 930,
    Retry: lambdaTaskRetry(),
    Next: next,
  };
}

const resultWriter = {
  Resource: 'arn:aws:states:::s3:putObject',
  Parameters: { Bucket: sub(SUBSTITUTIONS.outputBucket), Prefix: MAP_RESULTS_PREFIX },
};

/**
 * The state machine. `Plan` lists the prefix and compares each key with the inventory of what was converted
 * (lambdas/lake/plan.ts): only new, changed or doubtful keys become items of `ConvertFiles`, so a night over
 * unchanged files starts no child execution and invokes no converter; the reducer reports the others from
 * the plan. How failures and redrive work (see README, "Operations"). A console Redrive resumes
 * only the states that never exited, and re-runs a Distributed Map's unsuccessful children only when that Map
 * state itself failed; a Map that exceeds its tolerance stops its other running children. Hence two maps:
 * - `ConvertFiles` tolerates every failure, so one bad file never stops the others (point 1), and the Map
 *   always exits: its failures alone could never be redriven.
 * - `Reduce` writes the report over every item and, when files failed, the list of them (point 2).
 * - `RetryFailed` reads that list and runs those files again with no tolerance (or
 *   {@link WorkflowSettings.toleratedFailedFiles}): if one fails again, the Map state fails
 *   (`States.ExceedToleratedFailureThreshold`), its other in-flight retries are stopped, and the execution ends
 *   FAILED (alarmed). A console Redrive then re-runs only that Map's failed and stopped children, never the
 *   files that succeeded (point 3), and `ReduceAfterRetry` writes the report over the whole run.
 * - A run that ends FAILED/TIMED_OUT/ABORTED is also reported by the reducer through an EventBridge rule
 *   (point 4, in the construct). Outputs are deterministic and skipped when unchanged (point 5, converters).
 * A failed file is thus attempted twice per execution (each attempt with the retries of
 * `lambdaTaskRetry`); a data error or a killed function fails fast both times.
 */
export function buildDefinition(settings: WorkflowSettings): Record<string, unknown> {
  const prefix = settings.inputPrefix;
  return {
    Comment: 'csv2lake: convert every CSV under a prefix to Parquet and Avro',
    ...(settings.executionTimeoutSeconds ? { TimeoutSeconds: settings.executionTimeoutSeconds } : {}),
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
            outputPrefixes: runOutputPrefixes(settings.formats, settings.outputPrefixes),
            // Output keys are relative to the CONFIGURED prefix, whatever prefix the execution narrowed to.
            layout: {
              root: prefix,
              pattern: settings.datasetPattern ?? DEFAULT_DATASET_PATTERN,
              ...(settings.suffixes ? { suffixes: settings.suffixes } : {}),
            },
          },
        },
        Next: STATES.plan,
      },
      [STATES.plan]: planTask(STATES.anyPlanned),
      [STATES.anyPlanned]: {
        Type: 'Choice',
        Comment:
          'A night with nothing new starts no Map Run: the unchanged keys are reported from the plan alone.',
        Choices: [{ Variable: '$.plan.planned', NumericGreaterThan: 0, Next: STATES.convertFiles }],
        Default: STATES.nothingPlanned,
      },
      [STATES.nothingPlanned]: {
        Type: 'Pass',
        Comment: 'No map ran: Reduce is given a map result without result files.',
        Result: {},
        ResultPath: '$.convertMap',
        Next: STATES.reduce,
      },
      [STATES.convertFiles]: {
        Type: 'Map',
        Comment:
          'The planned keys only (new, changed, or in doubt), read as listObjectsV2 items would be: Key, Etag, Size.',
        ItemReader: {
          Resource: 'arn:aws:states:::s3:getObject',
          ReaderConfig: { InputType: 'JSON' },
          Parameters: { Bucket: sub(SUBSTITUTIONS.outputBucket), 'Key.$': '$.plan.itemsKey' },
        },
        ItemSelector: {
          'bucket.$': '$.run.inputBucket',
          'key.$': '$$.Map.Item.Value.Key',
          'etag.$': '$$.Map.Item.Value.Etag',
          'size.$': '$$.Map.Item.Value.Size',
          // Batched, the run travels once per batch in BatchInput instead of once per item.
          ...(settings.itemBatching ? {} : { 'run.$': '$.run' }),
        },
        ...itemBatcher(settings.itemBatching, settings.suffixes),
        ItemProcessor: itemProcessor(settings),
        MaxConcurrency: settings.maxConcurrency,
        ToleratedFailurePercentage: 100,
        ResultWriter: resultWriter,
        ResultPath: '$.convertMap',
        Next: STATES.reduce,
      },
      [STATES.reduce]: reduceTask('States.Array($.convertMap)', 'ifNoneFailed', STATES.anyFailed),
      [STATES.anyFailed]: {
        Type: 'Choice',
        Comment:
          'Failed files, and outputs written with an older schema of their dataset, are converted again.',
        Choices: [
          {
            Or: [
              { Variable: '$.reduce.summary.items.failed', NumericGreaterThan: 0 },
              { Variable: '$.reduce.summary.staleOutputs', NumericGreaterThan: 0 },
            ],
            Next: STATES.retryFailed,
          },
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
        ...itemBatcher(settings.itemBatching, settings.suffixes),
        ItemProcessor: itemProcessor(settings, RETRY_PREFIX),
        MaxConcurrency: settings.maxConcurrency,
        ...(settings.toleratedFailedFiles
          ? { ToleratedFailureCount: settings.toleratedFailedFiles }
          : { ToleratedFailurePercentage: 0 }),
        ResultWriter: resultWriter,
        ResultPath: '$.retryMap',
        Next: STATES.reduceAfterRetry,
      },
      [STATES.reduceAfterRetry]: reduceTask('States.Array($.convertMap, $.retryMap)', true, STATES.anyStale),
      [STATES.anyStale]: {
        Type: 'Choice',
        Comment:
          'A dataset schema widened again during the retry map (its files needed it): the outputs written with the ' +
          'older schema go round once more. Each round needs a schema change, and schemas only widen, so it ends.',
        Choices: [
          { Variable: '$.reduce.summary.staleOutputs', NumericGreaterThan: 0, Next: STATES.retryFailed },
        ],
        Default: STATES.done,
      },
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
