/*
 * The Distributed Maps: `ConvertFiles` over the planned keys (and range items), `JoinFiles` over the split
 * keys, `RetryFailed` over the items that failed (and range items handed back), `RetryJoin` over the split
 * keys to join again. Each reads its items from a JSON array in the output bucket, runs the child workflow
 * (child-states.ts) and writes its results as result files (ResultWriter), never into the state's output.
 */
import { CSV_SUFFIXES } from '../../lambdas/io/object-key';
import { itemProcessor } from './child-states';
import {
  JOIN_PREFIX,
  MAP_RESULTS_PREFIX,
  placeholder,
  RETRY_JOIN_PREFIX,
  RETRY_PREFIX,
  STATES,
  SUBSTITUTIONS,
} from './names';
import type { ItemBatching, WorkflowSettings } from './settings';

/**
 * The ItemBatcher of the file maps (ConvertFiles, RetryFailed), when batching (the join maps never are). The batch carries the suffixes: with no `IsCsv` Choice in a
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

const resultWriter = {
  Resource: 'arn:aws:states:::s3:putObject',
  Parameters: { Bucket: placeholder(SUBSTITUTIONS.outputBucket), Prefix: MAP_RESULTS_PREFIX },
};

/** What sets the maps apart. */
interface MapShape {
  readonly comment: string;
  /** The JSONPath of the key of the item array in the output bucket. */
  readonly itemsKeyPath: string;
  readonly itemSelector?: Record<string, unknown>;
  /** The prefix of the child's state names (unique in the whole machine). @default '' */
  readonly statePrefix?: string;
  /** `ToleratedFailurePercentage` or `ToleratedFailureCount`. */
  readonly tolerance: Record<string, number>;
  readonly resultPath: string;
  readonly next: string;
  /** A join map: its child catches a join that hands ranges back (child-states.ts). @default false */
  readonly joins?: boolean;
}

/** A Distributed Map over a JSON array of items in the output bucket, its results written as result files. */
function distributedMap(settings: WorkflowSettings, shape: MapShape): Record<string, unknown> {
  return {
    Type: 'Map',
    Comment: shape.comment,
    ItemReader: {
      Resource: 'arn:aws:states:::s3:getObject',
      ReaderConfig: { InputType: 'JSON' },
      Parameters: { Bucket: placeholder(SUBSTITUTIONS.outputBucket), 'Key.$': shape.itemsKeyPath },
    },
    ...(shape.itemSelector ? { ItemSelector: shape.itemSelector } : {}),
    ...itemBatcher(settings.itemBatching, settings.suffixes),
    ItemProcessor: itemProcessor(settings, shape.statePrefix, shape.joins),
    MaxConcurrency: settings.maxConcurrency,
    ...shape.tolerance,
    ResultWriter: resultWriter,
    ResultPath: shape.resultPath,
    Next: shape.next,
  };
}

/**
 * `ConvertFiles`: the planned keys, tolerating every failure so that one bad file never stops the others and
 * the Map always exits (see buildDefinition).
 */
export function convertFilesMap(settings: WorkflowSettings): Record<string, unknown> {
  return distributedMap(settings, {
    comment:
      'The planned keys only (new, changed, or in doubt), read as listObjectsV2 items would be: Key, Etag, Size.',
    itemsKeyPath: '$.plan.itemsKey',
    itemSelector: {
      'bucket.$': '$.run.inputBucket',
      'key.$': '$$.Map.Item.Value.Key',
      'etag.$': '$$.Map.Item.Value.Etag',
      'size.$': '$$.Map.Item.Value.Size',
      // A split key's byte range, null for a whole key (the planner writes the field on every item: a
      // JSONPath to a missing field fails the child).
      'range.$': '$$.Map.Item.Value.Range',
      // Batched, the run travels once per batch in BatchInput instead of once per item.
      ...(settings.itemBatching ? {} : { 'run.$': '$.run' }),
    },
    tolerance: { ToleratedFailurePercentage: 100 },
    resultPath: '$.convertMap',
    next: STATES.anySplit,
  });
}

/**
 * The settings of a join map: never batched. Joins are few (one per split key), each long, and a batch
 * fails as a whole (BatchItemsFailedError), which no Catch of a join that hands ranges back could tell apart.
 */
function unbatched(settings: WorkflowSettings): WorkflowSettings {
  const { itemBatching: _batching, ...rest } = settings;
  void _batching;
  return rest;
}

/**
 * `JoinFiles`: one child per split key (`joins.json`), after every range item ran: the same child workflow,
 * whose converters see a join item (`count`) and make the key's one output from its parts, or hand back what
 * is still to convert (round 2, a missing part: lambdas/handlers/convert-ranged.ts), which the child catches.
 * Tolerates every failure, as `ConvertFiles`: a failed join is a failed file for `Reduce`, and `RetryJoin`
 * runs it again.
 */
export function joinFilesMap(settings: WorkflowSettings): Record<string, unknown> {
  return distributedMap(unbatched(settings), {
    comment: 'The keys planned as byte ranges: each joined into one output per format from its parts.',
    itemsKeyPath: '$.plan.joinsKey',
    itemSelector: {
      'bucket.$': '$.run.inputBucket',
      'key.$': '$$.Map.Item.Value.Key',
      'etag.$': '$$.Map.Item.Value.Etag',
      'size.$': '$$.Map.Item.Value.Size',
      'count.$': '$$.Map.Item.Value.count',
      'run.$': '$.run',
    },
    statePrefix: JOIN_PREFIX,
    tolerance: { ToleratedFailurePercentage: 100 },
    resultPath: '$.joinMap',
    next: STATES.reduce,
    joins: true,
  });
}

/**
 * `RetryFailed`: the failed keys the reducer listed, with no tolerance (or `toleratedFailedFiles`), so that a
 * file failing again fails the state and a console Redrive re-runs only these children.
 */
export function retryFailedMap(settings: WorkflowSettings): Record<string, unknown> {
  return distributedMap(settings, {
    comment:
      'No tolerance: a file failing again fails this state, so a console Redrive re-runs only these children.',
    itemsKeyPath: '$.reduce.summary.failedItemsKey',
    statePrefix: RETRY_PREFIX,
    tolerance: settings.toleratedFailedFiles
      ? { ToleratedFailureCount: settings.toleratedFailedFiles }
      : { ToleratedFailurePercentage: 0 },
    resultPath: '$.retryMap',
    next: STATES.anyRetryJoins,
  });
}

/**
 * `RetryJoin`: the split keys the reducer listed (`retry-joins.json`: joins that failed or handed ranges
 * back, stale split keys), after `RetryFailed` converted their ranges: the join map's child, with the
 * tolerance of `RetryFailed`. A join that hands ranges back again is caught (not a failure): the reducer
 * sends the key round once more (`AnyStale`); one that fails otherwise counts against that tolerance (none
 * by default: it fails this state, and a console Redrive re-runs only those joins).
 */
export function retryJoinMap(settings: WorkflowSettings): Record<string, unknown> {
  return distributedMap(unbatched(settings), {
    comment:
      'The split keys to join again, after RetryFailed converted their ranges; a join that hands ranges back again is caught.',
    itemsKeyPath: '$.reduce.summary.retryJoinsKey',
    statePrefix: RETRY_JOIN_PREFIX,
    tolerance: settings.toleratedFailedFiles
      ? { ToleratedFailureCount: settings.toleratedFailedFiles }
      : { ToleratedFailurePercentage: 0 },
    resultPath: '$.retryJoinMap',
    next: STATES.reduceAfterRetry,
    joins: true,
  });
}
