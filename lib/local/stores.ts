import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { resolve } from 'node:path';
import { FsObjectStore } from '../../lambdas/io/fs-object-store';
import { deleteObjects, type ObjectStore } from '../../lambdas/io/object-store';
import { s3ObjectStore } from '../../lambdas/io/s3-store';

/** A folder, or a bucket and prefix on an S3-compatible endpoint. */
export type Location = { kind: 'dir'; path: string } | { kind: 's3'; bucket: string; prefix: string };

/** Parses `<dir>` or `s3://bucket/prefix`. */
export function parseLocation(text: string): Location {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(text);
  return m ? { kind: 's3', bucket: m[1]!, prefix: m[2]! } : { kind: 'dir', path: resolve(text) };
}

/** Local bucket names for folder locations. */
export const INPUT_BUCKET = 'csv2lake-input';
export const OUTPUT_BUCKET = 'csv2lake-output';

class RouterStore {
  constructor(private readonly stores: Record<string, ObjectStore>) {}
  of(bucket: string): ObjectStore {
    const store = this.stores[bucket];
    if (!store) throw new Error(`local runner: no store for bucket ${bucket}`);
    return store;
  }
  asStore(): ObjectStore {
    return {
      head: (b, k) => this.of(b).head(b, k),
      get: (b, k, options) => this.of(b).get(b, k, options),
      list: (b, p, o) => this.of(b).list(b, p, o),
      put: (b, k, body, o) => this.of(b).put(b, k, body, o),
      createWriter: (b, k, o) => this.of(b).createWriter(b, k, o),
      delete: (b, k) => this.of(b).delete(b, k),
      // One DeleteObjects per 1,000 keys over S3 (a split key's parts folder), a delete each on a folder.
      deleteMany: (b, keys) => deleteObjects(this.of(b), b, keys),
      localFile: (b, k) => this.of(b).localFile?.(b, k),
    };
  }
}

export function bucketOf(location: Location, local: string): string {
  return location.kind === 's3' ? location.bucket : local;
}

/**
 * The per-item records a run writes, one per file and format (`_runs/<run id>/items/<format>/…`, see
 * itemRecordKey): a folder store packs them into journals, sparing a file creation each.
 */
const ITEM_RECORDS = /^_runs\/[^/]+\/items\//;

/** The S3 client settings of a local run: its endpoint (path-style), a region, local credentials. */
export function localS3Config(endpoint: string | undefined): S3ClientConfig {
  return {
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    region: process.env.AWS_REGION ?? 'us-east-1',
    ...(endpoint && !process.env.AWS_ACCESS_KEY_ID
      ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  };
}

/**
 * The S3 client the converters' range items and joins use in a local run (ranged GETs, UploadPartCopy),
 * with the store's settings; created on first use, so a folder run never loads the SDK.
 */
export function localS3Client(endpoint: string | undefined): () => S3Client {
  let client: S3Client | undefined;
  const load = () =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, see above
    require('../../lambdas/io/s3-object-store') as typeof import('../../lambdas/io/s3-object-store');
  return () => (client ??= load().createS3Client(localS3Config(endpoint)));
}

/** One ObjectStore over the run's input and output, folders or S3. */
export function storesFor(
  record: { input: Location; output: Location },
  endpoint: string | undefined,
): ObjectStore {
  const stores: Record<string, ObjectStore> = {};
  let s3: ObjectStore | undefined;
  const s3Store = () => (s3 ??= s3ObjectStore(localS3Config(endpoint)));
  for (const [location, local] of [
    [record.input, INPUT_BUCKET],
    [record.output, OUTPUT_BUCKET],
  ] as const) {
    if (location.kind === 'dir')
      stores[local] = new FsObjectStore({ [local]: location.path }, { packed: ITEM_RECORDS });
    else stores[location.bucket] = s3Store();
  }
  return new RouterStore(stores).asStore();
}
