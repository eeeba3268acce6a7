import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import type { ByteSink } from '../core/sink';

/**
 * A file written atomically: bytes go to a temporary file beside the target, which is renamed over the
 * target on {@link commit} and deleted on {@link discard}. Readers never see a half-written file.
 */
export class AtomicFileSink implements ByteSink {
  bytesWritten = 0;
  private position = 0;
  private handle: Promise<FileHandle> | undefined;
  private readonly temp: string;

  constructor(readonly path: string) {
    this.temp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.handle ??= open(this.temp, 'w');
    const handle = await this.handle;
    let offset = 0;
    while (offset < chunk.length) {
      const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset, this.position);
      offset += bytesWritten;
      this.position += bytesWritten;
    }
    this.bytesWritten += chunk.length;
  }

  /** Starts the file over (truncates the temporary file). */
  async reset(): Promise<void> {
    if (this.handle) {
      const handle = await this.handle;
      await handle.truncate(0);
      this.position = 0;
    }
    this.bytesWritten = 0;
  }

  /** Publishes the file under its final name. */
  async commit(): Promise<void> {
    this.handle ??= open(this.temp, 'w');
    await (await this.handle).close();
    await rename(this.temp, this.path);
  }

  /** Deletes what was written; the target is left as it was. */
  async discard(): Promise<void> {
    if (this.handle) await (await this.handle).close().catch(() => undefined);
    await rm(this.temp, { force: true });
  }
}
