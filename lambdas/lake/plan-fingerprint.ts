/*
 * What the converters' skip-unchanged compares besides the source ETag and the dataset's schema: their
 * version and their options hash, which includes what the schema file pins for the dataset. The planner
 * computes them as the converters do (lambdas/handlers/convert-item.ts) to tell an unchanged key without
 * invoking anything; the reducer computes them again when it writes the inventory, so that a deployment or a
 * schema file changed while the run converted is never recorded as what the outputs were written with.
 */
import { createHash } from 'node:crypto';
import type { SchemaFile } from '../core/model/options';
import type { ObjectStore } from '../io/object-store';
import type { ConverterConfig } from '../shared/config';
import { pinnedDatasetSchema } from './dataset-schema';
import { findSchemaFile, schemaDocument } from './schema-file';

/** The converters' view of a run's options, for every dataset. */
export interface ConverterFingerprint {
  /** The converter version (CONVERTER_VERSION) outputs are written with. */
  readonly version: string;
  /**
   * Identifies the version, the options and the schema file's version together: two fingerprints with one
   * id give every dataset the same options hash.
   */
  readonly id: string;
  /**
   * The options hash a converter writes into a dataset's outputs (`csv2lake-options`), or undefined when it
   * cannot be known here (the schema file cannot be read or is not a schema file: every conversion then
   * fails on it, and the key must be planned so that its failure is reported).
   */
  optionsHash(dataset: string): string | undefined;
}

/**
 * The options hash an output records (the converters' skip-unchanged compares it, and the plan with it):
 * the CSV options when any, the null tokens, the rejected rows tolerated and the pinned schema. A test
 * compares it with the metadata the converters write (test/unit/lake/plan-fingerprint.test.ts).
 */
export function converterOptionsHash(config: ConverterConfig, schema: SchemaFile | undefined): string {
  return createHash('sha1')
    .update(
      JSON.stringify({
        ...(Object.keys(config.csv).length > 0 ? { csv: config.csv } : {}),
        nullTokens: config.nullTokens,
        maxRejects: config.maxRejects,
        schema: schema ?? null,
      }),
    )
    .digest('hex')
    .slice(0, 16);
}

/** The schema file's version and content, read once (lambdas/lake/schema-file.ts, as the converters read it). */
async function readSchemaFile(
  store: ObjectStore,
  location: string,
): Promise<{ version: string; doc: unknown } | { version: string; error: string }> {
  const file = await findSchemaFile(store, location);
  if (!file.found) return { version: file.version, error: file.message };
  return { version: file.version, ...schemaDocument(location, await file.read()) };
}

/** Datasets whose hash is kept (a night lists datasets in key order: the same few, again and again). */
const KEPT_HASHES = 4096;

/**
 * The converters' fingerprint for a run: their version, their options, and the schema file read once (a
 * HEAD and a GET) whatever the number of datasets and keys.
 */
export async function converterFingerprint(
  store: ObjectStore,
  config: ConverterConfig,
  version: string,
): Promise<ConverterFingerprint> {
  const location = config.schemaLocation;
  // A schema file that cannot be read is a doubt, never the plan's failure: every key is planned and each
  // conversion reports what is wrong with it (a transient error is the plan's: it is retried).
  const file = location
    ? await readSchemaFile(store, location).catch((error: unknown) => {
        if ((error as Error)?.name === 'S3TransientError') throw error;
        return { version: 'unreadable', error: (error as Error)?.message ?? String(error) };
      })
    : undefined;
  const id = createHash('sha1')
    .update(
      JSON.stringify({
        version,
        csv: config.csv,
        nullTokens: config.nullTokens,
        maxRejects: config.maxRejects,
        schema: location ? [location, file!.version] : null,
      }),
    )
    .digest('hex')
    .slice(0, 16);
  const hashes = new Map<string, string | undefined>();
  return {
    version,
    id,
    optionsHash(dataset: string): string | undefined {
      if (hashes.has(dataset)) return hashes.get(dataset);
      let hash: string | undefined;
      if (!file) hash = converterOptionsHash(config, undefined);
      else if ('doc' in file) {
        try {
          hash = converterOptionsHash(config, pinnedDatasetSchema(file.doc, dataset));
        } catch {
          hash = undefined; // not a schema file: the converters fail on it
        }
      }
      if (hashes.size >= KEPT_HASHES) hashes.clear();
      hashes.set(dataset, hash);
      return hash;
    },
  };
}
