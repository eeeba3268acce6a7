/* eslint-disable @typescript-eslint/no-explicit-any -- ASL documents are untyped JSON */
import { evaluateTemplate } from './json-path';

/** The input of one child execution of a Distributed Map, and how many items it carries. */
export interface ChildInput {
  readonly input: unknown;
  /** Items in this child: 1, or the size of its batch. Tolerated failures count items. */
  readonly items: number;
  /**
   * Files this child converts, for the progress line: an item is one file, a range item (issue 16) the
   * 1/count of its file that it converts, so a file split in 8 ranges counts once, not 8 times.
   */
  readonly files: number;
}

/**
 * The share of one file an item converts: 1, or 1/count for a range item (`range: {count}` as the
 * converter sees it, `Range` as the plan lists it).
 */
export function fileShare(item: unknown): number {
  type Ranged = { count?: unknown } | null;
  const ranged = item as { range?: Ranged; Range?: Ranged } | null;
  const count = (ranged?.range ?? ranged?.Range)?.count;
  return typeof count === 'number' && count > 1 ? 1 / count : 1;
}

/** The service's bound on a batch's input when MaxInputBytesPerBatch is not given (256 KiB). */
const MAX_BATCH_BYTES = 256 * 1024;

/**
 * What a Distributed Map hands its children, as the service builds it: the ItemSelector applied to each
 * item (with `$$.Map.Item.Value`/`Index` and the execution context), then, with an ItemBatcher, the selected
 * items grouped into `{BatchInput, Items}` by MaxItemsPerBatch and MaxInputBytesPerBatch (JSON size).
 * @throws Error for batcher settings given as paths, which the emulation does not evaluate.
 */
export function childInputs(
  map: Record<string, any>,
  items: readonly unknown[],
  input: unknown,
  context: Record<string, unknown>,
): ChildInput[] {
  const selected = items.map((value, index) =>
    map.ItemSelector
      ? evaluateTemplate(map.ItemSelector, input, {
          ...context,
          Map: { Item: { Value: value, Index: index } },
        })
      : value,
  );
  const batcher = map.ItemBatcher as Record<string, unknown> | undefined;
  if (!batcher) return selected.map((value) => ({ input: value, items: 1, files: fileShare(value) }));
  for (const field of ['MaxItemsPerBatchPath', 'MaxInputBytesPerBatchPath'])
    if (field in batcher) throw new Error(`local runner: ItemBatcher.${field} is not supported`);
  const maxItems = (batcher.MaxItemsPerBatch as number | undefined) ?? Number.POSITIVE_INFINITY;
  const maxBytes = (batcher.MaxInputBytesPerBatch as number | undefined) ?? MAX_BATCH_BYTES;
  if (batcher.MaxItemsPerBatch === undefined && batcher.MaxInputBytesPerBatch === undefined)
    throw new Error('local runner: an ItemBatcher needs MaxItemsPerBatch or MaxInputBytesPerBatch');
  const batchInput =
    batcher.BatchInput === undefined ? undefined : evaluateTemplate(batcher.BatchInput, input, context);
  const wrap = (group: unknown[], files = 0) => ({
    input: { ...(batchInput === undefined ? {} : { BatchInput: batchInput }), Items: group },
    items: group.length,
    files,
  });
  // The batch's JSON size, kept as items are added: the empty batch, each item, a comma between items.
  const empty = Buffer.byteLength(JSON.stringify(wrap([]).input));
  const batches: ChildInput[] = [];
  let group: unknown[] = [];
  let files = 0;
  let bytes = empty;
  for (const item of selected) {
    const itemBytes = Buffer.byteLength(JSON.stringify(item));
    if (empty + itemBytes > maxBytes) {
      const error = new Error(
        `an item is larger than MaxInputBytesPerBatch (${maxBytes} bytes) once batched`,
      );
      error.name = 'States.ItemReaderFailed';
      throw error;
    }
    if (group.length > 0 && (group.length >= maxItems || bytes + 1 + itemBytes > maxBytes)) {
      batches.push(wrap(group, files));
      group = [];
      files = 0;
      bytes = empty;
    }
    bytes += (group.length > 0 ? 1 : 0) + itemBytes;
    group.push(item);
    files += fileShare(item);
  }
  if (group.length > 0) batches.push(wrap(group, files));
  return batches;
}

/** How many failed items a map tolerates: ToleratedFailureCount, else the percentage of all items. */
export function toleratedFailures(map: Record<string, any>, totalItems: number): number {
  if (map.ToleratedFailureCount !== undefined) return map.ToleratedFailureCount as number;
  return Math.floor((((map.ToleratedFailurePercentage as number | undefined) ?? 0) / 100) * totalItems);
}
