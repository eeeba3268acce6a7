/*
 * The schema file (`schemaLocation`, or `--schema` for a local run), read in one way for everyone: the
 * converters (through the per-container cache, {@link loadSchema}) and the planner and reducer (through
 * their fingerprint, lambdas/lake/plan-fingerprint.ts), so that both see the same version and the same
 * document. A file pins columns for every dataset (`{"columns": {...}}`) or per dataset
 * (`{"datasets": {"orders": {"columns": {...}}}}`); lambdas/lake/dataset-schema.ts says what it pins.
 */
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { SchemaFile } from '../core/model/options';
import type { ObjectStore } from '../io/object-store';
import { InvalidOptionsError, SchemaMismatchError } from '../shared/errors';
import { pinnedDatasetSchema } from './dataset-schema';

/** A schema file that is there: the version seen (its ETag, or a local file's size and mtime) and how to read it. */
export interface FoundSchemaFile {
  readonly found: true;
  readonly version: string;
  /** The text of the version seen (an S3 GET pinned to its ETag: a file replaced since fails, never mixes). */
  read(): Promise<string>;
}

/** No schema file: nothing at the location (`missing`), or a location that is neither form (`invalid`). */
export interface AbsentSchemaFile {
  readonly found: false;
  readonly version: 'missing' | 'invalid';
  /** What is wrong and what to do. */
  readonly message: string;
}

/**
 * Where the schema file at `location` is (`s3://bucket/key`, or an absolute path for a local run) and which
 * version it has: one HEAD (or stat), no read.
 */
export async function findSchemaFile(
  store: ObjectStore,
  location: string,
): Promise<FoundSchemaFile | AbsentSchemaFile> {
  if (isAbsolute(location)) {
    const info = await stat(location).catch(() => undefined);
    if (!info?.isFile())
      return {
        found: false,
        version: 'missing',
        message: `the schema file ${location} does not exist: create it (or fix --schema)`,
      };
    return { found: true, version: `${info.size}-${info.mtimeMs}`, read: () => readFile(location, 'utf8') };
  }
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
  if (!match)
    return {
      found: false,
      version: 'invalid',
      message: `schema location must be s3://bucket/key (or, for a local run, an absolute path), not ${location}`,
    };
  const [bucket, key] = [match[1]!, match[2]!];
  const info = await store.head(bucket, key);
  if (!info)
    return {
      found: false,
      version: 'missing',
      message: `the schema file ${location} does not exist: upload it (or fix the schemaLocation), then redrive`,
    };
  return { found: true, version: info.etag, read: () => readPinned(store, bucket, key, info.etag) };
}

async function readPinned(store: ObjectStore, bucket: string, key: string, etag: string): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const part of await store.get(bucket, key, { ifMatch: etag })) parts.push(part);
  return Buffer.concat(parts).toString('utf8');
}

/** A schema file's text as a JSON document, or why it is none (what it pins is pinnedDatasetSchema's to say). */
export function schemaDocument(location: string, text: string): { doc: unknown } | { error: string } {
  try {
    return { doc: JSON.parse(text) as unknown };
  } catch (error) {
    return {
      error: `${location} is not valid JSON (${(error as Error).message}); expected {"columns": {"name": "type"}}`,
    };
  }
}

/** A schema file as last read by this container, with the version it had then. */
interface CachedSchema {
  readonly version: string;
  readonly doc: unknown;
  /** What the document pins, per dataset ('' for a run without datasets). */
  readonly pins: Map<string, SchemaFile | undefined>;
}

/** Per store (one per container, or per test), per location. */
const schemaCache = new WeakMap<ObjectStore, Map<string, CachedSchema>>();

/**
 * What the schema file at `location` pins for `dataset`, re-read whenever its version changed. A warm
 * container used to keep the first schema it read for ever, so "fix the schema, then Redrive" failed again
 * on every warm converter. The HEAD costs one request per conversion, next to the GET of the input every
 * conversion makes; the GET of the schema is pinned to the ETag the HEAD saw, so a schema replaced between
 * the two is an InputChangedError (retried), never a mix of versions.
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
  const found = await findSchemaFile(store, location);
  if (!found.found) throw new InvalidOptionsError(found.message);
  const byLocation = schemaCache.get(store) ?? schemaCache.set(store, new Map()).get(store)!;
  let cached = byLocation.get(location);
  if (cached?.version !== found.version) {
    const parsed = schemaDocument(location, await found.read());
    if ('error' in parsed) throw new SchemaMismatchError(parsed.error);
    cached = { version: found.version, doc: parsed.doc, pins: new Map() };
    byLocation.set(location, cached);
  }
  if (!cached.pins.has(dataset)) cached.pins.set(dataset, pinnedDatasetSchema(cached.doc, dataset));
  return cached.pins.get(dataset);
}
