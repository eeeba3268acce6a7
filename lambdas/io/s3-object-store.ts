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
import { classifyS3Error, InputChangedError, InputMissingError } from '../shared/errors';
import { s3ConditionFields, s3WriteConflict } from './conditional-put';
import type {
  GetOptions,
  ObjectBody,
  ObjectInfo,
  ObjectPage,
  ObjectStore,
  ObjectWriter,
  PutOptions,
} from './object-store';
import { isNotFound, isPreconditionFailed } from './s3-answers';
import { guardedBody } from './s3-body';
import { deleteKeys } from './s3-delete-objects';

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

/** A write that failed: a lost condition as WriteConflictError, anything else classified as usual. */
function writeFailure(error: unknown, options: PutOptions, what: string): unknown {
  return s3WriteConflict(error, options, what) ?? classifyS3Error(error, what);
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
      if (isNotFound(error)) return undefined;
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
      if (isNotFound(error)) {
        throw new InputMissingError(`s3://${bucket}/${key} no longer exists (deleted after it was listed?)`, {
          cause: error, // the NoSuchKey that object-store.ts's isAbsentObject looks for
        });
      }
      if (isPreconditionFailed(error)) {
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
          ...s3ConditionFields(options),
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

  /** DeleteObjects, 1,000 keys a request; per-key failures retried, then thrown (see s3-delete-objects.ts). */
  deleteMany(bucket: string, keys: readonly string[]): Promise<void> {
    return deleteKeys(this.s3, bucket, keys);
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
          ...s3ConditionFields(this.options),
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
