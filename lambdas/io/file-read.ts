import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Largest chunk read at once. */
const CHUNK_BYTES = 1 << 20;

/**
 * An open file's content as it was when opened (its size then), in chunks of at most 1 MiB (a small file
 * in one chunk of its own size), fresh buffers that callers may keep; closes the file when done or
 * abandoned. Read with synchronous calls: from the page cache they take microseconds, where a read stream
 * costs a round trip through libuv's shared thread pool per chunk and some 0.15 ms to set up per file,
 * more than converting a small file takes.
 */
export async function* readOpenFile(fd: number, size = fstatSync(fd).size): AsyncGenerator<Uint8Array> {
  try {
    for (let position = 0; position < size;) {
      const chunk = Buffer.allocUnsafe(Math.min(size - position, CHUNK_BYTES));
      const n = readSync(fd, chunk, 0, chunk.length, position);
      if (n === 0) break; // truncated since it was opened
      position += n;
      yield n === chunk.length ? chunk : chunk.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

/** A file's content, read as {@link readOpenFile} does; opened on the first read (a missing file throws then). */
export async function* readFileChunks(path: string): AsyncGenerator<Uint8Array> {
  yield* readOpenFile(openSync(path, 'r'));
}
