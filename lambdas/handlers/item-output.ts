/*
 * What the whole-key conversion (convert-item.ts) and a split key's join (convert-ranged.ts) share about
 * an output: its metadata, the item record, the options it is converted with, whether it is current, and
 * what precedes its appearance (the dataset schema, the rejects) and the appearance itself.
 */
import type { ConvertOptions } from '../core/model/options';
import type { TableColumn } from '../core/model/schema';
import type { ObjectStore, ObjectWriter } from '../io/object-store';
import {
  mergeColumns,
  readDatasetSchema,
  recordNameFor,
  schemaFingerprint,
  tableLayoutOf,
  widenDatasetSchema,
  type DatasetSchema,
} from '../lake/dataset-schema';
import type { ConverterConfig } from '../shared/config';
import type { ConvertItem, ConvertResult } from '../shared/payloads';
import { itemRecordKey } from '../shared/run-keys';

/** Written into each output's metadata; a different version re-converts everything. */
export const CONVERTER_VERSION = '2';

/** Metadata keys (S3 user metadata, lower-case) that make skip-unchanged possible. */
export const META = {
  SOURCE_ETAG: 'csv2lake-source-etag',
  VERSION: 'csv2lake-version',
  OPTIONS: 'csv2lake-options',
  /** The fingerprint of the columns the output holds (lambdas/lake/dataset-schema.ts). */
  SCHEMA: 'csv2lake-schema',
  /** The input key the output was converted from, URI-encoded (S3 metadata is ASCII). */
  SOURCE_KEY: 'csv2lake-source-key',
} as const;

/** Writes the record of one key in one format (`_runs/<run>/items/…`) and answers it. */
export function itemRecorder(
  store: ObjectStore,
  run: ConvertItem['run'],
  format: ConverterConfig['format'],
  key: string,
): (result: ConvertResult) => Promise<ConvertResult> {
  return async (result) => {
    await store.put(run.outputBucket, itemRecordKey(run.runId, format, key), JSON.stringify(result), {
      contentType: 'application/json',
    });
    return result;
  };
}

/** An output's metadata: what it was converted from, by which converter and options, with which columns. */
export function outputMetadata(
  key: string,
  etag: string,
  hash: string,
  columns: readonly TableColumn[],
): Record<string, string> {
  return {
    [META.SOURCE_ETAG]: etag,
    [META.VERSION]: CONVERTER_VERSION,
    [META.OPTIONS]: hash,
    [META.SCHEMA]: schemaFingerprint(columns),
    [META.SOURCE_KEY]: encodeURIComponent(key),
  };
}

/** The record of a failed attempt at a key in one format (its output key, once placed, and dataset). */
export function failedResult(
  key: string,
  format: ConverterConfig['format'],
  started: number,
  target: string,
  dataset: string | undefined,
  error: unknown,
  at: string,
): ConvertResult {
  const e = error as Error;
  return {
    key,
    format,
    status: 'failed',
    durationMs: Date.now() - started,
    outputKey: target,
    ...(dataset !== undefined ? { dataset } : {}),
    error: { type: e.name ?? 'Error', message: e.message },
    at,
  };
}

/**
 * The record of a key and format skipped because its output is current: it holds `version`, converted with
 * the dataset's stored schema (`stored`, which a current output implies).
 */
export function skippedResult(at: {
  readonly key: string;
  readonly format: ConverterConfig['format'];
  readonly started: number;
  readonly target: string;
  readonly version: string;
  readonly dataset: string;
  readonly stored: DatasetSchema;
  readonly now: string;
}): ConvertResult {
  return {
    key: at.key,
    format: at.format,
    status: 'skipped',
    durationMs: Date.now() - at.started,
    outputKey: at.target,
    sourceEtag: at.version,
    dataset: at.dataset,
    schemaFingerprint: schemaFingerprint(at.stored.columns),
    schemaVersion: at.stored.version,
    at: at.now,
  };
}

/**
 * The record of a key and format converted: its figures, its output (and rejects) and columns, the input
 * `version` it holds, and its dataset's schema after the merge (`widened`, as {@link revealOutput} gives it).
 */
export function convertedResult(at: {
  readonly key: string;
  readonly format: ConverterConfig['format'];
  readonly started: number;
  readonly rows: number;
  readonly rejectedRows: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly target: string;
  readonly rejectsKey: string | undefined;
  readonly columns: readonly TableColumn[];
  readonly version: string;
  readonly dataset: string;
  readonly widened: Awaited<ReturnType<typeof widenDatasetSchema>>;
  readonly now: string;
}): ConvertResult {
  const { widened } = at;
  return {
    key: at.key,
    format: at.format,
    status: 'converted',
    rows: at.rows,
    rejectedRows: at.rejectedRows,
    bytesIn: at.bytesIn,
    bytesOut: at.bytesOut,
    durationMs: Date.now() - at.started,
    outputKey: at.target,
    ...(at.rejectsKey !== undefined ? { rejectsKey: at.rejectsKey } : {}),
    columns: at.columns,
    sourceEtag: at.version,
    dataset: at.dataset,
    schemaFingerprint: schemaFingerprint(at.columns),
    schemaVersion: widened.schema.version,
    ...(widened.changes.length > 0 ? { schemaChanges: widened.changes } : {}),
    at: at.now,
  };
}

/**
 * Whether an output's metadata says it holds `version` of its input, converted by this converter version
 * with these options and with its dataset's current schema: then the item is skipped.
 */
export function isCurrentOutput(
  meta: Readonly<Record<string, string>>,
  version: string,
  hash: string,
  storedPrint: string | undefined,
): boolean {
  return (
    meta[META.SOURCE_ETAG] === version &&
    meta[META.VERSION] === CONVERTER_VERSION &&
    meta[META.OPTIONS] === hash &&
    storedPrint !== undefined &&
    meta[META.SCHEMA] === storedPrint
  );
}

/**
 * The core's options of one key's conversion in one format: the converters' CSV options and limits, the
 * schema file's pinned columns, and the dataset's stored schema as the table floor (a new dataset: none).
 * Shared by the whole-key conversion and the range items and joins (lambdas/handlers/convert-ranged.ts).
 */
export function conversionOptions(
  config: ConverterConfig,
  format: ConverterConfig['format'],
  pinned: ConvertOptions['schema'] | undefined,
  stored: Awaited<ReturnType<typeof readDatasetSchema>>,
  dataset: string,
  onOpen?: ConvertOptions['onOpen'],
): ConvertOptions {
  return {
    ...config.csv,
    formats: [format],
    nullTokens: config.nullTokens,
    maxRejects: config.maxRejects,
    ...config.limits,
    ...(pinned ? { schema: pinned } : {}),
    table: stored ? tableLayoutOf(stored.schema) : { recordName: recordNameFor(dataset), columns: [] },
    ...(onOpen ? { onOpen } : {}),
  };
}

/**
 * Whether a file's columns add nothing to the stored schema (same partition columns, no new column, no
 * wider type): then there is nothing to write, and nothing to read again either.
 */
export function fitsStored(
  stored: DatasetSchema | undefined,
  columns: readonly TableColumn[],
  partitions: readonly string[],
): stored is DatasetSchema {
  return (
    stored !== undefined &&
    stored.partitions.length === partitions.length &&
    stored.partitions.every((p, i) => p === partitions[i]) &&
    mergeColumns(stored.columns, columns).changes.length === 0
  );
}

/**
 * Makes a converted output appear, after what must precede it: the dataset's schema takes the output's
 * columns (a conditional write) so that an output never holds a column or a type its dataset's schema
 * lacks (a file that fits the schema read before, a usual night, fits every later version too: schemas
 * only widen, so no second read); then the rejects (completed, or a stale file deleted), since the
 * output's appearance is what marks the item done. Answers the dataset schema after the merge.
 */
export async function revealOutput(
  store: ObjectStore,
  at: {
    readonly run: ConvertItem['run'];
    readonly key: string;
    readonly place: {
      readonly dataset: string;
      readonly rejectsTarget: string;
      readonly writesRejects: boolean;
    };
    readonly partitions: readonly string[];
    readonly stored: DatasetSchema | undefined;
    readonly columns: readonly TableColumn[];
    readonly rejects: ObjectWriter | undefined;
    readonly output: { complete(): Promise<unknown> };
    readonly now: string;
  },
): ReturnType<typeof widenDatasetSchema> {
  const { run, place, partitions, stored, columns } = at;
  const widened = fitsStored(stored, columns, partitions)
    ? { schema: stored, changes: [] }
    : await widenDatasetSchema(store, run.outputBucket, place.dataset, {
        columns,
        partitions,
        runId: run.runId,
        key: at.key,
        at: at.now,
      });
  if (at.rejects) await at.rejects.complete();
  else if (place.writesRejects) await store.delete(run.outputBucket, place.rejectsTarget);
  await at.output.complete();
  return widened;
}
