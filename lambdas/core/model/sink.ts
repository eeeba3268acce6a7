/**
 * Where a writer sends its bytes. Implementations: a file, an S3 multipart upload, memory (tests).
 * `write` may return a promise to apply back-pressure; writers await it.
 */
export interface ByteSink {
  /** Takes a chunk. The writer may reuse the chunk's memory once this returns/resolves: copy what you keep. */
  write(chunk: Uint8Array): void | Promise<void>;
  /**
   * Optional: discards everything written so far, so that writing starts over. A conversion converts
   * while it infers types only when every sink can be reset (see `convert`).
   */
  reset?(): void | Promise<void>;
}

/** A sink that keeps everything in memory; for tests and small outputs. */
export class MemorySink implements ByteSink {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  write(chunk: Uint8Array): void {
    // Writers may reuse their buffers, so keep a copy.
    this.chunks.push(Uint8Array.prototype.slice.call(chunk));
    this.size += chunk.length;
  }

  reset(): void {
    this.chunks.length = 0;
    this.size = 0;
  }

  /** Everything written so far, as one buffer. */
  bytes(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}
