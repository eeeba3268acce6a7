import { closeSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { ConvertOptions, OutputFormat } from '../core/model/options';
import type { ByteSink } from '../core/model/sink';
import { convertInRanges, type RangedSummary } from './convert-ranges';
import { streamJoin } from './multipart-join';
import { convertRange } from './part-pass';
import { folderParts } from './part-store';
import { cutEvenly, type ByteRange } from './range-plan';
import { RangePool, type RangeOrder } from './range-pool';
import { fileReader } from './range-reader';

/** What a range worker thread is sent, and answers (see range-worker.ts). */
export interface RangeTask extends RangeOrder {
  readonly path: string;
  readonly size: number;
  readonly partsDir: string;
}
export type { RangeAnswer } from './range-pool';

/** Options of {@link convertFileInRanges}. */
export interface LocalRangeOptions {
  readonly options: ConvertOptions;
  readonly format: OutputFormat;
  /** The ranges. @default one per available core (`availableParallelism()`) */
  readonly ranges?: readonly ByteRange[];
  /** A folder for the parts (deleted parts, the folder stays). */
  readonly partsDir: string;
  /**
   * The bundled range worker (`range-worker.cjs`): ranges then convert on `threads` worker threads at once;
   * without it, one after the other on this thread.
   */
  readonly workerPath?: string;
  /** @default availableParallelism() */
  readonly threads?: number;
}

/** A file written under a temporary name and renamed when complete. */
function atomicFile(path: string): ByteSink & { complete(): void; abort(): void } {
  const temp = `${path}.partial-${process.pid}`;
  const fd = openSync(temp, 'w');
  let at = 0;
  return {
    write(chunk) {
      for (let done = 0; done < chunk.length;)
        done += writeSync(fd, chunk, done, chunk.length - done, at + done);
      at += chunk.length;
    },
    complete() {
      closeSync(fd);
      renameSync(temp, path);
    },
    abort() {
      closeSync(fd);
      rmSync(temp, { force: true });
    },
  };
}

/**
 * Converts a local file to one format in byte ranges (see {@link convertInRanges}) and writes ONE output at
 * `outPath` (rejects at `rejectsPath` when rows were rejected): with a worker script, on N threads at once,
 * so a machine (or a converter function) with N vCPUs uses them all on one file. Undefined when the file
 * is not split (compressed, no header in its head, one range): convert it with `convert()`.
 */
export async function convertFileInRanges(
  path: string,
  outPath: string,
  rejectsPath: string,
  local: LocalRangeOptions,
): Promise<RangedSummary | undefined> {
  const size = statSync(path).size;
  const threads = Math.max(1, local.threads ?? availableParallelism());
  const ranges = local.ranges ?? cutEvenly(size, threads);
  const parts = folderParts(local.partsDir);
  const { parquetCompression, avroCodec, rowGroupBytes, avroBlockBytes } = local.options;
  const writer = { parquetCompression, avroCodec, rowGroupBytes, avroBlockBytes };
  const pool = local.workerPath
    ? new RangePool<RangeTask>(local.workerPath, Math.min(threads, ranges.length))
    : undefined;
  let rejects: ReturnType<typeof atomicFile> | undefined;
  try {
    const summary = await convertInRanges({
      reader: fileReader(path, size),
      options: local.options,
      format: local.format,
      ranges,
      convert: (job, head, pass) =>
        pool
          ? pool.run({ path, size, partsDir: local.partsDir, head, pass, format: local.format, writer, job })
          : convertRange(
              {
                reader: fileReader(path, size),
                head,
                pass,
                format: local.format,
                writer,
                sink: () => parts.sink(`${local.format}-${job.round ?? 1}-${job.index}-${job.start}`),
              },
              job,
            ),
      async join(segments) {
        const out = atomicFile(outPath);
        try {
          const bytes = await streamJoin(segments, out, parts.read);
          out.complete();
          return bytes;
        } catch (error) {
          out.abort();
          throw error;
        }
      },
      rejects: () => (rejects = atomicFile(rejectsPath)),
      deletePart: parts.delete,
    });
    rejects?.complete();
    return summary;
  } catch (error) {
    rejects?.abort();
    throw error;
  } finally {
    await pool?.close();
  }
}
