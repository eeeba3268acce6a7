/*
 * Where one input key's outputs go in the lake, and the checks that keep them there: an output key S3
 * takes, no column that is also a partition column, and no output taken over from another input.
 */
import type { OutputFormat } from '../core/model/options';
import type { TableColumn } from '../core/model/schema';
import type { ObjectStore } from '../io/object-store';
import {
  DatasetLayoutError,
  MAX_KEY_BYTES,
  OutputKeyTooLongError,
  SchemaMismatchError,
} from '../shared/errors';
import type { ConvertItem, RunContext } from '../shared/payloads';
import { dataKey, DEFAULT_DATASET_PATTERN, locateKey, rejectsKey, type DatasetLayout } from './layout';

/** The dataset layout of a run: its own, or (a run recorded before datasets) its input prefix and the default pattern. */
export function runLayout(run: RunContext): DatasetLayout {
  return run.layout ?? { root: run.inputPrefix, pattern: DEFAULT_DATASET_PATTERN };
}

/** The format whose converter writes a file's rejected rows (one file per input): Parquet's, when it runs. */
export function rejectsFormat(run: RunContext): OutputFormat {
  return run.outputPrefixes.parquet !== undefined ? 'parquet' : 'avro';
}

/** Where one input's outputs of one format go. */
export interface OutputPlacement {
  /** The dataset (table) the key belongs to. */
  readonly dataset: string;
  /** The output's key in the output bucket. */
  readonly target: string;
  /** The key of the input's rejected rows (`_rejects/…`). */
  readonly rejectsTarget: string;
  /** Whether this format's converter writes the rejects (see {@link rejectsFormat}). */
  readonly writesRejects: boolean;
  /** The partition columns of the key, in pattern order. */
  readonly partitions: readonly string[];
}

/**
 * Places `item`'s output of `format` (written under `prefix`) by the run's dataset layout.
 * @throws DatasetLayoutError when the key does not fit the dataset pattern
 * @throws OutputKeyTooLongError when the output or rejects key would be over S3's limit: S3 answers a longer
 *   key with a bare KeyTooLongError after the work is done, so it is refused first, naming both ends of it
 */
export function placeOutputs(item: ConvertItem, format: OutputFormat, prefix: string): OutputPlacement {
  const layout = runLayout(item.run);
  const location = locateKey(item.key, layout);
  const target = dataKey(location, prefix, format, layout.suffixes);
  const rejectsTarget = rejectsKey(location, layout.suffixes);
  // The rejects key too: rows may be rejected.
  for (const key of [target, rejectsTarget]) {
    const bytes = Buffer.byteLength(key);
    if (bytes > MAX_KEY_BYTES) {
      const chars = [...key];
      throw new OutputKeyTooLongError(
        `s3://${item.bucket}/${item.key}: its output key ${chars.slice(0, 24).join('')}…${chars.slice(-24).join('')} ` +
          `would be ${bytes} bytes, over S3's ${MAX_KEY_BYTES}-byte limit; shorten the input key (or the output prefix)`,
      );
    }
  }
  return {
    dataset: location.dataset,
    target,
    rejectsTarget,
    writesRejects: rejectsFormat(item.run) === format,
    partitions: location.partitions.map((p) => p.name),
  };
}

/**
 * Refuses a file with a column named as one of its key's partition columns: a table cannot hold both.
 * @throws SchemaMismatchError naming the column and the pattern
 */
export function refusePartitionClash(
  item: ConvertItem,
  columns: readonly TableColumn[],
  partitions: readonly string[],
): void {
  const clash = columns.find((c) => partitions.includes(c.name));
  if (clash)
    throw new SchemaMismatchError(
      `s3://${item.bucket}/${item.key}: column "${clash.name}" is also the partition column {${clash.name}} of the ` +
        `dataset pattern ${runLayout(item.run).pattern}; rename the column in the file or the part of the pattern`,
      { column: clash.name },
    );
}

/**
 * Refuses to overwrite an output converted from another input that still exists. Output names are injective
 * over the keys of one dataset folder, but a file directly under the prefix is a dataset of its own named
 * after its stem, so `orders.csv` and `orders/orders.csv` both map to `parquet/orders/orders.parquet`.
 * @param recorded the input key the existing output records (URI-encoded), if any
 * @throws DatasetLayoutError naming both keys and what to do
 */
export async function refuseCollision(
  store: ObjectStore,
  item: ConvertItem,
  target: string,
  recorded: string | undefined,
): Promise<void> {
  if (recorded === undefined) return;
  let other: string;
  try {
    other = decodeURIComponent(recorded);
  } catch {
    return;
  }
  if (other === item.key || !(await store.head(item.bucket, other))) return;
  throw new DatasetLayoutError(
    `${item.key} and ${other} map to the same output ${target}, which holds ${other}'s data: rename or move ` +
      'one of them (a file directly under the prefix is a dataset named after its stem)',
  );
}
