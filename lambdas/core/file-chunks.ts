import { open } from 'node:fs/promises';

/** Chunks one reader may have in use at once: the pass copies each before it asks for the next. */
const RING = 4;

/**
 * Reads a file from `start` in 1 MiB chunks into a ring of {@link RING} reused buffers, so a consumer must
 * be done with a chunk a few chunks later: the passes copy each chunk into the tokenizer at once, and a
 * sink copies what it keeps before its write resolves. A fresh buffer per chunk (as a read stream gives)
 * is garbage that V8 collects only after some 64 MB of external memory, in each thread.
 */
export async function* readChunks(path: string, start: number): AsyncIterable<Buffer> {
  const handle = await open(path, 'r');
  try {
    const ring = Array.from({ length: RING }, () => Buffer.allocUnsafe(1 << 20));
    let position = start;
    for (let k = 0; ; k++) {
      const buffer = ring[k % RING]!;
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}
