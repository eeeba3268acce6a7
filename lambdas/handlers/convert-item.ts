import { convert as coreConvert } from '../core/convert';
import type { TableColumn } from '../core/model/schema';
import { fileSource } from '../io/convert-file';
import { pinnedObjectSource, type PinnedObjectSource } from '../io/object-source';
import type { ObjectStore, ObjectWriter } from '../io/object-store';
import type { KeyThreads, ThreadedConversion } from '../ranges/item-threads';
import { readDatasetSchema, schemaFingerprint } from '../lake/dataset-schema';
import { placeOutputs, refuseCollision, refusePartitionClash } from '../lake/output-placement';
import { converterOptionsHash } from '../lake/plan-fingerprint';
import { loadSchema } from '../lake/schema-file';
import type { ConverterConfig } from '../shared/config';
import { InputMissingError, InputTooLargeError, InvalidOptionsError } from '../shared/errors';
import type { ConvertItem, ConvertResult } from '../shared/payloads';
import { itemRecordKey, rangePartsPrefix } from '../shared/run-keys';
import { DeferredOutput, DISCARD } from './deferred-output';
import { getVersion, unchangedSince } from './input-version';
import {
  conversionOptions,
  convertedResult,
  failedResult,
  isCurrentOutput,
  itemRecorder,
  META,
  outputMetadata,
  revealOutput,
  skippedResult,
} from './item-output';

/** Error type of the record left by a conversion that started and never ended (timeout, crash). */
export const INCOMPLETE_ERROR = 'ConversionIncomplete';

/**
 * Inputs from this size on get a "started, never finished" record before they are read. A smaller one
 * converts in tens of milliseconds: a timeout cannot strike it, and a crash that quick is reported by the
 * map's result for its child. The record would cost more than the conversion: a PUT of 20-30 ms on S3, a
 * new file in a local run.
 */
export const STARTED_RECORD_MIN_BYTES = 1 << 20;

/** What a converter needs; injected so tests and the local runner bring their own. */
export interface ConverterDeps {
  readonly store: ObjectStore;
  readonly config: ConverterConfig;
  readonly convert?: typeof coreConvert;
  readonly now?: () => Date;
  /** Remaining milliseconds of the invocation (Lambda context), to refuse files that cannot finish. */
  readonly remainingMs?: () => number;
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
  /**
   * Converts a large uncompressed S3 key on several threads (lambdas/ranges/item-threads.ts). @default none:
   * one thread
   */
  readonly threads?: KeyThreads;
}

export { itemRecordKey };
// Their home is item-output.ts; many callers know them from here.
export { CONVERTER_VERSION, META } from './item-output';
export { conversionOptions, failedResult, fitsStored, isCurrentOutput } from './item-output';

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
  const now = () => (deps.now ?? (() => new Date()))().toISOString();
  const record = itemRecorder(store, run, format, item.key);
  // Known once the key is placed; a key the pattern cannot place fails with an empty output key.
  let target = '';
  let dataset: string | undefined;

  try {
    const place = placeOutputs(item, format, prefix);
    dataset = place.dataset;
    target = place.target;
    const { rejectsTarget, writesRejects, partitions } = place;
    const pinned = await loadSchema(store, config.schemaLocation, place.dataset);
    // One definition with the planner's, which must decide "unchanged" exactly as this skip does.
    const hash = converterOptionsHash(config, pinned);
    // The dataset's stored schema: the floor this file's types widen from, and what a current output holds.
    const stored = await readDatasetSchema(store, run.outputBucket, place.dataset);
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
    if (existing && stored && isCurrentOutput(meta, version, hash, storedPrint))
      return await record(
        skippedResult({
          key: item.key,
          format,
          started,
          target,
          version,
          dataset: place.dataset,
          stored: stored.schema,
          now: now(),
        }),
      );

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
        dataset: place.dataset,
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
    const sourceEtag = () => localInfo?.etag ?? threaded?.etag ?? remote?.etag ?? version;
    // The columns the writers hold, told by the conversion before its first byte (and again after a reset):
    // the output's metadata names them, so that a later run knows whether it is current.
    let writing: readonly TableColumn[] = [];
    const metadata = (etag: string) => outputMetadata(item.key, etag, hash, writing);
    const output = new DeferredOutput(() =>
      store.createWriter(run.outputBucket, target, {
        metadata: metadata(sourceEtag()),
        contentType: 'application/octet-stream',
      }),
    );
    let rejects: ObjectWriter | undefined;
    const openRejects = () =>
      writesRejects
        ? (rejects = store.createWriter(run.outputBucket, rejectsTarget, { contentType: 'text/csv' }))
        : DISCARD;
    // A key converted on several threads: its output is joined, in place, and appears when completed.
    let threaded: ThreadedConversion | undefined;
    try {
      const options = conversionOptions(config, format, pinned, stored, place.dataset, (schema) => {
        writing = schema.columns.map((c) => ({ name: c.name, type: c.type }));
      });
      threaded =
        deps.threads && !local
          ? await deps.threads.convert(store, {
              bucket: item.bucket,
              key: item.key,
              listedSize: item.size,
              version,
              current: item.current === true,
              format,
              options,
              output: {
                bucket: run.outputBucket,
                key: target,
                metadata: (columns, etag) => {
                  writing = columns;
                  return metadata(etag);
                },
              },
              rejects: openRejects,
              parts: { bucket: run.outputBucket, prefix: rangePartsPrefix(run.runId, format, item.key) },
              // A range's data error is found again by one thread (its true line) while it still fits.
              oneThreadFits: () => {
                const left = deps.remainingMs?.();
                return left === undefined || (item.size / 1e6 / config.throughputMBps) * 1000 <= left * 0.8;
              },
            })
          : undefined;
      let summary;
      if (threaded)
        summary = {
          ...threaded.summary,
          bytesIn: threaded.bytesIn,
          bytesOut: { [format]: threaded.summary.bytesOut },
        };
      else
        try {
          summary = await (deps.convert ?? coreConvert)(
            source,
            { [format]: output, rejects: openRejects },
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
      refusePartitionClash(item, columns, partitions);
      const widened = await revealOutput(store, {
        run,
        key: item.key,
        place,
        partitions,
        stored: stored?.schema,
        columns,
        rejects,
        output: threaded ? threaded.output : output,
        now: now(),
      });
      deps.log?.('converted', {
        key: item.key,
        format,
        rows: summary.rows,
        rejectedRows: summary.rejectedRows,
      });
      return await record(
        convertedResult({
          key: item.key,
          format,
          started,
          rows: summary.rows,
          rejectedRows: summary.rejectedRows,
          bytesIn: summary.bytesIn,
          bytesOut: summary.bytesOut[format] ?? 0,
          target,
          rejectsKey: rejects ? rejectsTarget : undefined,
          columns,
          version: sourceEtag(),
          dataset: place.dataset,
          widened,
          now: now(),
        }),
      );
    } catch (error) {
      await Promise.allSettled([
        output.abort(),
        ...(threaded ? [threaded.output.abort()] : []),
        ...(rejects ? [(rejects as ObjectWriter).abort()] : []),
      ]);
      throw error;
    }
  } catch (error) {
    await record(failedResult(item.key, format, started, target, dataset, error, now())).catch(
      () => undefined, // the original error matters more than a failed record
    );
    throw error;
  }
}
