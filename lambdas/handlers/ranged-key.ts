/*
 * What a split key's range item and its join both start with (lambdas/handlers/convert-ranged.ts): where the
 * key's outputs go, its pinned and stored schemas and options, its reader and parts folder (a local folder
 * read in place, or S3 by ranged GETs and copies), and the checks of a retry's item.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { readText } from '../io/object-text';
import { readDatasetSchema, schemaFingerprint } from '../lake/dataset-schema';
import { placeOutputs } from '../lake/output-placement';
import { converterOptionsHash } from '../lake/plan-fingerprint';
import { loadSchema } from '../lake/schema-file';
import type { RangeJob } from '../ranges/part-pass';
import { folderParts, s3Parts } from '../ranges/part-store';
import { fileReader, s3RangeReader } from '../ranges/range-reader';
import { RangeNotConvertedError } from '../ranges/reconcile';
import type { ConverterConfig } from '../shared/config';
import { InputChangedError, InputMissingError, InvalidOptionsError } from '../shared/errors';
import type { ConvertItem, ConvertResult, JoinItem, RunContext } from '../shared/payloads';
import { itemRecordKey, rangePartsPrefix } from '../shared/run-keys';
import type { ConverterDeps } from './convert-item';
import { conversionOptions, isCurrentOutput } from './item-output';

/** The converter's dependencies plus, on S3, the client the ranged GETs and the multipart join use. */
export interface RangedDeps extends ConverterDeps {
  readonly s3?: () => S3Client;
}

/** The key's reader and part store: a local folder read in place, or S3 by ranged GETs and copies. */
function rangedIo(deps: RangedDeps, item: ConvertItem | JoinItem, folder: string) {
  const { store } = deps;
  const local = store.localFile?.(item.bucket, item.key);
  const partsDir = store.localFile?.(item.run.outputBucket, folder.replace(/\/$/, ''));
  if (local !== undefined && partsDir !== undefined)
    return { reader: fileReader(local, item.size), parts: folderParts(partsDir), s3: undefined };
  if (!deps.s3) throw new Error('a range item on S3 needs an S3 client (RangedDeps.s3)');
  const s3 = deps.s3();
  return {
    reader: s3RangeReader(s3, item.bucket, item.key, item.etag, item.size),
    parts: s3Parts(store, s3, item.run.outputBucket, folder),
    s3,
  };
}

/** The target of the run's format, or InvalidOptionsError when the run does not write it. */
function formatPrefix(run: RunContext, format: ConverterConfig['format']): string {
  const prefix = run.outputPrefixes[format];
  if (prefix === undefined)
    throw new InvalidOptionsError(
      `run ${run.runId} does not write ${format}: this converter was invoked for a run it is not part of`,
    );
  return prefix;
}

/** What both a range and a join read first: the placement, the pinned and stored schemas, the options. */
export async function prepareRangedKey(deps: RangedDeps, item: ConvertItem | JoinItem) {
  const { store, config } = deps;
  const place = placeOutputs(item, config.format, formatPrefix(item.run, config.format));
  const pinned = await loadSchema(store, config.schemaLocation, place.dataset);
  const stored = await readDatasetSchema(store, item.run.outputBucket, place.dataset);
  const options = conversionOptions(config, config.format, pinned, stored, place.dataset);
  const { parquetCompression, avroCodec, rowGroupBytes, avroBlockBytes } = options;
  const writer = { parquetCompression, avroCodec, rowGroupBytes, avroBlockBytes };
  const folder = rangePartsPrefix(item.run.runId, config.format, item.key);
  const hash = converterOptionsHash(config, pinned);
  return { place, pinned, stored, options, writer, folder, hash, ...rangedIo(deps, item, folder) };
}

/**
 * A retry's item (`current`): the key must still be the version the run listed, whose ranges its parts
 * hold. A split key's ranges are converted and joined from one version (every GET pinned to its ETag), so
 * a key replaced since cannot be finished by this run: say so, as convert-item.ts does for a deleted one.
 */
export async function listedVersion(deps: RangedDeps, item: ConvertItem | JoinItem): Promise<void> {
  if (!item.current) return;
  const info = await deps.store.head(item.bucket, item.key);
  const where = deps.store.localFile?.(item.bucket, item.key) ?? `s3://${item.bucket}/${item.key}`;
  if (!info)
    throw new InputMissingError(
      `${where} no longer exists: it was deleted after this run listed it, so no retry or redrive of this run ` +
        'can convert it; restore it and redrive, or leave this run FAILED: the next run does not list it',
    );
  if (info.etag !== item.etag)
    throw new InputChangedError(
      `${where} was replaced after this run listed it (ETag ${item.etag}, now ${info.etag}): its byte ranges are ` +
        'converted and joined from the version listed, so this run cannot finish it; the next run converts the new version',
    );
}

/** Whether the output of a prepared key is current (converted from `etag` with these options and schema). */
export async function currentOutput(
  deps: RangedDeps,
  p: PreparedKey,
  bucket: string,
  etag: string,
): Promise<boolean> {
  const existing = await deps.store.head(bucket, p.place.target);
  const storedPrint = p.stored ? schemaFingerprint(p.stored.schema.columns) : undefined;
  return existing !== undefined && isCurrentOutput(existing.metadata ?? {}, etag, p.hash, storedPrint);
}

/** A key prepared for its range items and join. */
export type PreparedKey = Awaited<ReturnType<typeof prepareRangedKey>>;

/**
 * A retry join (RetryJoin, after RetryFailed converted what the last join handed back) that needs a range
 * converted exactly as the last join asked: that range's child failed in RetryFailed (tolerated by
 * `toleratedFailedFiles`, or the map would have failed), so handing it back again would loop until the
 * execution's limits. The file fails instead, saying which range; a redrive or the next run converts it.
 * @throws RangeNotConvertedError when a job was handed back before and is still to do
 */
export async function refuseRepeatedHandBack(
  deps: RangedDeps,
  item: JoinItem,
  jobs: readonly RangeJob[],
): Promise<void> {
  const last = await readText(
    deps.store,
    item.run.outputBucket,
    itemRecordKey(item.run.runId, deps.config.format, item.key),
  )
    .then((text) => (JSON.parse(text) as ConvertResult).rangesToConvert)
    .catch(() => undefined); // no earlier record: nothing was handed back
  const same = (r: NonNullable<typeof last>['ranges'][number], j: RangeJob) =>
    r.index === j.index &&
    r.start === j.start &&
    (r.round ?? 1) === (j.round ?? 1) &&
    (r.exactStart ?? false) === (j.exactStart ?? false);
  const again = jobs.filter((j) => last?.ranges.some((r) => same(r, j)));
  if (again.length > 0)
    throw new RangeNotConvertedError(
      `${item.key}: range ${again.map((j) => j.index).join(', ')} of ${item.count} was converted again in ` +
        'RetryFailed and still has no part (that child failed: see its error in the Map Run); the file is not ' +
        'joined. Redrive the execution, or the next run converts it',
    );
}
