/*
 * The names the state machine is built from and known by: its states, the placeholders substituted at
 * deployment, and where its maps write their results.
 */

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
  anySplit: 'AnySplit',
  noJoins: 'NoJoins',
  joinFiles: 'JoinFiles',
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
  anyRetryItems: 'AnyRetryItems',
  noRetryItems: 'NoRetryItems',
  retryFailed: 'RetryFailed',
  anyRetryJoins: 'AnyRetryJoins',
  noRetryJoins: 'NoRetryJoins',
  retryJoin: 'RetryJoin',
  parquetRangesToConvert: 'ParquetRangesToConvert',
  avroRangesToConvert: 'AvroRangesToConvert',
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

/** The prefix of the join map's child states (state names are unique in the whole machine). */
export const JOIN_PREFIX = 'Join';

/** The prefix of the retry join map's child states. */
export const RETRY_JOIN_PREFIX = 'RetryJoin';

/** Where the Distributed Map result files go, in the output bucket. */
export { MAP_RESULTS_PREFIX } from '../../lambdas/shared/run-keys';

/** A `${Name}` placeholder, substituted at deployment (DefinitionSubstitutions) or by the local runner. */
export const placeholder = (name: string): string => '${' + name + '}';
