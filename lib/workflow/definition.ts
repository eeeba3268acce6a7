/*
 * The csv2lake state machine, defined once as Amazon States Language (JSONPath). The CDK construct deploys
 * it with `${…}` substitutions for ARNs and names; tests validate it; the local runner executes it. This
 * file is the top-level graph; the maps are map-states.ts, their child workflow child-states.ts, the Lambda
 * tasks and their retry policy tasks.ts, the names names.ts.
 */
import { DEFAULT_DATASET_PATTERN } from '../../lambdas/lake/layout';
import { runOutputPrefixes } from './defaults';
import { convertFilesMap, joinFilesMap, retryFailedMap, retryJoinMap } from './map-states';
import { placeholder, STATES, SUBSTITUTIONS } from './names';
import type { WorkflowSettings } from './settings';
import { planTask, reduceTask } from './tasks';

export { csvKeyPatterns, MAX_CSV_KEY_PATTERNS } from './csv-key-patterns';
export {
  JOIN_PREFIX,
  MAP_RESULTS_PREFIX,
  RETRY_JOIN_PREFIX,
  RETRY_PREFIX,
  STATES,
  SUBSTITUTIONS,
} from './names';
export type { ItemBatching, WorkflowSettings } from './settings';

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
 * - Keys planned as byte ranges (issue 16) are joined by `JoinFiles` after `ConvertFiles`, and again by
 *   `RetryJoin` after `RetryFailed` (same tolerance), whose list (`retry-joins.json`) holds the split keys
 *   whose joins failed or handed ranges back; `RetryFailed` converts those ranges, and `AnyStale` goes round
 *   while ranges are handed back (the reconcile loop, lambdas/ranges/reconcile.ts).
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
          config: { inputBucket: placeholder(SUBSTITUTIONS.inputBucket), inputPrefix: prefix },
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
            StringEquals: placeholder(SUBSTITUTIONS.inputBucket),
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
            outputBucket: placeholder(SUBSTITUTIONS.outputBucket),
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
        Next: STATES.noJoins,
      },
      [STATES.convertFiles]: convertFilesMap(settings),
      [STATES.anySplit]: {
        Type: 'Choice',
        Comment: 'Keys planned as byte ranges are joined, one output per format, once every range ran.',
        Choices: [{ Variable: '$.plan.split', NumericGreaterThan: 0, Next: STATES.joinFiles }],
        Default: STATES.noJoins,
      },
      [STATES.noJoins]: {
        Type: 'Pass',
        Comment: 'No join map ran: Reduce is given a map result without result files.',
        Result: {},
        ResultPath: '$.joinMap',
        Next: STATES.reduce,
      },
      [STATES.joinFiles]: joinFilesMap(settings),
      [STATES.reduce]: reduceTask('States.Array($.convertMap, $.joinMap)', 'ifNoneFailed', STATES.anyFailed),
      [STATES.anyFailed]: {
        Type: 'Choice',
        Comment:
          'Failed files (and split keys whose joins handed ranges back), and outputs written with an older schema of their dataset, are converted again.',
        Choices: [
          {
            Or: [
              { Variable: '$.reduce.summary.items.failed', NumericGreaterThan: 0 },
              { Variable: '$.reduce.summary.staleOutputs', NumericGreaterThan: 0 },
            ],
            Next: STATES.anyRetryItems,
          },
        ],
        Default: STATES.done,
      },
      [STATES.anyRetryItems]: {
        Type: 'Choice',
        Comment: 'Only split keys to join again (their ranges all have parts): no RetryFailed.',
        Choices: [{ Variable: '$.reduce.summary.failedItemsKey', IsPresent: true, Next: STATES.retryFailed }],
        Default: STATES.noRetryItems,
      },
      [STATES.noRetryItems]: {
        Type: 'Pass',
        Comment: 'RetryFailed did not run: ReduceAfterRetry is given a map result without result files.',
        Result: {},
        ResultPath: '$.retryMap',
        Next: STATES.anyRetryJoins,
      },
      [STATES.retryFailed]: retryFailedMap(settings),
      [STATES.anyRetryJoins]: {
        Type: 'Choice',
        Comment: 'Split keys are joined again once RetryFailed converted their ranges.',
        Choices: [
          {
            And: [
              { Variable: '$.reduce.summary.retryJoins', IsPresent: true },
              { Variable: '$.reduce.summary.retryJoins', NumericGreaterThan: 0 },
            ],
            Next: STATES.retryJoin,
          },
        ],
        Default: STATES.noRetryJoins,
      },
      [STATES.noRetryJoins]: {
        Type: 'Pass',
        Comment: 'RetryJoin did not run: ReduceAfterRetry is given a map result without result files.',
        Result: {},
        ResultPath: '$.retryJoinMap',
        Next: STATES.reduceAfterRetry,
      },
      [STATES.retryJoin]: retryJoinMap(settings),
      [STATES.reduceAfterRetry]: reduceTask(
        'States.Array($.convertMap, $.joinMap, $.retryMap, $.retryJoinMap)',
        true,
        STATES.anyStale,
      ),
      // Why the loop ends. Stale outputs: each round needs a schema change, and schemas only widen. Ranges
      // handed back (lambdas/ranges/reconcile.ts): a split key's join hands back ranges without a part (made
      // by RetryFailed, or the execution fails there: no tolerance), a misplaced start beyond its time (each
      // move fixes a boundary for good: at most one per range), or round 2 (decided once per key: its
      // verdict.json is kept until the join succeeds). So a key goes round at most 1 + ranges + 1 times.
      [STATES.anyStale]: {
        Type: 'Choice',
        Comment:
          'Outputs written with an older schema than one widened during the retry maps, and ranges a join handed back ' +
          '(round 2 after a widened column, missing parts), go round again. Schemas only widen, round 2 happens once ' +
          'per key and each moved start fixes a boundary for good, so it ends.',
        Choices: [
          {
            Or: [
              { Variable: '$.reduce.summary.staleOutputs', NumericGreaterThan: 0 },
              {
                And: [
                  { Variable: '$.reduce.summary.rangesToConvert', IsPresent: true },
                  { Variable: '$.reduce.summary.rangesToConvert', NumericGreaterThan: 0 },
                ],
              },
            ],
            Next: STATES.anyRetryItems,
          },
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
