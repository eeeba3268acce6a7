import { CSV_SUFFIXES, isCsvKey } from '../io/object-key';
import { BatchItemsFailedError, S3TransientError } from '../shared/errors';
import type { ConvertBatch, ConvertItem, ConvertResult } from '../shared/payloads';

/** Whether an event is an ItemBatcher batch rather than one item. */
export function isBatch(event: ConvertItem | ConvertBatch): event is ConvertBatch {
  return Array.isArray((event as ConvertBatch).Items);
}

/** A batched key that is not CSV: skipped as the unbatched child's `IgnoreNotCsv` Pass skips it. */
export interface IgnoredKey {
  readonly key: string;
  readonly ignored: true;
  /** Absent, so that a batch's results can be read alike. */
  readonly status?: never;
  readonly outputKey?: never;
}

/**
 * A batch as the workflow sends it: its `BatchInput` also carries the suffixes converted (a batched child has
 * no `IsCsv` Choice), absent from batches built before it did. @default suffixes: the default CSV_SUFFIXES
 */
export type SuffixedBatch = ConvertBatch & {
  readonly BatchInput: { readonly suffixes?: readonly string[] };
};

/**
 * Converts every item of a batch, one after the other; a failing item never stops the others (each
 * outcome is in its record). Keys that `isCsvKey` refuses with the batch's suffixes (the keys the unbatched
 * `IsCsv` Choice sends to `IgnoreNotCsv`) are not converted and get an {@link IgnoredKey} result, no record.
 * When some failed, the batch throws so that the child FAILS, the Distributed
 * Map counts it and a redrive re-runs it (the items that succeeded are then skipped as unchanged):
 * - {@link S3TransientError} when every failure was transient, so the workflow's Retry runs the batch again;
 * - otherwise {@link BatchItemsFailedError} (not retried), naming the failed keys and their errors.
 */
export async function convertBatch<R = ConvertResult>(
  batch: SuffixedBatch,
  convertOne: (item: ConvertItem) => Promise<R>,
): Promise<{ readonly results: readonly (R | IgnoredKey)[] }> {
  const suffixes = batch.BatchInput.suffixes ?? CSV_SUFFIXES;
  const results: (R | IgnoredKey)[] = [];
  const failures: { key: string; error: Error }[] = [];
  for (const entry of batch.Items) {
    if (!isCsvKey(entry.key, suffixes)) {
      results.push({ key: entry.key, ignored: true });
      continue;
    }
    const item: ConvertItem = { ...entry, run: entry.run ?? batch.BatchInput.run };
    try {
      results.push(await convertOne(item));
    } catch (error) {
      failures.push({ key: item.key, error: error as Error });
    }
  }
  if (failures.length === 0) return { results };
  const listed = failures
    .slice(0, 5)
    .map((f) => `${f.key}: ${f.error.name}: ${f.error.message}`)
    .join('; ');
  const message =
    `${failures.length} of ${batch.Items.length} files of the batch failed (${listed}` +
    `${failures.length > 5 ? '; …' : ''}); the others were converted`;
  const cause = failures[0]!.error;
  throw failures.every((f) => f.error.name === 'S3TransientError')
    ? new S3TransientError(message, { cause })
    : new BatchItemsFailedError(message, { cause });
}
