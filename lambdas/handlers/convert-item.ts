import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { convert as coreConvert } from '../core/convert';
import type { ConvertOptions, OutputFormat, SchemaFile } from '../core/model/options';
import type { ObjectBody, ObjectStore, ObjectWriter } from '../io/object-store';
import { CSV_SUFFIXES, isCsvKey } from '../io/object-key';
import {
  mergeColumns,
  readDatasetSchema,
  recordNameFor,
  schemaFingerprint,
  tableLayoutOf,
  pinnedDatasetSchema,
  widenDatasetSchema,
  type DatasetSchema,
} from '../lake/dataset-schema';
import { converterOptionsHash } from '../lake/plan-fingerprint';
import { dataKey, DEFAULT_DATASET_PATTERN, locateKey, rejectsKey, type DatasetLayout } from '../lake/layout';
import type { TableColumn } from '../core/model/schema';
import { DeferredOutput, DISCARD } from './deferred-output';
import { fileSource } from '../io/convert-file';
import { pinnedObjectSource, type PinnedObjectSource } from '../io/object-source';
import type { ConverterConfig } from '../shared/config';
import {
  BatchItemsFailedError,
  DatasetLayoutError,
  InputChangedError,
  InputMissingError,
  InvalidOptionsError,
  InputTooLargeError,
  MAX_KEY_BYTES,
  OutputKeyTooLongError,
  S3TransientError,
  SchemaMismatchError,
} from '../shared/errors';
import type { ConvertBatch, ConvertItem, ConvertResult, RunContext } from '../shared/payloads';

/** Written into each output's metadata; a different version re-converts everything. */
export const CONVERTER_VERSION = '2';

/** Error type of the record left by a conversion that started and never ended (timeout, crash). */
export const INCOMPLETE_ERROR = 'ConversionIncomplete';

/**
 * Inputs from this size on get a "started, never finished" record before they are read. A smaller one
 * converts in tens of milliseconds: a timeout cannot strike it, and a crash that quick is reported by the
 * map's result for its child. The record would cost more than the conversion: a PUT of 20-30 ms on S3, a
 * new file in a local run.
 */
export const STARTED_RECORD_MIN_BYTES = 1 << 20;

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

/** What a converter needs; injected so tests and the local runner bring their own. */
export interface ConverterDeps {
  readonly store: ObjectStore;
  readonly config: ConverterConfig;
  readonly convert?: typeof coreConvert;
  readonly now?: () => Date;
  /** Remaining milliseconds of the invocation (Lambda context), to refuse files that cannot finish. */
  readonly remainingMs?: () => number;
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
}

/** The record of one item and format: `_runs/<runId>/items/<format>/<sha1 of key>.json`. */
export function itemRecordKey(runId: string, format: OutputFormat, key: string): string {
  return `_runs/${runId}/items/${format}/${createHash('sha1').update(key).digest('hex')}.json`;
}

/** A schema file as last read by this container, with the ETag it had then. */
interface CachedSchema {
  readonly etag: string;
  readonly doc: unknown;
  /** What the document pins, per dataset ('' for a run without datasets). */
  readonly pins: Map<string, SchemaFile | undefined>;
}

/** Per store (one per container, or per test), per location. */
const schemaCache = new WeakMap<ObjectStore, Map<string, CachedSchema>>();

/**
 * The schema file at `location` (`s3://bucket/key`, or an absolute path for a local run), re-read whenever
 * its ETag changed. A warm container used to keep the first schema it read for ever, so "fix the schema,
 * then Redrive" failed again on every warm converter. The HEAD costs one request per conversion, next to
 * the GET of the input every conversion makes; the GET of the schema is pinned to the ETag the HEAD saw, so
 * a schema replaced between the two is an InputChangedError (retried), never a mix of versions.
 *
 * The file pins columns for every dataset (`{"columns": {...}}`) or per dataset
 * (`{"datasets": {"orders": {"columns": {...}}}}`): what it pins for `dataset` is returned.
 *
 * @throws InvalidOptionsError when the location is neither form or nothing is there
 * @throws SchemaMismatchError when the file is not a schema file
 */
export async function loadSchema(
  store: ObjectStore,
  location: string | undefined,
  dataset = '',
): Promise<SchemaFile | undefined> {
  if (!location) return undefined;
  const found = await locateSchema(store, location);
  const byLocation = schemaCache.get(store) ?? schemaCache.set(store, new Map()).get(store)!;
  let cached = byLocation.get(location);
  if (cached?.etag !== found.etag) {
    const text = await found.read();
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (error) {
      throw new SchemaMismatchError(
        `${location} is not valid JSON (${(error as Error).message}); expected {"columns": {"name": "type"}}`,
      );
    }
    cached = { etag: found.etag, doc, pins: new Map() };
    byLocation.set(location, cached);
  }
  if (!cached.pins.has(dataset)) cached.pins.set(dataset, pinnedDatasetSchema(cached.doc, dataset));
  return cached.pins.get(dataset);
}

/** Where a schema file is and how to read the version seen. */
async function locateSchema(
  store: ObjectStore,
  location: string,
): Promise<{ readonly etag: string; read(): Promise<string> }> {
  if (isAbsolute(location)) {
    const info = await stat(location).catch(() => undefined);
    if (!info?.isFile())
      throw new InvalidOptionsError(
        `the schema file ${location} does not exist: create it (or fix --schema)`,
      );
    return { etag: `${info.size}-${info.mtimeMs}`, read: () => readFile(location, 'utf8') };
  }
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
  if (!match)
    throw new InvalidOptionsError(
      `schema location must be s3://bucket/key (or, for a local run, an absolute path), not ${location}`,
    );
  const [bucket, key] = [match[1]!, match[2]!];
  const info = await store.head(bucket, key);
  if (!info)
    throw new InvalidOptionsError(
      `the schema file ${location} does not exist: upload it (or fix the schemaLocation), then redrive`,
    );
  return { etag: info.etag, read: () => readPinned(store, bucket, key, info.etag) };
}

async function readPinned(store: ObjectStore, bucket: string, key: string, etag: string): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const part of await store.get(bucket, key, { ifMatch: etag })) parts.push(part);
  return Buffer.concat(parts).toString('utf8');
}

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

/**
 * Converts one input object to one format, the work of each converter Lambda:
 * 1. HEAD the output; if its metadata records the same source ETag, converter version and options, the
 *    item is skipped without reading the input.
 * 2. Otherwise convert the input as it streams from the store (a second pass, when the type guess fails,
 *    GETs it again pinned to the version first read: see {@link pinnedObjectSource}; nothing is stored on
 *    local disk, so no disk bounds the size, only the time limit), and upload the output (and rejects) as
 *    atomic multipart uploads carrying that metadata; on any failure the uploads are aborted.
 * 3. Record the result under `_runs/<runId>/items/` (also for a failure, then rethrow), so the reducer
 *    accounts for every item across retries and redrives. For an input of at least
 *    {@link STARTED_RECORD_MIN_BYTES}, a record saying "started, never finished" is written before the
 *    input is read and overwritten at the end, so a timeout or crash is accounted too, even by a reducer
 *    that has no map results (the execution-status rule's).
 */
export async function convertItem(deps: ConverterDeps, item: ConvertItem): Promise<ConvertResult> {
  const started = Date.now();
  const { store, config } = deps;
  const format = config.format;
  const run = item.run;
  const prefix = run.outputPrefixes[format];
  if (prefix === undefined)
    throw new InvalidOptionsError(
      `run ${run.runId} writes ${Object.keys(run.outputPrefixes).join(' and ') || 'no format'}, not ${format} ` +
        `(its outputPrefixes has no ${format}): this ${format} converter was invoked for a run it is not part of`,
    );
  const layout = runLayout(run);
  const now = () => (deps.now ?? (() => new Date()))().toISOString();
  const record = async (result: ConvertResult) => {
    await store.put(run.outputBucket, itemRecordKey(run.runId, format, item.key), JSON.stringify(result), {
      contentType: 'application/json',
    });
    return result;
  };
  // Known once the key is placed; a key the pattern cannot place fails with an empty output key.
  let target = '';
  let dataset: string | undefined;

  try {
    const location = locateKey(item.key, layout);
    dataset = location.dataset;
    target = dataKey(location, prefix, format, layout.suffixes);
    const rejectsTarget = rejectsKey(location, layout.suffixes);
    const writesRejects = rejectsFormat(run) === format;
    const partitions = location.partitions.map((p) => p.name);
    // S3 answers a longer key with a bare KeyTooLongError after the work is done: refuse it first, for the
    // rejects key too (rows may be rejected), naming both ends of the key.
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
    const pinned = await loadSchema(store, config.schemaLocation, location.dataset);
    // One definition with the planner's, which must decide "unchanged" exactly as this skip does.
    const hash = converterOptionsHash(config, pinned);
    // The dataset's stored schema: the floor this file's types widen from, and what a current output holds.
    const stored = await readDatasetSchema(store, run.outputBucket, location.dataset);
    const storedPrint = stored ? schemaFingerprint(stored.schema.columns) : undefined;
    // The version to convert: the listed one, unless the item asks for the current one (the retry map's
    // items: their listing may be older than the file).
    const current = item.current ? await store.head(item.bucket, item.key) : undefined;
    // The retry map's items (and a redrive's): a file deleted since the run listed it cannot be converted
    // by any attempt of this run, so say what to do instead.
    if (item.current && !current)
      throw new InputMissingError(
        `${store.localFile?.(item.bucket, item.key) ?? `s3://${item.bucket}/${item.key}`} no longer exists: it was ` +
          'deleted after this run listed it, so no retry or redrive of this run can convert it; restore it and ' +
          'redrive, or leave this run FAILED: the next run does not list it',
      );
    const version = current?.etag ?? item.etag;
    const existing = await store.head(run.outputBucket, target);
    const meta = existing?.metadata ?? {};
    await refuseCollision(store, item, target, meta[META.SOURCE_KEY]);
    if (
      existing &&
      meta[META.SOURCE_ETAG] === version &&
      meta[META.VERSION] === CONVERTER_VERSION &&
      meta[META.OPTIONS] === hash &&
      storedPrint !== undefined &&
      meta[META.SCHEMA] === storedPrint
    ) {
      return await record({
        key: item.key,
        format,
        status: 'skipped',
        durationMs: Date.now() - started,
        outputKey: target,
        sourceEtag: version,
        dataset: location.dataset,
        schemaFingerprint: storedPrint,
        schemaVersion: stored!.schema.version,
        at: now(),
      });
    }

    const remaining = deps.remainingMs?.();
    if (remaining !== undefined) {
      const neededMs = (item.size / 1e6 / config.throughputMBps) * 1000;
      if (neededMs > remaining * 0.8) {
        throw new InputTooLargeError(
          `s3://${item.bucket}/${item.key} is ${(item.size / 1e6).toFixed(0)} MB: at ~${config.throughputMBps} MB/s it needs ` +
            `~${Math.ceil(neededMs / 1000)} s but the function has ${Math.floor(remaining / 1000)} s; raise the converter's ` +
            `timeout/memory or split the file`,
        );
      }
    }

    // Overwritten when this attempt ends; left as it is when the function times out or crashes, so that
    // the report accounts for that format even when no map result tells (a rule-invoked reducer has none).
    if (item.size >= STARTED_RECORD_MIN_BYTES)
      await record({
        key: item.key,
        format,
        status: 'failed',
        durationMs: 0,
        outputKey: target,
        dataset: location.dataset,
        error: {
          type: INCOMPLETE_ERROR,
          message: `the ${format} conversion started at ${now()} and never finished: the function timed out or crashed (see its logs)`,
        },
        at: now(),
      });

    // A local folder is read in place; an S3 object as it streams, each pass a GET of one version. Nothing
    // is copied to local disk: spooled to Lambda's /tmp (512 MB unless configured), larger files failed.
    const local = store.localFile?.(item.bucket, item.key);
    // The version of a file read in place is the one it has as the conversion starts.
    const localInfo = local ? await store.head(item.bucket, item.key) : undefined;
    if (local && !localInfo) {
      throw new InputMissingError(`${local} no longer exists (deleted after it was listed?)`);
    }
    const remote: PinnedObjectSource | undefined = local
      ? undefined
      : pinnedObjectSource(store, item.bucket, item.key, () => getVersion(store, item, version));
    const source = local ? fileSource(local) : remote!;
    // The version read, which an object replaced since the listing makes newer than `item.etag`: the output
    // must say what it was converted from. Known from the first GET's answer, before the first byte written.
    const sourceEtag = () => localInfo?.etag ?? remote?.etag ?? version;
    // The columns the writers hold, told by the conversion before its first byte (and again after a reset):
    // the output's metadata names them, so that a later run knows whether it is current.
    let writing: readonly TableColumn[] = [];
    const output = new DeferredOutput(() =>
      store.createWriter(run.outputBucket, target, {
        metadata: {
          [META.SOURCE_ETAG]: sourceEtag(),
          [META.VERSION]: CONVERTER_VERSION,
          [META.OPTIONS]: hash,
          [META.SCHEMA]: schemaFingerprint(writing),
          [META.SOURCE_KEY]: encodeURIComponent(item.key),
        },
        contentType: 'application/octet-stream',
      }),
    );
    let rejects: ObjectWriter | undefined;
    try {
      const options: ConvertOptions = {
        ...config.csv,
        formats: [format],
        nullTokens: config.nullTokens,
        maxRejects: config.maxRejects,
        ...config.limits,
        ...(pinned ? { schema: pinned } : {}),
        table: stored
          ? tableLayoutOf(stored.schema)
          : { recordName: recordNameFor(location.dataset), columns: [] },
        onOpen: (schema) => {
          writing = schema.columns.map((c) => ({ name: c.name, type: c.type }));
        },
      };
      let summary;
      try {
        summary = await (deps.convert ?? coreConvert)(
          source,
          {
            [format]: output,
            rejects: () =>
              writesRejects
                ? (rejects = store.createWriter(run.outputBucket, rejectsTarget, { contentType: 'text/csv' }))
                : DISCARD,
          },
          options,
        );
      } catch (error) {
        // A file rewritten while it was read fails in any way (a torn row, a short file): say so instead.
        if (local) await unchangedSince(store, item, local, sourceEtag(), error);
        // A body that broke ended its read early (see pinnedObjectSource): the conversion failed of that,
        // whatever error the short read then made it throw.
        throw remote?.failure ?? error;
      }
      if (local) await unchangedSince(store, item, local, sourceEtag());
      // A conversion of a read that ended early (the body broke) must not pass for the whole file's.
      if (remote?.failure) throw remote.failure;
      const columns = summary.columns.map((c) => ({ name: c.name, type: c.type }));
      const clash = columns.find((c) => partitions.includes(c.name));
      if (clash)
        throw new SchemaMismatchError(
          `s3://${item.bucket}/${item.key}: column "${clash.name}" is also the partition column {${clash.name}} of the ` +
            `dataset pattern ${layout.pattern}; rename the column in the file or the part of the pattern`,
          { column: clash.name },
        );
      // The dataset's schema takes this file's columns (a conditional write) before the output appears, so
      // that an output never holds a column or a type its dataset's schema lacks. A file that fits the
      // schema read above (a usual night) fits every later version too (schemas only widen): no second read.
      const widened = fitsStored(stored?.schema, columns, partitions)
        ? { schema: stored!.schema, changes: [] }
        : await widenDatasetSchema(store, run.outputBucket, location.dataset, {
            columns,
            partitions,
            runId: run.runId,
            key: item.key,
            at: now(),
          });
      // Rejects first: the output's appearance is what marks the item done.
      if (rejects) await rejects.complete();
      else if (writesRejects) await store.delete(run.outputBucket, rejectsTarget);
      await output.complete();
      deps.log?.('converted', {
        key: item.key,
        format,
        rows: summary.rows,
        rejectedRows: summary.rejectedRows,
      });
      return await record({
        key: item.key,
        format,
        status: 'converted',
        rows: summary.rows,
        rejectedRows: summary.rejectedRows,
        bytesIn: summary.bytesIn,
        bytesOut: summary.bytesOut[format] ?? 0,
        durationMs: Date.now() - started,
        outputKey: target,
        ...(rejects ? { rejectsKey: rejectsTarget } : {}),
        columns,
        sourceEtag: sourceEtag(),
        dataset: location.dataset,
        schemaFingerprint: schemaFingerprint(columns),
        schemaVersion: widened.schema.version,
        ...(widened.changes.length > 0 ? { schemaChanges: widened.changes } : {}),
        at: now(),
      });
    } catch (error) {
      await Promise.allSettled([output.abort(), ...(rejects ? [(rejects as ObjectWriter).abort()] : [])]);
      throw error;
    }
  } catch (error) {
    const e = error as Error;
    await record({
      key: item.key,
      format,
      status: 'failed',
      durationMs: Date.now() - started,
      outputKey: target,
      ...(dataset !== undefined ? { dataset } : {}),
      error: { type: e.name ?? 'Error', message: e.message },
      at: now(),
    }).catch(() => undefined); // the original error matters more than a failed record
    throw error;
  }
}

/**
 * Whether a file's columns add nothing to the stored schema (same partition columns, no new column, no
 * wider type): then there is nothing to write, and nothing to read again either.
 */
function fitsStored(
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
 * Refuses to overwrite an output converted from another input that still exists. Output names are injective
 * over the keys of one dataset folder, but a file directly under the prefix is a dataset of its own named
 * after its stem, so `orders.csv` and `orders/orders.csv` both map to `parquet/orders/orders.parquet`.
 * @throws DatasetLayoutError naming both keys and what to do
 */
async function refuseCollision(
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

/** The dataset layout of a run: its own, or (a run recorded before datasets) its input prefix and the default pattern. */
export function runLayout(run: RunContext): DatasetLayout {
  return run.layout ?? { root: run.inputPrefix, pattern: DEFAULT_DATASET_PATTERN };
}

/** The format whose converter writes a file's rejected rows (one file per input): Parquet's, when it runs. */
export function rejectsFormat(run: RunContext): OutputFormat {
  return run.outputPrefixes.parquet !== undefined ? 'parquet' : 'avro';
}

/**
 * The input's body at `version`. When the object was replaced since it was listed, the current version
 * instead (unless the item asked for the current version, which has just changed again: then a later attempt
 * reads it): both formats of the child then normally read that one, and the child checks they did.
 */
async function getVersion(store: ObjectStore, item: ConvertItem, version: string): Promise<ObjectBody> {
  try {
    return await store.get(item.bucket, item.key, { ifMatch: version });
  } catch (error) {
    if (item.current || !(error instanceof InputChangedError)) throw error;
    return store.get(item.bucket, item.key);
  }
}

/**
 * Checks that a folder's file read in place is still the version the conversion started from: a file
 * rewritten meanwhile (`cat new > file`) was read torn, part one version and part the other.
 * @throws InputChangedError when it changed (with the conversion's own error as cause, if it failed)
 */
async function unchangedSince(
  store: ObjectStore,
  item: ConvertItem,
  path: string,
  version: string,
  failure?: unknown,
): Promise<void> {
  const now = await store.head(item.bucket, item.key);
  if (now?.etag === version) return;
  throw new InputChangedError(
    `${path} changed while it was converted (version ${version} when the conversion started, ` +
      `${now ? now.etag : 'deleted'} at its end), so what was read mixes two versions: nothing was written; ` +
      `a later attempt converts it whole once it stops changing`,
    failure === undefined ? {} : { cause: failure },
  );
}

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
