import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Agent } from 'node:https';
import { ENV } from '../shared/config';
import { classifyS3Error, InputChangedError, InputMissingError, S3TransientError } from '../shared/errors';
import {
  type GetOptions,
  type ObjectBody,
  type ObjectInfo,
  type ObjectPage,
  type ObjectStore,
  type ObjectWriter,
  type PutOptions,
  WriteConflictError,
} from './object-store';

/** Parts are 8 MiB by default (S3's minimum is 5 MiB): memory per upload stays near one part. */
export const DEFAULT_PART_BYTES = 8 * 1024 * 1024;

/** S3 refuses smaller parts (except the last) when the upload completes. */
const MIN_PART_BYTES = 5 * 1024 * 1024;

/** An S3 client for Lambda: created once per container, keep-alive connections. */
export function createS3Client(config: S3ClientConfig = {}): S3Client {
  return new S3Client({
    requestHandler: { httpsAgent: new Agent({ keepAlive: true, maxSockets: 50 }) },
    ...config,
  });
}

/** S3's answer to a GET whose If-Match names another version than the current one. */
function preconditionFailed(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'PreconditionFailed' || e?.$metadata?.httpStatusCode === 412;
}

/**
 * A conditional write's request fields, from {@link PutOptions} (S3 checks them on PutObject and on
 * CompleteMultipartUpload).
 */
function conditionOf(options: PutOptions): { IfMatch?: string; IfNoneMatch?: string } {
  return {
    ...(options.ifMatch !== undefined ? { IfMatch: options.ifMatch } : {}),
    ...(options.ifNoneMatch !== undefined ? { IfNoneMatch: options.ifNoneMatch } : {}),
  };
}

/**
 * A conditional write that lost, as {@link WriteConflictError}: 412 Precondition Failed (the ETag differs,
 * or an object exists for `If-None-Match: *`), 409 ConditionalRequestConflict (another conditional write of
 * the key was in flight) and, for `If-Match`, 404 (the object was deleted since it was read). Any other
 * error is classified as usual.
 */
function writeFailure(error: unknown, options: PutOptions, what: string): unknown {
  const conditional = options.ifMatch !== undefined || options.ifNoneMatch !== undefined;
  if (conditional) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    const status = e?.$metadata?.httpStatusCode;
    if (
      preconditionFailed(error) ||
      e?.name === 'ConditionalRequestConflict' ||
      status === 409 ||
      (options.ifMatch !== undefined && notFound(error))
    ) {
      const condition =
        options.ifMatch !== undefined
          ? `If-Match ${options.ifMatch}`
          : `If-None-Match ${options.ifNoneMatch}`;
      return new WriteConflictError(
        `${what}: the condition ${condition} did not hold (${e?.name ?? status}): the object changed since ` +
          'it was read; read it again and retry',
        { cause: error },
      );
    }
  }
  return classifyS3Error(error, what);
}

function notFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

/** Options of {@link S3ObjectStore}. */
export interface S3ObjectStoreOptions {
  /**
   * How long a GET body may deliver no byte before the read is abandoned as a transient error (a stalled
   * connection would otherwise hold the function until its timeout).
   * @default CSV2LAKE_S3_IDLE_TIMEOUT_MS, else 30 s
   */
  readonly idleTimeoutMs?: number;
  /**
   * Bytes per multipart part (and the size above which an upload is multipart): at least 5 MiB, S3's
   * minimum for every part but the last. Memory per upload is about one part.
   * @default CSV2LAKE_S3_PART_BYTES, else 8 MiB
   */
  readonly partBytes?: number;
}

/** The default body idle timeout. */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/** A whole positive number from the environment, or the default when unset; loud when invalid. */
function positiveEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 1): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`${name} must be a whole number >= ${min}, not ${text}`);
  return n;
}

/**
 * An object body, read so that a broken read can never pass for a complete one: any error while streaming
 * (connection reset, checksum mismatch) is an {@link S3TransientError}, as is a body that delivers nothing
 * for `idleMs` (the connection is then destroyed) or one that ends before its Content-Length.
 */
function guardedBody(
  body: AsyncIterable<Uint8Array> & { destroy?: (error?: Error) => void },
  what: string,
  expected: number | undefined,
  idleMs: number,
): AsyncIterable<Uint8Array> {
  return {
    async *[Symbol.asyncIterator]() {
      const chunks = body[Symbol.asyncIterator]();
      let received = 0;
      let finished = false;
      try {
        for (;;) {
          let timer: NodeJS.Timeout | undefined;
          const stalled = new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              const error = new S3TransientError(
                `${what}: no data for ${idleMs / 1000} s after ${received} bytes (stalled connection); retry`,
              );
              body.destroy?.(error);
              reject(error);
            }, idleMs);
          });
          let next: IteratorResult<Uint8Array>;
          try {
            next = await Promise.race([chunks.next(), stalled]);
          } catch (error) {
            if (error instanceof S3TransientError) throw error;
            const e = error as Error;
            // Reading a body fails only on the way (network, checksum): worth a retry whatever the code.
            throw new S3TransientError(
              `${what}: the body broke after ${received} bytes: ${e.name}: ${e.message}`,
              { cause: error },
            );
          } finally {
            clearTimeout(timer);
          }
          if (next.done) break;
          received += next.value.length;
          yield next.value;
        }
        finished = true;
      } finally {
        // A reader that stops early (a failed conversion) must not leave the connection open.
        if (!finished) body.destroy?.();
      }
      if (expected !== undefined && received !== expected)
        throw new S3TransientError(
          `${what}: the body ended after ${received} of ${expected} bytes (truncated); retry`,
        );
    },
  };
}

/** {@link ObjectStore} over S3 or any S3-compatible endpoint. Transient failures become S3TransientError. */
export class S3ObjectStore implements ObjectStore {
  private readonly idleTimeoutMs: number;
  private readonly partBytes: number;

  constructor(
    private readonly s3: S3Client,
    options: S3ObjectStoreOptions = {},
  ) {
    this.idleTimeoutMs =
      options.idleTimeoutMs ?? positiveEnv(process.env, ENV.S3_IDLE_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS);
    this.partBytes =
      options.partBytes ?? positiveEnv(process.env, ENV.S3_PART_BYTES, DEFAULT_PART_BYTES, MIN_PART_BYTES);
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    try {
      const r = await this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return {
        key,
        size: r.ContentLength ?? 0,
        etag: r.ETag ?? '',
        ...(r.LastModified ? { lastModified: r.LastModified } : {}),
        metadata: r.Metadata ?? {},
      };
    } catch (error) {
      if (notFound(error)) return undefined;
      throw classifyS3Error(error, `HEAD s3://${bucket}/${key}`);
    }
  }

  async get(bucket: string, key: string, options: GetOptions = {}): Promise<ObjectBody> {
    const what = `GET s3://${bucket}/${key}`;
    let r;
    try {
      r = await this.s3.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          ...(options.ifMatch ? { IfMatch: options.ifMatch } : {}),
        }),
      );
    } catch (error) {
      if (notFound(error)) {
        throw new InputMissingError(`s3://${bucket}/${key} no longer exists (deleted after it was listed?)`);
      }
      if (preconditionFailed(error)) {
        throw new InputChangedError(
          `s3://${bucket}/${key} is no longer the version ${options.ifMatch} (replaced since it was listed)`,
        );
      }
      throw classifyS3Error(error, what);
    }
    const body = r.Body as (AsyncIterable<Uint8Array> & { destroy?: (error?: Error) => void }) | undefined;
    if (!body) throw new InputMissingError(`s3://${bucket}/${key} has no body`);
    // The ETag of the version this GET reads, which may be newer than the one listed.
    return Object.assign(guardedBody(body, what, r.ContentLength, this.idleTimeoutMs), {
      ...(r.ETag ? { etag: r.ETag } : {}),
    });
  }

  async list(
    bucket: string,
    prefix: string,
    options: { token?: string; maxKeys?: number } = {},
  ): Promise<ObjectPage> {
    try {
      const r = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          ContinuationToken: options.token,
          MaxKeys: options.maxKeys,
        }),
      );
      return {
        objects: (r.Contents ?? []).map((o) => ({
          key: o.Key!,
          size: o.Size ?? 0,
          etag: o.ETag ?? '',
          ...(o.LastModified ? { lastModified: o.LastModified } : {}),
        })),
        ...(r.IsTruncated && r.NextContinuationToken ? { nextToken: r.NextContinuationToken } : {}),
      };
    } catch (error) {
      throw classifyS3Error(error, `LIST s3://${bucket}/${prefix}`);
    }
  }

  async put(
    bucket: string,
    key: string,
    body: Uint8Array | string,
    options: PutOptions = {},
  ): Promise<ObjectInfo> {
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    if (data.length > this.partBytes) {
      // One request body stays within a part (servers cap request bodies; S3 advises multipart for large
      // objects): a large "small" object is written as a multipart upload, atomic as well.
      const writer = this.createWriter(bucket, key, options);
      try {
        await writer.write(data);
        return await writer.complete();
      } catch (error) {
        await writer.abort().catch(() => undefined); // the write's error is the one to report
        throw error;
      }
    }
    try {
      const r = await this.s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: data,
          ContentType: options.contentType,
          Metadata: options.metadata ? { ...options.metadata } : undefined,
          ...conditionOf(options),
        }),
      );
      return { key, size: data.length, etag: r.ETag ?? '' };
    } catch (error) {
      throw writeFailure(error, options, `PUT s3://${bucket}/${key}`);
    }
  }

  createWriter(bucket: string, key: string, options: PutOptions = {}): ObjectWriter {
    return new S3ObjectWriter(this, this.s3, bucket, key, options, this.partBytes);
  }

  async delete(bucket: string, key: string): Promise<void> {
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    } catch (error) {
      throw classifyS3Error(error, `DELETE s3://${bucket}/${key}`);
    }
  }
}

/**
 * A streaming upload that becomes visible only when complete: small objects are one PutObject at the end;
 * larger ones a multipart upload, part by part, completed at the end and aborted on failure or reset.
 */
class S3ObjectWriter implements ObjectWriter {
  bytesWritten = 0;
  /** Grows to one part as bytes arrive: a small output (most are) never holds a whole part's memory. */
  private buffer = new Uint8Array(0);
  private buffered = 0;
  private uploadId: string | undefined;
  private parts: { ETag: string; PartNumber: number }[] = [];

  constructor(
    private readonly store: S3ObjectStore,
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly options: PutOptions,
    private readonly partBytes: number,
  ) {}

  async write(chunk: Uint8Array): Promise<void> {
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(chunk.length - at, this.partBytes - this.buffered);
      if (this.buffered + n > this.buffer.length) {
        const grown = new Uint8Array(Math.min(this.partBytes, Math.max(64 << 10, 2 * (this.buffered + n))));
        grown.set(this.buffer.subarray(0, this.buffered));
        this.buffer = grown;
      }
      this.buffer.set(chunk.subarray(at, at + n), this.buffered);
      this.buffered += n;
      at += n;
      if (this.buffered === this.partBytes) await this.uploadPart();
    }
    this.bytesWritten += chunk.length;
  }

  private async uploadPart(): Promise<void> {
    const what = `upload s3://${this.bucket}/${this.key}`;
    try {
      if (!this.uploadId) {
        const created = await this.s3.send(
          new CreateMultipartUploadCommand({
            Bucket: this.bucket,
            Key: this.key,
            ContentType: this.options.contentType,
            Metadata: this.options.metadata ? { ...this.options.metadata } : undefined,
          }),
        );
        this.uploadId = created.UploadId!;
      }
      const PartNumber = this.parts.length + 1;
      const r = await this.s3.send(
        new UploadPartCommand({
          Bucket: this.bucket,
          Key: this.key,
          UploadId: this.uploadId,
          PartNumber,
          Body: this.buffer.subarray(0, this.buffered),
        }),
      );
      this.parts.push({ ETag: r.ETag!, PartNumber });
      this.buffered = 0;
    } catch (error) {
      throw classifyS3Error(error, what);
    }
  }

  async complete(): Promise<ObjectInfo> {
    if (!this.uploadId) {
      return this.store.put(this.bucket, this.key, this.buffer.subarray(0, this.buffered), this.options);
    }
    if (this.buffered > 0) await this.uploadPart();
    try {
      const r = await this.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: this.key,
          UploadId: this.uploadId,
          MultipartUpload: { Parts: this.parts },
          ...conditionOf(this.options),
        }),
      );
      return { key: this.key, size: this.bytesWritten, etag: r.ETag ?? '' };
    } catch (error) {
      throw writeFailure(error, this.options, `complete s3://${this.bucket}/${this.key}`);
    }
  }

  async abort(): Promise<void> {
    const uploadId = this.uploadId;
    this.uploadId = undefined;
    this.parts = [];
    this.buffered = 0;
    this.bytesWritten = 0;
    if (uploadId) {
      await this.s3.send(
        new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: uploadId }),
      );
    }
  }

  /** Starts over: the conversion re-writes from the beginning (see ByteSink.reset). */
  async reset(): Promise<void> {
    await this.abort();
  }
}
