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
import { classifyS3Error, InputMissingError } from '../shared/errors';
import type { ObjectInfo, ObjectPage, ObjectStore, ObjectWriter, PutOptions } from './object-store';

/** Parts are 8 MiB (S3's minimum is 5 MiB): memory per upload stays near one part. */
const PART_BYTES = 8 * 1024 * 1024;

/** An S3 client for Lambda: created once per container, keep-alive connections. */
export function createS3Client(config: S3ClientConfig = {}): S3Client {
  return new S3Client({
    requestHandler: { httpsAgent: new Agent({ keepAlive: true, maxSockets: 50 }) },
    ...config,
  });
}

function notFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

/** {@link ObjectStore} over S3 or any S3-compatible endpoint. Transient failures become S3TransientError. */
export class S3ObjectStore implements ObjectStore {
  constructor(private readonly s3: S3Client) {}

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

  async get(bucket: string, key: string): Promise<AsyncIterable<Uint8Array>> {
    try {
      const r = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const body = r.Body as AsyncIterable<Uint8Array> | undefined;
      if (!body) throw new InputMissingError(`s3://${bucket}/${key} has no body`);
      const what = `GET s3://${bucket}/${key}`;
      return (async function* () {
        try {
          yield* body;
        } catch (error) {
          throw classifyS3Error(error, what);
        }
      })();
    } catch (error) {
      if (notFound(error)) {
        throw new InputMissingError(`s3://${bucket}/${key} no longer exists (deleted after it was listed?)`);
      }
      throw classifyS3Error(error, `GET s3://${bucket}/${key}`);
    }
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
    try {
      const data = typeof body === 'string' ? Buffer.from(body) : body;
      const r = await this.s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: data,
          ContentType: options.contentType,
          Metadata: options.metadata ? { ...options.metadata } : undefined,
        }),
      );
      return { key, size: data.length, etag: r.ETag ?? '' };
    } catch (error) {
      throw classifyS3Error(error, `PUT s3://${bucket}/${key}`);
    }
  }

  createWriter(bucket: string, key: string, options: PutOptions = {}): ObjectWriter {
    return new S3ObjectWriter(this, this.s3, bucket, key, options);
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
  private buffer = new Uint8Array(PART_BYTES);
  private buffered = 0;
  private uploadId: string | undefined;
  private parts: { ETag: string; PartNumber: number }[] = [];

  constructor(
    private readonly store: S3ObjectStore,
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly options: PutOptions,
  ) {}

  async write(chunk: Uint8Array): Promise<void> {
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(chunk.length - at, PART_BYTES - this.buffered);
      this.buffer.set(chunk.subarray(at, at + n), this.buffered);
      this.buffered += n;
      at += n;
      if (this.buffered === PART_BYTES) await this.uploadPart();
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
        }),
      );
      return { key: this.key, size: this.bytesWritten, etag: r.ETag ?? '' };
    } catch (error) {
      throw classifyS3Error(error, `complete s3://${this.bucket}/${this.key}`);
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
