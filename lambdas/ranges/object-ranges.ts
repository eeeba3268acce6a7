import type { S3Client } from '@aws-sdk/client-s3';
import type { ConvertOptions, OutputFormat } from '../core/model/options';
import type { ObjectStore, ObjectWriter } from '../io/object-store';
import { convertInRanges, type RangedSummary } from './convert-ranges';
import { multipartJoin, type JoinedObject } from './multipart-join';
import { convertRange } from './part-pass';
import { s3Parts } from './part-store';
import type { ByteRange } from './range-plan';
import { s3RangeReader } from './range-reader';

/** One S3 object to convert in ranges, as listed. */
export interface RangedObject {
  readonly bucket: string;
  readonly key: string;
  /** The listed ETag (quotes included): every ranged GET is pinned to it. */
  readonly etag: string;
  readonly size: number;
}

/** Where {@link convertObjectInRanges} writes. */
export interface RangedTargets {
  /** The joined output. */
  readonly output: JoinedObject;
  /** The rejects file, when rows are rejected. */
  readonly rejects: { readonly bucket: string; readonly key: string };
  /**
   * Bucket and prefix of the part objects (e.g. `_runs/<run>/ranges/<format>/<sha1 of key>/`), deleted after
   * the join.
   */
  readonly parts: { readonly bucket: string; readonly prefix: string };
}

/**
 * Converts an S3 object in ranges within this process (ranges at once) and joins the parts with S3
 * multipart `UploadPartCopy`: the whole of issue 16 against a real S3 protocol, with the same functions the
 * workflow's states will call one by one (range child: `convertRange` with `s3RangeReader` and `s3Parts`;
 * join: `mergeParts`, `joinSegments`, `multipartJoin`). The rejects file is an atomic upload, completed just before
 * the join (deleted again if the join fails), aborted on any earlier failure. Undefined when the object is not split (see `convertInRanges`).
 */
export async function convertObjectInRanges(
  s3: S3Client,
  store: ObjectStore,
  object: RangedObject,
  format: OutputFormat,
  options: ConvertOptions,
  ranges: readonly ByteRange[],
  targets: RangedTargets,
): Promise<RangedSummary | undefined> {
  const reader = s3RangeReader(s3, object.bucket, object.key, object.etag, object.size);
  const parts = s3Parts(store, s3, targets.parts.bucket, targets.parts.prefix);
  const { parquetCompression, avroCodec, rowGroupBytes, avroBlockBytes } = options;
  const writer = { parquetCompression, avroCodec, rowGroupBytes, avroBlockBytes };
  let rejects: ObjectWriter | undefined;
  try {
    const summary = await convertInRanges({
      reader,
      options,
      format,
      ranges,
      convert: (job, head, pass) =>
        convertRange(
          {
            reader,
            head,
            pass,
            format,
            writer,
            sink: () =>
              parts.sink(`${format}-${job.round ?? 1}-${String(job.index).padStart(5, '0')}-${job.start}`),
          },
          job,
        ),
      async join(segments) {
        // Rejects first, as a one-item conversion: the output's appearance is what marks the file done.
        const written = rejects;
        rejects = undefined;
        await written?.complete();
        try {
          return (await multipartJoin(s3, targets.output, targets.parts.bucket, segments, parts.read)).bytes;
        } catch (error) {
          if (written) await store.delete(targets.rejects.bucket, targets.rejects.key).catch(() => undefined);
          throw error;
        }
      },
      rejects: () =>
        (rejects = store.createWriter(targets.rejects.bucket, targets.rejects.key, {
          contentType: 'text/csv',
        })),
      deletePart: parts.delete,
    });
    return summary;
  } catch (error) {
    await rejects?.abort().catch(() => undefined);
    throw error;
  }
}
