import type { ByteSink } from '../core/model/sink';
import type { ObjectInfo, ObjectWriter } from '../io/object-store';

/**
 * An output object whose upload starts at its first byte, not before: the conversion tells what it is about
 * to write (the schema, through `ConvertOptions.onOpen`) only once it knows, and S3 takes an object's
 * metadata when the upload starts. A reset (the type guess failed, the conversion starts over) aborts the
 * upload, so the next byte starts a new one with what is known then.
 */
export class DeferredOutput implements ByteSink {
  private writer: ObjectWriter | undefined;
  private written = 0;

  constructor(private readonly open: () => ObjectWriter) {}

  write(chunk: Uint8Array): void | Promise<void> {
    return (this.writer ??= this.open()).write(chunk);
  }

  async reset(): Promise<void> {
    const writer = this.writer;
    this.writer = undefined;
    await writer?.abort();
  }

  /** Completes the upload (an empty object when nothing was written). */
  async complete(): Promise<ObjectInfo> {
    const writer = (this.writer ??= this.open());
    this.written = writer.bytesWritten;
    return writer.complete();
  }

  async abort(): Promise<void> {
    await this.writer?.abort();
  }

  get bytesWritten(): number {
    return this.writer?.bytesWritten ?? this.written;
  }
}

/** A sink that keeps nothing: the rejects of the converter that does not write them. */
export const DISCARD: ByteSink = { write() {} };
