import type { ByteSink } from '../core/model/sink';
import { isNotFound } from './s3-answers';

/** What a store knows about one object. */
export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  /** The ETag as the store reports it, quotes included (as S3 and Step Functions' ItemReader give it). */
  readonly etag: string;
  readonly lastModified?: Date;
  /** User metadata (S3 `x-amz-meta-*`), keys lower-case. Only `head` fills it. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** An object's body, as a stream of chunks, and the ETag of the version being read, when the store says. */
export interface ObjectBody extends AsyncIterable<Uint8Array> {
  readonly etag?: string;
}

/** One page of a listing. */
export interface ObjectPage {
  readonly objects: readonly ObjectInfo[];
  /** Present when there are more pages. */
  readonly nextToken?: string;
}

/** Options for a new object. */
export interface PutOptions {
  readonly contentType?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  /**
   * Write only if the object's current ETag is this one (S3 conditional write); otherwise the write fails
   * with {@link WriteConflictError} and changes nothing. @default unconditional
   */
  readonly ifMatch?: string;
  /** `'*'`: write only if no object exists at the key; otherwise {@link WriteConflictError}. @default unconditional */
  readonly ifNoneMatch?: '*';
}

/**
 * A streaming upload: bytes are written as they come; the object becomes visible only on `complete`
 * (S3: multipart upload completed; filesystem: temp file renamed). `abort` discards everything written:
 * an object is either complete or absent.
 */
export interface ObjectWriter extends ByteSink {
  complete(): Promise<ObjectInfo>;
  abort(): Promise<void>;
  /** Bytes written so far. */
  readonly bytesWritten: number;
}

/** Options of {@link ObjectStore.get}. */
export interface GetOptions {
  /** The ETag (quotes included) of the only version to read. */
  readonly ifMatch?: string;
}

/**
 * The object storage csv2lake reads and writes: S3 (or any S3-compatible server) on AWS and locally,
 * or a folder on disk. Keys use `/` as separator on every implementation.
 */
export interface ObjectStore {
  /** Metadata of an object, or undefined when it does not exist. */
  head(bucket: string, key: string): Promise<ObjectInfo | undefined>;
  /**
   * The object's body as a stream of chunks, with its version's ETag. Throws when it does not exist.
   * @param options.ifMatch read only the version with this ETag. @default the current version
   * @throws InputChangedError when `ifMatch` is given and the object is now another version
   */
  get(bucket: string, key: string, options?: GetOptions): Promise<ObjectBody>;
  /** One page of keys under a prefix, in lexicographic order, at most `maxKeys` (default 1000). */
  list(bucket: string, prefix: string, options?: { token?: string; maxKeys?: number }): Promise<ObjectPage>;
  /** Writes a whole small object at once. */
  put(bucket: string, key: string, body: Uint8Array | string, options?: PutOptions): Promise<ObjectInfo>;
  /** Starts a streaming, atomic upload. */
  createWriter(bucket: string, key: string, options?: PutOptions): ObjectWriter;
  /** Deletes an object; no error when it is absent. */
  delete(bucket: string, key: string): Promise<void>;
  /**
   * Optional: deletes objects of one bucket in fewer requests than a `delete` each (S3: DeleteObjects, up to
   * 1,000 keys a request); no error for an absent key. Every key is tried; a key that could not be deleted
   * is retried and then thrown as its `delete` would have been. Call it through {@link deleteObjects}.
   * @throws the error of a key that could not be deleted (S3TransientError when a retry may help)
   */
  deleteMany?(bucket: string, keys: readonly string[]): Promise<void>;
  /** Optional: the local file holding an object, when the store is a folder (no need to spool it). */
  localFile?(bucket: string, key: string): string | undefined;
}

/**
 * Deletes `keys` of one bucket with the store's {@link ObjectStore.deleteMany}, else a `delete` each (a
 * folder, a store without batches): every key is tried before the first failure is thrown.
 */
export async function deleteObjects(
  store: ObjectStore,
  bucket: string,
  keys: readonly string[],
): Promise<void> {
  if (keys.length === 0) return;
  if (store.deleteMany) return store.deleteMany(bucket, keys);
  const failed = (await Promise.allSettled(keys.map((key) => store.delete(bucket, key)))).find(
    (o): o is PromiseRejectedResult => o.status === 'rejected',
  );
  if (failed) throw failed.reason;
}

/**
 * Whether a store's `get` failed because the object does not exist, looked for through `cause`: S3's
 * `NoSuchKey` (inside S3ObjectStore's InputMissingError), a file's `ENOENT`. Lets a reader of an object that
 * may be absent GET it without a HEAD first.
 */
export function isAbsentObject(error: unknown): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; depth++) {
    if (isNotFound(e) || e.code === 'ENOENT') return true;
    e = e.cause as typeof e;
  }
  return false;
}

/** A conditional write's condition did not hold (S3 412 Precondition Failed, or 409 on a concurrent one). */
export class WriteConflictError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WriteConflictError';
  }
}
