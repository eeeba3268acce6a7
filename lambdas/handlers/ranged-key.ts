/*
 * What a split key's range item and its join both start with (lambdas/handlers/convert-ranged.ts): where the
 * key's outputs go, its pinned and stored schemas and options, its reader and parts folder (a local folder
 * read in place, or S3 by ranged GETs and copies), and the checks of a retry's item.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { readDatasetSchema, schemaFingerprint } from '../lake/dataset-schema';
import { placeOutputs } from '../lake/output-placement';
import { converterOptionsHash } from '../lake/plan-fingerprint';
import { loadSchema } from '../lake/schema-file';
import { folderParts, s3Parts } from '../ranges/part-store';
import { fileReader, s3RangeReader } from '../ranges/range-reader';
import type { ConverterConfig } from '../shared/config';
import { InputChangedError, InputMissingError, InvalidOptionsError } from '../shared/errors';
import type { ConvertItem, JoinItem, RunContext } from '../shared/payloads';
import { rangePartsPrefix } from '../shared/run-keys';
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
