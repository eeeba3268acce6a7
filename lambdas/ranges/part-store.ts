import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { readOpenFile } from '../core/bytes/file-chunks';
import type { OutputFormat } from '../core/model/options';
import type { ObjectStore } from '../io/object-store';
import type { ReadRange } from './multipart-join';
import type { PartSink, RangeJob } from './part-pass';
import { s3RangeReader } from './range-reader';

/** Where the parts of one file's ranges are written, read back by the join, and deleted after it. */
export interface PartStore {
  /** An atomic sink for the part `name` (e.g. `parquet-1-00003`). */
  sink(name: string): PartSink;
  readonly read: ReadRange;
  delete(key: string): Promise<void>;
}

/**
 * A part's name within its folder: the format, the round, the range and where it starts, so that every
 * conversion of a range (a thread's, a range item's, a join's round 2) is its own object.
 */
export function partName(format: OutputFormat, job: RangeJob): string {
  return `${format}-${job.round ?? 1}-${String(job.index).padStart(5, '0')}-${job.start}`;
}

/** Parts as files of a local folder (the CLI's threads, a local run over a folder). */
export function folderParts(dir: string): PartStore {
  mkdirSync(dir, { recursive: true });
  return {
    sink(name) {
      const path = join(dir, name);
      const temp = `${path}.partial`;
      let fd: number | undefined;
      let at = 0;
      return {
        write(chunk) {
          fd ??= openSync(temp, 'w');
          for (let done = 0; done < chunk.length;)
            done += writeSync(fd, chunk, done, chunk.length - done, at + done);
          at += chunk.length;
        },
        async complete() {
          fd ??= openSync(temp, 'w');
          closeSync(fd);
          renameSync(temp, path);
          return { key: path };
        },
        async abort() {
          if (fd !== undefined) closeSync(fd);
          rmSync(temp, { force: true });
        },
      };
    },
    read: (key, start, end) => readOpenFile(openSync(key, 'r'), end, { start }),
    delete: async (key) => rmSync(key, { force: true }),
  };
}

/**
 * Parts as objects under `prefix` of `bucket` (e.g. `_runs/<run>/ranges/<format>/<sha1 of key>/`):
 * written through the store's atomic uploads, read back by ranged GETs pinned to their ETags.
 */
export function s3Parts(store: ObjectStore, s3: S3Client, bucket: string, prefix: string): PartStore {
  return {
    sink(name) {
      const key = `${prefix}${name}`;
      const writer = store.createWriter(bucket, key, { contentType: 'application/octet-stream' });
      return {
        write: (chunk) => writer.write(chunk),
        async complete() {
          const info = await writer.complete();
          return { key, etag: info.etag };
        },
        abort: () => writer.abort(),
      };
    },
    read: (key, start, end, etag) =>
      // The size is not needed: the range is exact.
      s3RangeReader(s3, bucket, key, etag, end).read(start, { to: end }),
    delete: (key) => store.delete(bucket, key),
  };
}
