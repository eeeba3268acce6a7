import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { openSync } from 'node:fs';
import { readOpenFile } from '../core/bytes/file-chunks';
import { classifyS3Error, InputChangedError, InputMissingError, S3TransientError } from '../shared/errors';

/**
 * One version of an object, read by byte range: what a range's conversion reads. Every read of one reader
 * is of the same version (an S3 reader pins each GET to the ETag with `If-Match`), so the ranges of a file,
 * converted by different functions, never mix two versions of it.
 */
export interface RangeReader {
  /** `s3://bucket/key` or a path: for messages. */
  readonly name: string;
  readonly size: number;
  /**
   * The bytes from `from` on, lazily, to the end of the object (or `to`): a consumer that stops early ends
   * the read. `hint`: where the consumer expects to stop, so that a remote read asks for no more at first.
   */
  read(from: number, options?: { readonly to?: number; readonly hint?: number }): AsyncIterable<Uint8Array>;
}

/** An object held in memory (tests, small heads). */
export function bufferReader(name: string, bytes: Uint8Array): RangeReader {
  return {
    name,
    size: bytes.length,
    async *read(from, options = {}) {
      const to = Math.min(options.to ?? bytes.length, bytes.length);
      // In pieces, as a stream would come: the consumers must not depend on one chunk.
      for (let at = from; at < to; at += 1 << 16) yield bytes.subarray(at, Math.min(to, at + (1 << 16)));
    },
  };
}

/** A local file (the local runner's folders, the CLI's threads): its size when the reader is made. */
export function fileReader(path: string, size: number): RangeReader {
  return {
    name: path,
    size,
    read(from, options = {}) {
      return readOpenFile(openSync(path, 'r'), Math.min(options.to ?? size, size), { start: from });
    },
  };
}

/** Bytes asked for past the hint when the first GET of a range is made: a row or two past its end. */
const OVERSHOOT_BYTES = 1 << 20;
/** Bytes of each further GET, when a range's last row goes on past what was asked. */
const WINDOW_BYTES = 16 << 20;

/**
 * `s3://bucket/key` at version `etag` (quotes included, as listed), read by ranged GETs pinned with
 * `If-Match`: a replaced object fails the read with {@link InputChangedError} (retried by the workflow),
 * a deleted one with {@link InputMissingError}; a body that breaks or ends short is an
 * {@link S3TransientError}. A read with a hint first GETs up to just past it, then further windows as the
 * consumer asks, so a range reads little more than its own bytes.
 */
export function s3RangeReader(
  s3: S3Client,
  bucket: string,
  key: string,
  etag: string | undefined,
  size: number,
): RangeReader {
  const name = `s3://${bucket}/${key}`;
  async function* window(start: number, end: number): AsyncGenerator<Uint8Array> {
    let r;
    try {
      r = await s3.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          Range: `bytes=${start}-${end - 1}`,
          ...(etag ? { IfMatch: etag } : {}),
        }),
      );
    } catch (error) {
      const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode;
      if (e.name === 'PreconditionFailed' || status === 412)
        throw new InputChangedError(
          `${name} is no longer the version ${etag}: it was replaced while its ranges converted`,
        );
      if (e.name === 'NoSuchKey' || status === 404) throw new InputMissingError(`${name} no longer exists`);
      throw classifyS3Error(error, `GET ${name} bytes ${start}-${end - 1}`);
    }
    const body = r.Body as (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined;
    let received = 0;
    let finished = false;
    try {
      for await (const chunk of body ?? []) {
        received += chunk.length;
        yield chunk;
      }
      finished = true;
    } catch (error) {
      throw new S3TransientError(`${name}: the body broke after ${received} bytes of ${start}-${end - 1}`, {
        cause: error,
      });
    } finally {
      if (!finished) body?.destroy?.();
    }
    if (received !== end - start)
      throw new S3TransientError(`${name}: bytes ${start}-${end - 1} ended after ${received} bytes; retry`);
  }
  return {
    name,
    size,
    async *read(from, options = {}) {
      const to = Math.min(options.to ?? size, size);
      let at = from;
      let step =
        options.hint !== undefined ? Math.max(1, options.hint - from + OVERSHOOT_BYTES) : WINDOW_BYTES;
      while (at < to) {
        const end = Math.min(to, at + step);
        yield* window(at, end);
        at = end;
        step = WINDOW_BYTES;
      }
    },
  };
}
