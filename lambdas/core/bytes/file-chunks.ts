import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Largest chunk read at once. */
const CHUNK_BYTES = 1 << 20;
/** Chunks a reusing reader may have in use at once: the passes copy each before they ask for the next. */
const RING = 4;

/** What {@link readOpenFile} reads, and into what. */
export interface ChunkReading {
  /** Offset of the first byte read. @default 0 */
  readonly start?: number;
  /**
   * Read into a ring of {@link RING} reused buffers, so a consumer must be done with a chunk a few chunks
   * later: the passes copy each chunk into the tokenizer at once, and a sink copies what it keeps before
   * its write resolves. A fresh buffer per chunk is garbage that V8 collects only after some 64 MB of
   * external memory, in each thread. @default false: fresh buffers, which callers may keep
   */
  readonly reuse?: boolean;
}

/**
 * An open file's content as it was when opened (its size then), in chunks of at most 1 MiB (a small file
 * in one chunk of its own size); closes the file when done or abandoned. Read with synchronous calls:
 * from the page cache they take microseconds, where a read stream costs a round trip through libuv's
 * shared thread pool per chunk and some 0.15 ms to set up per file, more than converting a small file
 * takes. The one chunked file reader of csv2lake: the conversion's sources, the second thread's part of
 * a file and its output, the local object store.
 */
export async function* readOpenFile(
  fd: number,
  size = fstatSync(fd).size,
  { start = 0, reuse = false }: ChunkReading = {},
): AsyncGenerator<Uint8Array> {
  try {
    const ring: Buffer[] = [];
    for (let position = start, k = 0; position < size; k++) {
      const length = Math.min(size - position, CHUNK_BYTES);
      let chunk: Buffer;
      if (!reuse) chunk = Buffer.allocUnsafe(length);
      else {
        const slot = k % RING;
        const kept = ring[slot];
        chunk = kept && kept.length >= length ? kept : (ring[slot] = Buffer.allocUnsafe(length));
      }
      const n = readSync(fd, chunk, 0, length, position);
      if (n === 0) break; // truncated since it was opened
      position += n;
      yield n === chunk.length ? chunk : chunk.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

/** A file's content, read as {@link readOpenFile} does; opened on the first read (a missing file throws then). */
export async function* readFileChunks(path: string, reading: ChunkReading = {}): AsyncGenerator<Uint8Array> {
  yield* readOpenFile(openSync(path, 'r'), undefined, reading);
}
