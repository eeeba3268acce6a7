/*
 * One key on the converter's vCPUs (issue 12: "converters with two or more vCPUs use both"): a whole,
 * uncompressed S3 object of at least a threshold is cut in as many byte ranges as the function has threads,
 * each converted on a worker thread from ranged GETs pinned to the version the converter reads, written as
 * a part object under the run's folder, and joined into ONE output by a multipart upload of server-side
 * copies (several at once), completed only once the converter has done what precedes an output's
 * appearance. The flow stays the converter's (lambdas/handlers/convert-item.ts); this is its threaded step.
 */
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { existsSync } from 'node:fs';
import type { ConvertOptions, OutputFormat } from '../core/model/options';
import type { TableColumn } from '../core/model/schema';
import type { ByteSink } from '../core/model/sink';
import type { ObjectStore } from '../io/object-store';
import { convertInRanges, type RangedSummary } from './convert-ranges';
import { RangeDataError } from './join-parts';
import { startJoin, type PendingJoin } from './multipart-join';
import { s3Parts } from './part-store';
import { RangePool } from './range-pool';
import { cutEvenly, MIN_RANGE_BYTES } from './range-plan';
import { s3RangeReader } from './range-reader';
import type { S3RangeTask } from './s3-range-thread';
import { RANGE_THREAD, type ThreadSettings } from './thread-settings';

/** One key for {@link KeyThreads.convert}: where it is, where its output goes, how it is converted. */
export interface ThreadedKey {
  readonly bucket: string;
  readonly key: string;
  /** The size listed: keys below the threshold are left at once, without a request. */
  readonly listedSize: number;
  /** The version the converter reads (the listed one, or the current one the item asks for). */
  readonly version: string;
  /** The item asks for the current version (the retry map's): then no other may be converted. */
  readonly current: boolean;
  readonly format: OutputFormat;
  readonly options: ConvertOptions;
  /** The output; its metadata is made once the columns and the version read are known. */
  readonly output: {
    readonly bucket: string;
    readonly key: string;
    metadata(columns: readonly TableColumn[], etag: string): Record<string, string>;
  };
  /** Opens the rejects file (called only when a row is rejected). */
  rejects(): ByteSink;
  /** Where the parts are kept until the join (see run-keys.ts's rangePartsPrefix). */
  readonly parts: { readonly bucket: string; readonly prefix: string };
  /**
   * Whether a one-thread conversion still fits in the time left. A range's data error is then left to it,
   * which fails where and as the one-thread conversion always has (the file's own line and byte offset);
   * otherwise the range's error is thrown, saying where in the file the range's lines start.
   */
  oneThreadFits(): boolean;
}

/** A key converted on threads: its output in place, not yet visible. */
export interface ThreadedConversion {
  readonly summary: RangedSummary;
  /** Bytes read: the object's size (it is uncompressed). */
  readonly bytesIn: number;
  /** The version converted (every GET was pinned to it). */
  readonly etag: string;
  /** The joined output: `complete` makes it appear; `abort` leaves nothing (and no open upload). */
  readonly output: Pick<PendingJoin, 'complete' | 'abort'>;
}

/** The converter's threaded step, built once per container (see {@link keyThreads}). */
export interface KeyThreads {
  readonly threads: number;
  /**
   * Converts a key on threads; undefined when it is to be converted on one thread as before: too small,
   * compressed, no header row in its first MiB, gone or replaced (the one-thread read says how), or a
   * range's data error that the one-thread conversion reports (see {@link ThreadedKey.oneThreadFits}).
   * @throws the conversion's errors (S3's, InputChangedError, too many rejects, …); nothing is left visible
   *   and no upload open
   */
  convert(store: ObjectStore, key: ThreadedKey): Promise<ThreadedConversion | undefined>;
}

/**
 * The threaded step of a converter with the S3 client `s3` (`config`: its settings, for the threads' own
 * clients); undefined when it has one thread, or no worker script (`script`: a bundle that serves ranges
 * when started with {@link RANGE_THREAD}; the converter's own, see converter-handler.ts).
 */
export function keyThreads(
  settings: ThreadSettings,
  s3: S3Client,
  config: S3ClientConfig,
  script: string | undefined,
): KeyThreads | undefined {
  if (settings.threads < 2 || !script || !existsSync(script)) return undefined;
  return {
    threads: settings.threads,
    convert: (store, key) => convertOnThreads(s3, config, script, settings, store, key),
  };
}

async function convertOnThreads(
  s3: S3Client,
  config: S3ClientConfig,
  script: string,
  settings: ThreadSettings,
  store: ObjectStore,
  k: ThreadedKey,
): Promise<ThreadedConversion | undefined> {
  if (k.listedSize < settings.minBytes) return undefined;
  const info = await store.head(k.bucket, k.key);
  // Gone, or replaced under an item that asks for the current version: the one-thread read fails as ever.
  // Replaced since the listing otherwise: the current version is read, as the one-thread read does.
  if (!info || (k.current && info.etag !== k.version)) return undefined;
  const n = Math.min(settings.threads, Math.floor(info.size / MIN_RANGE_BYTES));
  if (n < 2 || info.size < settings.minBytes) return undefined;
  const { bucket, key, format, options } = k;
  const { parquetCompression, avroCodec, rowGroupBytes, avroBlockBytes } = options;
  const writer = { parquetCompression, avroCodec, rowGroupBytes, avroBlockBytes };
  const parts = s3Parts(store, s3, k.parts.bucket, k.parts.prefix);
  let pool: RangePool<S3RangeTask> | undefined;
  let pending: PendingJoin | undefined;
  try {
    const summary = await convertInRanges({
      reader: s3RangeReader(s3, bucket, key, info.etag, info.size),
      options,
      format,
      ranges: cutEvenly(info.size, n),
      convert: (job, head, pass) =>
        // Started once the head says the key splits: a .gz costs no thread.
        (pool ??= new RangePool<S3RangeTask>(script, n, RANGE_THREAD)).run({
          s3: config,
          bucket,
          key,
          etag: info.etag,
          size: info.size,
          partsBucket: k.parts.bucket,
          partsPrefix: k.parts.prefix,
          head,
          pass,
          format,
          writer,
          job,
        }),
      async join(segments, columns) {
        pending = await startJoin(
          s3,
          {
            bucket: k.output.bucket,
            key: k.output.key,
            contentType: 'application/octet-stream',
            metadata: k.output.metadata(columns, info.etag),
          },
          k.parts.bucket,
          segments,
          parts.read,
        );
        return pending.bytes;
      },
      rejects: () => k.rejects(),
      deletePart: parts.delete,
    });
    if (!summary) return undefined;
    return { summary, bytesIn: info.size, etag: info.etag, output: pending! };
  } catch (error) {
    await pending?.abort();
    if (error instanceof RangeDataError && k.oneThreadFits()) return undefined;
    throw error;
  } finally {
    await pool?.close();
  }
}
