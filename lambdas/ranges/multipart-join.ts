import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ByteSink } from '../core/model/sink';
import { classifyS3Error } from '../shared/errors';
import type { Segment } from './join-parts';

/** S3's smallest part (all but the last) and largest part of a multipart upload. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
export const MAX_PART_BYTES = 5 * 1024 * 1024 * 1024;

/** One part of the joined upload: a server-side copy of a part object's range, or bytes sent. */
export type UploadStep =
  | {
      readonly kind: 'copy';
      readonly key: string;
      readonly etag?: string;
      readonly start: number;
      readonly end: number;
    }
  | { readonly kind: 'upload'; readonly pieces: readonly Segment[]; readonly bytes: number };

/**
 * The multipart parts that assemble `segments`, every one but the last at least `min` bytes and none over
 * `max`: a copy segment of at least `min` bytes is copied by S3 (`UploadPartCopy` with a copy-source
 * range), cut in pieces of at most `max`; bytes the join writes (the footer) and copy segments below the
 * minimum are gathered into an uploaded part, topped up to the minimum with the first bytes of the next
 * copy segment, which are then read (a ranged GET) rather than copied. So the join reads at most `min`
 * bytes per part boundary, and only where a part object (or the rest of one) is smaller than `min`: with
 * ranges of 8 MiB or more only the footer is uploaded, and its part is the last, which may be small.
 */
export function uploadSteps(
  segments: readonly Segment[],
  min = MIN_PART_BYTES,
  max = MAX_PART_BYTES,
): UploadStep[] {
  const steps: UploadStep[] = [];
  let pieces: Segment[] = [];
  let held = 0;
  const flush = () => {
    if (held > 0) steps.push({ kind: 'upload', pieces, bytes: held });
    pieces = [];
    held = 0;
  };
  for (const s of segments) {
    if (s.kind === 'bytes') {
      if (s.bytes.length === 0) continue;
      pieces.push(s);
      held += s.bytes.length;
      if (held >= min) flush();
      continue;
    }
    let start = s.start;
    if (held > 0) {
      const take = Math.min(s.end - start, min - held);
      pieces.push({ ...s, start, end: start + take });
      held += take;
      start += take;
      if (held < min) continue;
      flush();
    }
    while (start < s.end) {
      const left = s.end - start;
      if (left < min) {
        pieces.push({ ...s, start, end: s.end });
        held += left;
        break;
      }
      let piece = Math.min(left, max);
      // Never leave a remainder below the minimum behind a copy.
      if (left - piece > 0 && left - piece < min) piece = left - min;
      steps.push({
        kind: 'copy',
        key: s.key,
        ...(s.etag ? { etag: s.etag } : {}),
        start,
        end: start + piece,
      });
      start += piece;
    }
  }
  flush();
  return steps;
}

/** Reads a byte range [start, end) of a part object. */
export type ReadRange = (key: string, start: number, end: number, etag?: string) => AsyncIterable<Uint8Array>;

/** The bytes of an upload step's pieces, in order. */
async function gather(pieces: readonly Segment[], bytes: number, read: ReadRange): Promise<Uint8Array> {
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const p of pieces) {
    if (p.kind === 'bytes') {
      out.set(p.bytes, at);
      at += p.bytes.length;
    } else
      for await (const chunk of read(p.key, p.start, p.end, p.etag)) {
        out.set(chunk, at);
        at += chunk.length;
      }
  }
  if (at !== bytes) throw new Error(`the join read ${at} bytes where ${bytes} were expected`);
  return out;
}

/** What {@link multipartJoin} writes. */
export interface JoinedObject {
  readonly bucket: string;
  readonly key: string;
  readonly contentType?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Parts of a join sent to S3 at once: copies are server-side, so a few at once cost the function nothing. */
export const JOIN_CONCURRENCY = 8;

/** A joined object whose parts are all in place, not yet visible: {@link startJoin}'s answer. */
export interface PendingJoin {
  /** Bytes of the joined object. */
  readonly bytes: number;
  /** Completes the upload: the object appears. On failure the upload is aborted and the error thrown. */
  complete(): Promise<{ readonly etag: string; readonly bytes: number }>;
  /** Aborts the upload (nothing visible, no parts billed); never throws. */
  abort(): Promise<void>;
}

/**
 * Assembles `segments` into ONE object with one multipart upload, up to `concurrency` parts at once: the
 * part objects' bytes copied by S3 (`UploadPartCopy`, pinned to each part's ETag with `CopySourceIfMatch`),
 * the rest uploaded (see {@link uploadSteps}). Returns once every part is in place, before the object
 * appears, so that the caller can do what must precede its appearance (the converter merges the dataset's
 * schema, completes the rejects) and then {@link PendingJoin.complete} or {@link PendingJoin.abort}. The
 * part objects may be deleted as soon as this returns: S3 copied their bytes. On any failure the upload is
 * aborted (nothing visible, no parts billed) and the error thrown.
 * @param partsBucket the bucket of the part objects
 */
export async function startJoin(
  s3: S3Client,
  target: JoinedObject,
  partsBucket: string,
  segments: readonly Segment[],
  read: ReadRange,
  concurrency = JOIN_CONCURRENCY,
): Promise<PendingJoin> {
  const what = `join s3://${target.bucket}/${target.key}`;
  const { Bucket, Key } = { Bucket: target.bucket, Key: target.key };
  let uploadId: string | undefined;
  const abort = async () => {
    if (uploadId)
      await s3
        .send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId }))
        .catch(() => undefined); // the join's error is the one to report
  };
  try {
    uploadId = (
      await s3.send(
        new CreateMultipartUploadCommand({
          Bucket,
          Key,
          ContentType: target.contentType,
          Metadata: target.metadata ? { ...target.metadata } : undefined,
        }),
      )
    ).UploadId!;
    const UploadId = uploadId;
    const steps = uploadSteps(segments);
    const etags: string[] = new Array<string>(steps.length);
    const send = async (step: UploadStep, index: number): Promise<void> => {
      const PartNumber = index + 1;
      if (step.kind === 'copy') {
        const r = await s3.send(
          new UploadPartCopyCommand({
            Bucket,
            Key,
            UploadId,
            PartNumber,
            CopySource: `${partsBucket}/${step.key.split('/').map(encodeURIComponent).join('/')}`,
            CopySourceRange: `bytes=${step.start}-${step.end - 1}`,
            ...(step.etag ? { CopySourceIfMatch: step.etag } : {}),
          }),
        );
        etags[index] = r.CopyPartResult!.ETag!;
      } else {
        const body = await gather(step.pieces, step.bytes, read);
        etags[index] = (
          await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body: body }))
        ).ETag!;
      }
    };
    // A few workers taking the next step in turn; the first failure stops them all (the upload is aborted).
    let next = 0;
    let failed = false;
    const lane = async () => {
      while (!failed && next < steps.length) {
        const index = next++;
        try {
          await send(steps[index]!, index);
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    };
    const lanes = await Promise.allSettled(
      Array.from({ length: Math.max(1, Math.min(concurrency, steps.length)) }, lane),
    );
    const broken = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
    if (broken) throw broken.reason;
    const bytes = steps.reduce((n, s) => n + (s.kind === 'copy' ? s.end - s.start : s.bytes), 0);
    return {
      bytes,
      async complete() {
        try {
          const done = await s3.send(
            new CompleteMultipartUploadCommand({
              Bucket,
              Key,
              UploadId,
              MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
            }),
          );
          return { etag: done.ETag ?? '', bytes };
        } catch (error) {
          await abort();
          throw classifyS3Error(error, what);
        }
      },
      abort,
    };
  } catch (error) {
    await abort();
    throw classifyS3Error(error, what);
  }
}

/**
 * {@link startJoin} and its completion at once: the object appears when every part is in place; on any
 * failure the upload is aborted (nothing visible, no parts billed) and the error thrown.
 * @param partsBucket the bucket of the part objects
 */
export async function multipartJoin(
  s3: S3Client,
  target: JoinedObject,
  partsBucket: string,
  segments: readonly Segment[],
  read: ReadRange,
): Promise<{ readonly etag: string; readonly bytes: number }> {
  return (await startJoin(s3, target, partsBucket, segments, read)).complete();
}

/** The same assembly into any sink (a local file, a folder store's atomic writer): every byte streamed. */
export async function streamJoin(
  segments: readonly Segment[],
  sink: ByteSink,
  read: ReadRange,
): Promise<number> {
  let bytes = 0;
  for (const s of segments) {
    if (s.kind === 'bytes') {
      await sink.write(s.bytes);
      bytes += s.bytes.length;
    } else
      for await (const chunk of read(s.key, s.start, s.end, s.etag)) {
        await sink.write(chunk);
        bytes += chunk.length;
      }
  }
  return bytes;
}
