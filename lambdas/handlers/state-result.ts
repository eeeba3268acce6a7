import type { ConvertResult } from '../shared/payloads';

/**
 * What a converter returns to the state machine: only what the graph and the local runner read (the
 * `SameVersion` Choice compares `sourceEtag`; the runner's progress reads rows and bytes). The column list
 * and everything else stay in the item's record, which the reducer reads: a result carrying the columns of a
 * 4,096-column file made the Parallel's output 263,114 bytes, over the 262,144-byte state limit
 * (States.DataLimitExceeded after the outputs were written).
 */
export type ConvertStateResult = Pick<ConvertResult, (typeof STATE_RESULT_FIELDS)[number]>;

/** The fields of {@link ConvertStateResult}, each of bounded size whatever the file's width. */
export const STATE_RESULT_FIELDS = [
  'key',
  'format',
  'status',
  'rows',
  'rejectedRows',
  'bytesIn',
  'bytesOut',
  'durationMs',
  'outputKey',
  'sourceEtag',
] as const satisfies readonly (keyof ConvertResult)[];

/** The state machine's part of a result (see {@link ConvertStateResult}). */
export function stateResult(result: ConvertResult): ConvertStateResult {
  const out: Record<string, unknown> = {};
  for (const field of STATE_RESULT_FIELDS) if (result[field] !== undefined) out[field] = result[field];
  return out as unknown as ConvertStateResult;
}
