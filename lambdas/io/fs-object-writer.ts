/*
 * The filesystem store's streaming writes: bytes gathered and written to a hidden temporary file, renamed
 * over the key's file on `complete` (an object is complete or absent), under the key's lock when the write
 * is conditional.
 */
import { closeSync, fstatSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { checkCondition, isConditional } from './conditional-put';
import { writeError } from './fs-errors';
import { laterThan, statEtag } from './fs-versions';
import { withFileLock } from './file-lock';
import type { ObjectInfo, ObjectWriter, PutOptions } from './object-store';
import { tempPath } from './temp-files';

/** Writes are gathered up to this size. */
const FLUSH_BYTES = 1 << 20;

/** What a writer needs of its store. */
export interface FsWriterHost {
  /** Makes a folder (`mkdir -p`) unless known to exist; `again` when it was removed since it was made. */
  ensureDir(dir: string, again?: boolean): void;
  /** The renamed file is now the key's latest version, with this metadata (journaled when there is any). */
  committed(key: string, stats: { size: number; mtimeMs: number }, metadata: Record<string, string>): void;
  /** The key's current version, without metadata: what a condition is checked against. */
  current(key: string): ObjectInfo | undefined;
  /** The lock file that serializes the conditional writes of a key. */
  lockPath(key: string): string;
}

/**
 * A streaming write of `key` into its file `target`. A conditional one (`ifMatch`, `ifNoneMatch`) is
 * checked on `complete`, under the key's lock (see commitIf).
 */
export function createFsWriter(
  host: FsWriterHost,
  key: string,
  target: string,
  options: PutOptions,
): ObjectWriter {
  // Hidden and short: see tempPath. A dead writer's are swept by the local runner (sweepTempFiles).
  const temp = tempPath(target);
  let fd: number | undefined;
  let position = 0;
  const file = (): number => {
    if (fd !== undefined) return fd;
    host.ensureDir(dirname(target));
    try {
      fd = openSync(temp, 'w');
    } catch (error) {
      // The folder was removed since it was made: make it again.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      host.ensureDir(dirname(target), true);
      fd = openSync(temp, 'w');
    }
    return fd;
  };
  const writeAll = (data: Uint8Array) => {
    const handle = file();
    for (let offset = 0; offset < data.length;)
      offset += writeSync(handle, data, offset, data.length - offset, position + offset);
    position += data.length;
  };
  // Small writes are gathered (copied: callers may reuse their buffers) and written 1 MiB at a time.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = () => {
    if (pendingBytes === 0) return;
    const data = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    writeAll(data);
  };
  const closeFile = () => {
    if (fd === undefined) return;
    const handle = fd;
    fd = undefined;
    position = 0;
    closeSync(handle);
  };
  const commit = (handle: number): ObjectInfo => {
    // The file's size and mtime as they stay: a rename changes neither.
    const s = fstatSync(handle);
    closeFile();
    renameSync(temp, target);
    // The rename sets the change time, part of the ETag.
    const etag = statEtag(statSync(target));
    const metadata = { ...options.metadata };
    host.committed(key, { size: s.size, mtimeMs: s.mtimeMs }, metadata);
    return { key, size: s.size, etag, lastModified: s.mtime, metadata };
  };

  const writer: Omit<ObjectWriter, 'bytesWritten'> & { bytesWritten: number } = {
    bytesWritten: 0,
    async write(chunk: Uint8Array) {
      this.bytesWritten += chunk.length;
      try {
        if (chunk.length >= FLUSH_BYTES) {
          flush();
          writeAll(chunk);
          return;
        }
        pending.push(Buffer.from(chunk));
        pendingBytes += chunk.length;
        if (pendingBytes >= FLUSH_BYTES) flush();
      } catch (error) {
        throw writeError(error, target, this.bytesWritten);
      }
    },
    async reset() {
      pending = [];
      pendingBytes = 0;
      closeFile();
      this.bytesWritten = 0;
    },
    complete: async () => {
      try {
        flush();
        const handle = file();
        if (!isConditional(options)) return commit(handle);
        return await commitIf(host, key, target, options, handle, commit, async () => {
          closeFile();
          rmSync(temp, { force: true });
        });
      } catch (error) {
        throw writeError(error, target, writer.bytesWritten);
      }
    },
    async abort() {
      pending = [];
      pendingBytes = 0;
      try {
        closeFile();
      } catch {
        // already closed or never opened: only the temporary file matters
      }
      rmSync(temp, { force: true });
    },
  };
  return writer;
}

/**
 * Commits a conditional write: under the key's lock (a file in the bucket's hidden folder, see
 * `withFileLock`), checks the condition against the key's current version, then renames. A file's
 * ETag is its size and times, and the kernel's file times move in clock ticks (1-4 ms), so two versions
 * of one size written within a tick would share an ETag and an `If-Match` naming the older would pass:
 * each conditional version is therefore given a modification time later than its predecessor's.
 */
async function commitIf(
  host: FsWriterHost,
  key: string,
  path: string,
  options: PutOptions,
  handle: number,
  commit: (handle: number) => ObjectInfo,
  discard: () => Promise<void>,
): Promise<ObjectInfo> {
  try {
    return await withFileLock(host.lockPath(key), () => {
      const current = host.current(key);
      checkCondition(options, current, path);
      const before = current ? statSync(path, { throwIfNoEntry: false }) : undefined;
      laterThan(handle, before?.mtimeMs ?? current?.lastModified?.getTime() ?? 0);
      return commit(handle);
    });
  } catch (error) {
    await discard();
    throw error;
  }
}
