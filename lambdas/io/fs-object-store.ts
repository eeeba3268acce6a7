import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  type Dirent,
  existsSync,
  fstatSync,
  futimesSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { Csv2LakeError, InputMissingError } from '../shared/errors';
import { readOpenFile } from './file-read';
import { withFileLock } from './file-lock';
import { type MetadataEntry, MetadataJournal } from './metadata-journal';
import { PACKED_DIR, PackedFolder, type PackedInfo } from './packed-objects';
import { isTempName, tempPath } from './temp-files';
import {
  type ObjectBody,
  type ObjectInfo,
  type ObjectPage,
  type ObjectStore,
  type ObjectWriter,
  type PutOptions,
  WriteConflictError,
} from './object-store';

/**
 * The ETag of an {@link UnreadableEntry}. It travels with the item through the workflow (the ItemSelector
 * copies it, the failed-items list keeps it), so the local runner knows the entry in a retry or a redrive.
 */
export const UNREADABLE_ETAG = '"csv2lake-unreadable"';

/**
 * An entry of a folder listing that is no object and cannot be read as one: a sub-folder that cannot be
 * read, or a link to a folder that contains it. Listed so that the run reports it (the local runner fails
 * its item with {@link UnreadableEntry.unreadable} as the reason) instead of losing what is in it.
 */
export interface UnreadableEntry extends ObjectInfo {
  /** What it is and why it cannot be read, with its path. */
  readonly unreadable: string;
}

/** The hidden folder (per bucket root) holding object metadata, as S3 keeps user metadata. */
const META_DIR = '.csv2lake-meta';
/** Writes are gathered up to this size. */
const FLUSH_BYTES = 1 << 20;

/**
 * {@link ObjectStore} over local folders: each bucket name maps to a directory; keys map to paths below
 * it (`/` separated, `.`/`..` segments refused). Writes go to a temporary file renamed on `complete`, so an
 * object is complete or absent. User metadata lives in append-only journals in a hidden folder
 * (`.csv2lake-meta/` under the bucket's folder; see {@link MetadataJournal}), hidden from listings like
 * temporary files.
 *
 * ETag: `"<size>-<mtime>-<ctime>"` in hex (µs), for every object, which changes whenever the content is
 * written, even when the size and modification time are put back (see `statEtag`). Not the
 * MD5 S3 gives for a single-part upload: computing one would mean reading every input on every listing,
 * which skip-unchanged exists to avoid, and hashing every output costs ~4% of a conversion's CPU for a
 * value nobody reads (skip-unchanged compares the source's ETag recorded in the output's metadata).
 *
 * The file system calls are synchronous behind the asynchronous interface: they hit the page cache and take
 * microseconds, while each asynchronous call is a round trip through libuv's four-thread pool, which every
 * thread of the process shares. A conversion makes some 20 such calls (records, HEADs, renames);
 * asynchronous, they cost more than converting a small file (measured in `npm run bench:workflow`).
 */
export class FsObjectStore implements ObjectStore {
  private readonly roots: Map<string, string>;
  private readonly journals = new Map<string, MetadataJournal>();
  private readonly packedFolders = new Map<string, PackedFolder>();

  /**
   * @param buckets each bucket's folder
   * @param options.packed keys whose small objects are packed into journals (see {@link PackedFolder})
   *   instead of a file each: those written by `put` without metadata, with a UTF-8 body. Streamed writes
   *   and the keys it does not match are files. @default none
   */
  constructor(
    buckets: Readonly<Record<string, string>>,
    private readonly options: { readonly packed?: RegExp } = {},
  ) {
    this.roots = new Map(Object.entries(buckets).map(([name, dir]) => [name, resolve(dir)]));
  }

  /** The packed objects of the folder `dir`. */
  private packedFolder(dir: string): PackedFolder {
    let folder = this.packedFolders.get(dir);
    if (!folder) this.packedFolders.set(dir, (folder = new PackedFolder(join(dir, PACKED_DIR))));
    return folder;
  }

  /** The packed folder holding the key and its name there, when the key is one of those packed. */
  private packedOf(bucket: string, key: string): { folder: PackedFolder; name: string } | undefined {
    if (!this.options.packed?.test(key)) return undefined;
    const path = this.path(bucket, key);
    return { folder: this.packedFolder(dirname(path)), name: basename(path) };
  }

  /**
   * The file of a key.
   * @throws Error for an unknown bucket or a key that would leave its folder
   * @throws InputMissingError for the key of a file whose name is not UTF-8 (see {@link FsObjectStore.list}),
   *   which no S3 key can hold: it is listed, so that it is reported, and fails here, naming the file
   */
  path(bucket: string, key: string): string {
    const root = this.roots.get(bucket);
    if (!root) throw new Error(`unknown local bucket ${bucket}`);
    if (LONE_SURROGATE.test(key))
      throw new InputMissingError(
        `${join(root, escapeKey(key))}: this name is not valid UTF-8 (its other bytes shown as \\xNN), and an ` +
          `S3 key must be: csv2lake cannot read or write it. Rename the file (e.g. convmv -f latin1 -t utf-8 --notest)`,
      );
    const segments = key.split('/');
    if (segments.some((s) => s === '..' || s === '.') || key.startsWith('/'))
      throw new Error(`unsafe key ${JSON.stringify(key)}`);
    const path = join(root, ...segments);
    if (path !== root && !path.startsWith(root + sep)) throw new Error(`unsafe key ${JSON.stringify(key)}`);
    return path;
  }

  localFile(bucket: string, key: string): string {
    return this.path(bucket, key);
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    return this.headSync(bucket, key);
  }

  /** The bucket's metadata journal. */
  private journal(bucket: string): MetadataJournal {
    let journal = this.journals.get(bucket);
    if (!journal) {
      journal = new MetadataJournal(join(this.roots.get(bucket)!, META_DIR), (key) => this.path(bucket, key));
      this.journals.set(bucket, journal);
    }
    return journal;
  }

  /**
   * A folder is no object (as on S3); a FIFO, socket or device, a symbolic link loop or a file that cannot be
   * read is refused by name rather than taken for absent.
   */
  private headSync(bucket: string, key: string, withMetadata = true): ObjectInfo | undefined {
    const packed = this.packedOf(bucket, key);
    const p = packed?.folder.head(packed.name);
    if (p) return packedInfo(key, p, withMetadata);
    const path = this.path(bucket, key);
    let s: Stats | undefined;
    try {
      s = statSync(path, { throwIfNoEntry: false });
    } catch (error) {
      throw unreadable(path, error);
    }
    if (!s || s.isDirectory()) return undefined;
    if (!s.isFile()) throw notRegular(path, s);
    const info = { key, size: s.size, etag: statEtag(s), lastModified: s.mtime };
    if (!withMetadata) return info;
    const journal = this.journal(bucket);
    const metadata =
      journal.lookup(key, s.size, s.mtimeMs) ??
      (journal.legacy ? this.legacySidecar(bucket, key, s) : undefined);
    return { ...info, metadata: metadata ?? {} };
  }

  /** The metadata an earlier version kept in a file per object, if it still describes the file. */
  private legacySidecar(bucket: string, key: string, s: { size: number; mtimeMs: number }) {
    const name = createHash('sha256').update(key).digest('hex');
    const path = join(this.roots.get(bucket)!, META_DIR, name.slice(0, 2), `${name}.json`);
    if (!existsSync(path)) return undefined;
    try {
      const sidecar = JSON.parse(readFileSync(path, 'utf8')) as MetadataEntry;
      return sidecar.size === s.size && sidecar.mtimeMs === s.mtimeMs ? sidecar.metadata : undefined;
    } catch {
      return undefined; // torn by a crash: no metadata
    }
  }

  async get(bucket: string, key: string): Promise<ObjectBody> {
    const packed = this.packedOf(bucket, key);
    const found = packed?.folder.get(packed.name);
    if (found)
      return Object.assign(
        (async function* () {
          yield found.body;
        })(),
        { etag: packedInfo(key, found.info, false).etag },
      );
    const path = this.path(bucket, key);
    // Refused before it is opened: opening a FIFO for reading waits for a writer, for ever (a schema path).
    this.headSync(bucket, key, false);
    let fd: number;
    try {
      // Non-blocking, for a FIFO put in its place since: the open returns, and fstat refuses it.
      fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (error) {
      throw unreadable(path, error);
    }
    // The size and time of the file as opened: its ETag, whatever replaces it after.
    const s = fstatSync(fd);
    if (!s.isFile()) {
      closeSync(fd);
      throw notRegular(path, s);
    }
    return Object.assign(readOpenFile(fd, s.size), { etag: statEtag(s) });
  }

  /**
   * One page of the keys under a prefix. Every entry under the folder is listed, so that a run accounts for
   * each one — converted, failed with the reason, or ignored — and none vanishes from its report:
   * - a name that is not valid UTF-8 is listed with each byte of it that is not part of a UTF-8 character
   *   as U+DC80-U+DCFF (Python's `surrogateescape`): a key no valid name has, which {@link FsObjectStore.path}
   *   refuses, naming the file with those bytes as `\\xNN`;
   * - symbolic links are followed: one to a file is that file; one to a folder is walked as a folder, unless
   *   it leads to a folder being walked (a loop), which is listed as an {@link UnreadableEntry} instead; a
   *   link to nothing, or a loop of links, is listed, and reading it fails saying so;
   * - a FIFO, socket or device is listed, and reading it fails (see {@link FsObjectStore.get});
   * - a sub-folder that cannot be read is listed as `<folder>/`, an {@link UnreadableEntry} with the reason.
   * @throws Error when the bucket's folder itself cannot be read
   */
  async list(
    bucket: string,
    prefix: string,
    options: { token?: string; maxKeys?: number } = {},
  ): Promise<ObjectPage & { readonly objects: readonly (ObjectInfo | UnreadableEntry)[] }> {
    const root = this.roots.get(bucket);
    if (!root) throw new Error(`unknown local bucket ${bucket}`);
    const keys: string[] = [];
    // Packed objects are listed with their info; a packed object and a file of one key are listed once.
    const packed = new Map<string, ObjectInfo>();
    // The paths of names that are not UTF-8: their keys do not lead back to them.
    const raw = new Map<string, Buffer>();
    const problems = new Map<string, { path: Buffer; reason: string }>();
    // The folders being walked (device and inode): a link to one of them is a loop.
    const walking = new Set<string>();
    const wanted = (key: string) => key.startsWith(prefix) || prefix.startsWith(key);
    const walk = (dir: Buffer, dirKey: string): void => {
      let entries: Dirent<Buffer>[];
      try {
        entries = readdirSync(dir, { withFileTypes: true, encoding: 'buffer' });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // Removed since it was seen (or, for the bucket's folder, not made yet): nothing in it.
        if (code === 'ENOENT' || code === 'ENOTDIR') return;
        if (!dirKey) throw unreadableFolder(root, error);
        problems.set(`${dirKey}/`, { path: dir, reason: folderReason(error) });
        return;
      }
      for (const entry of entries) {
        const name = fromFsName(entry.name);
        if (name === META_DIR || isTempName(name)) continue;
        const key = dirKey ? `${dirKey}/${name}` : name;
        const full = Buffer.concat([dir, SLASH, entry.name]);
        if (name === PACKED_DIR) {
          if (!this.options.packed || !entry.isDirectory()) continue;
          for (const [packedName, info] of this.packedFolder(dir.toString()).names()) {
            const packedKey = dirKey ? `${dirKey}/${packedName}` : packedName;
            if (packedKey.startsWith(prefix) && this.options.packed.test(packedKey))
              packed.set(packedKey, packedInfo(packedKey, info, false));
          }
          continue;
        }
        let folder = entry.isDirectory();
        if (entry.isSymbolicLink()) {
          try {
            folder = statSync(full).isDirectory();
          } catch {
            folder = false; // a link to nothing, or a loop of links: listed, and reading it says which
          }
        }
        if (folder) {
          if (!wanted(`${key}/`)) continue;
          let id: string | undefined;
          try {
            const s = statSync(full);
            id = `${s.dev}:${s.ino}`;
          } catch (error) {
            problems.set(`${key}/`, { path: full, reason: folderReason(error) });
            continue;
          }
          if (walking.has(id)) {
            problems.set(`${key}/`, {
              path: full,
              reason:
                'a symbolic link to a folder that contains it (a loop), not followed: remove the link or move ' +
                'it out of the input',
            });
            continue;
          }
          walking.add(id);
          walk(full, key);
          walking.delete(id);
        } else if (key.startsWith(prefix)) {
          keys.push(key);
          if (LONE_SURROGATE.test(name)) raw.set(key, full);
        }
      }
    };
    const rootStat = statSync(root, { throwIfNoEntry: false });
    if (rootStat) walking.add(`${rootStat.dev}:${rootStat.ino}`);
    walk(Buffer.from(root), '');
    const files = new Set(keys);
    for (const key of packed.keys()) if (!files.has(key)) keys.push(key);
    for (const key of problems.keys()) if (wanted(key)) keys.push(key);
    keys.sort(keyOrder);
    const start = options.token ? keys.findIndex((k) => keyOrder(k, options.token!) > 0) : 0;
    const from = start < 0 ? keys.length : start;
    const page = keys.slice(from, from + (options.maxKeys ?? 1000));
    const objects: (ObjectInfo | UnreadableEntry)[] = [];
    for (const key of page) {
      const problem = problems.get(key);
      if (problem) {
        const s = lstatSync(problem.path, { throwIfNoEntry: false });
        objects.push({
          key,
          size: 0,
          etag: UNREADABLE_ETAG,
          lastModified: s?.mtime ?? new Date(0),
          unreadable: `${root}/${escapeKey(key)}: ${problem.reason}`,
        });
        continue;
      }
      // A file deleted since the walk is simply not listed.
      const info = packed.get(key) ?? listedInfo(key, raw.get(key) ?? this.path(bucket, key));
      if (info)
        objects.push({ key: info.key, size: info.size, etag: info.etag, lastModified: info.lastModified! });
    }
    const more = from + page.length < keys.length;
    return { objects, ...(more ? { nextToken: page.at(-1)! } : {}) };
  }

  async put(
    bucket: string,
    key: string,
    body: Uint8Array | string,
    options: PutOptions = {},
  ): Promise<ObjectInfo> {
    const packed = this.packedOf(bucket, key);
    // A conditional write is a file: its ETag then changes at every version (see commitIf).
    const text = packed && !options.metadata && !isConditional(options) ? utf8(body) : undefined;
    if (packed && text !== undefined) {
      try {
        return packedInfo(key, packed.folder.put(packed.name, text), true);
      } catch (error) {
        throw writeError(error, this.path(bucket, key), 0);
      }
    }
    const writer = this.createWriter(bucket, key, options);
    await writer.write(typeof body === 'string' ? Buffer.from(body) : body);
    return writer.complete();
  }

  /** Folders known to exist: `mkdir -p` once per folder, not once per object. */
  private readonly madeDirs = new Set<string>();

  private ensureDir(dir: string): void {
    if (this.madeDirs.has(dir)) return;
    mkdirSync(dir, { recursive: true });
    this.madeDirs.add(dir);
  }

  createWriter(bucket: string, key: string, options: PutOptions = {}): ObjectWriter {
    const target = this.path(bucket, key);
    // Hidden and short: see tempPath. A dead writer's are swept by the local runner (sweepTempFiles).
    const temp = tempPath(target);
    let fd: number | undefined;
    let position = 0;
    const file = (): number => {
      if (fd !== undefined) return fd;
      this.ensureDir(dirname(target));
      try {
        fd = openSync(temp, 'w');
      } catch (error) {
        // The folder was removed since it was made: make it again.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        this.madeDirs.delete(dirname(target));
        this.ensureDir(dirname(target));
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
    // Only an object with metadata is journaled.
    const journaled = Object.keys(options.metadata ?? {}).length > 0;
    const commit = (handle: number): ObjectInfo => {
      // The file's size and mtime as they stay: a rename changes neither.
      const s = fstatSync(handle);
      closeFile();
      renameSync(temp, target);
      // The rename sets the change time, part of the ETag.
      const etag = statEtag(statSync(target));
      // A packed version of the key would hide the file: the file is the latest version now.
      const packed = this.packedOf(bucket, key);
      if (packed?.folder.head(packed.name)) packed.folder.delete(packed.name);
      const metadata = { ...options.metadata };
      // Written without metadata, the file's new modification time leaves any earlier entry stale.
      if (journaled) this.journal(bucket).append(key, { size: s.size, mtimeMs: s.mtimeMs, metadata });
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
          return await this.commitIf(bucket, key, options, handle, commit, async () => {
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
   * {@link withFileLock}), checks the condition against the key's current version, then renames. A file's
   * ETag is its size and times, and the kernel's file times move in clock ticks (1-4 ms), so two versions
   * of one size written within a tick would share an ETag and an `If-Match` naming the older would pass:
   * each conditional version is therefore given a modification time later than its predecessor's.
   */
  private async commitIf(
    bucket: string,
    key: string,
    options: PutOptions,
    handle: number,
    commit: (handle: number) => ObjectInfo,
    discard: () => Promise<void>,
  ): Promise<ObjectInfo> {
    const lock = join(this.roots.get(bucket)!, META_DIR, 'locks', `${sha256(key)}.lock`);
    try {
      return await withFileLock(lock, () => {
        const current = this.headSync(bucket, key, false);
        if (options.ifNoneMatch === '*' && current)
          throw new WriteConflictError(
            `${this.path(bucket, key)}: If-None-Match * did not hold: the object exists (written since it ` +
              'was read); read it again and retry',
          );
        if (options.ifMatch !== undefined && current?.etag !== options.ifMatch)
          throw new WriteConflictError(
            `${this.path(bucket, key)}: If-Match ${options.ifMatch} did not hold: the object is ` +
              `${current ? `now ${current.etag}` : 'gone'}; read it again and retry`,
          );
        const before = current ? statSync(this.path(bucket, key), { throwIfNoEntry: false }) : undefined;
        laterThan(handle, before?.mtimeMs ?? current?.lastModified?.getTime() ?? 0);
        return commit(handle);
      });
    } catch (error) {
      await discard();
      throw error;
    }
  }

  async delete(bucket: string, key: string): Promise<void> {
    const packed = this.packedOf(bucket, key);
    if (packed?.folder.head(packed.name)) packed.folder.delete(packed.name);
    // Its metadata journal entry, if any, no longer matches a file.
    removeIfPresent(this.path(bucket, key));
  }
}

function isConditional(options: PutOptions): boolean {
  return options.ifMatch !== undefined || options.ifNoneMatch !== undefined;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Sets the open file's modification time to now, to the microsecond (the kernel's own is a clock tick),
 * and at least a few microseconds after `previousMs`, the time of the version it replaces (a clock set
 * back included). Its ETag, in microseconds, then differs from every earlier version's.
 */
function laterThan(handle: number, previousMs: number): void {
  const now = performance.timeOrigin + performance.now();
  const ms = Math.max(now, previousMs + 0.005);
  futimesSync(handle, ms / 1000, ms / 1000);
}

/** A packed object's info: its ETag, like a file's, from its size and the time it was written. */
function packedInfo(key: string, p: PackedInfo, withMetadata: boolean): ObjectInfo {
  const time = p.lastModified.getTime();
  const etag = statEtag({ size: p.size, mtimeMs: time, ctimeMs: time });
  return { key, size: p.size, etag, lastModified: p.lastModified, ...(withMetadata ? { metadata: {} } : {}) };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as text, when it is UTF-8 (a packed object is stored as text). */
function utf8(body: Uint8Array | string): string | undefined {
  if (typeof body === 'string') return body;
  try {
    return strictUtf8.decode(body);
  } catch {
    return undefined;
  }
}

/**
 * The ETag of a file: its size, modification time and change time (µs), in hex. The change time is what
 * makes it safe: a rewrite that puts the size and modification time back (`touch -d`, an unzip, `cp -p`)
 * still sets it to now, and nothing but the kernel sets it. A `chmod`, a rename or a copy of the folder
 * sets it too, which makes the file a new version: converted once more, never skipped wrongly.
 */
function statEtag(s: { size: number; mtimeMs: number; ctimeMs: number }): string {
  const us = (ms: number) => Math.round(ms * 1000).toString(16);
  return `"${s.size.toString(16)}-${us(s.mtimeMs)}-${us(s.ctimeMs)}"`;
}

/** unlink, checked first: most deletes (a rejects file that was never written) find nothing. */
function removeIfPresent(path: string): void {
  if (!existsSync(path)) return;
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** A key holding a name that is not UTF-8: U+DC80-U+DCFF alone (the `u` flag leaves surrogate pairs out). */
const LONE_SURROGATE = /[\uDC80-\uDCFF]/u;
const SLASH = Buffer.from('/');
const strictNames = new TextDecoder('utf-8', { fatal: true });

/**
 * A file name as a key: its UTF-8 text, or, for a name that is not valid UTF-8, the text with each byte
 * that is not part of a valid character as U+DC80+byte (as Python's `os.fsdecode` does), so that two such
 * names stay two keys and no valid name gives the same key.
 */
function fromFsName(bytes: Buffer): string {
  if (!bytes.some((b) => b >= 0x80)) return bytes.toString('latin1');
  try {
    return strictNames.decode(bytes);
  } catch {
    // decoded below, one sequence at a time
  }
  let text = '';
  for (let i = 0; i < bytes.length;) {
    const n = utf8SequenceLength(bytes, i);
    if (n === 0) {
      text += String.fromCharCode(0xdc00 + bytes[i]!);
      i++;
    } else {
      text += bytes.toString('utf8', i, i + n);
      i += n;
    }
  }
  return text;
}

/** The length of the valid UTF-8 sequence at `i` (RFC 3629: no overlong forms, surrogates or > U+10FFFF), or 0. */
function utf8SequenceLength(bytes: Buffer, i: number): number {
  const b = bytes[i]!;
  if (b < 0x80) return 1;
  const [n, low, high] =
    b >= 0xc2 && b <= 0xdf
      ? [2, 0x80, 0xbf]
      : b === 0xe0
        ? [3, 0xa0, 0xbf]
        : b === 0xed
          ? [3, 0x80, 0x9f]
          : b >= 0xe1 && b <= 0xef
            ? [3, 0x80, 0xbf]
            : b === 0xf0
              ? [4, 0x90, 0xbf]
              : b === 0xf4
                ? [4, 0x80, 0x8f]
                : b >= 0xf1 && b <= 0xf3
                  ? [4, 0x80, 0xbf]
                  : [0, 0, 0];
  if (n === 0 || i + n > bytes.length) return 0;
  const second = bytes[i + 1]!;
  if (second < low || second > high) return 0;
  for (let k = 2; k < n; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return 0;
  return n;
}

/** A key for messages: the bytes of a name that is not UTF-8 as `\xNN`. */
export function escapeKey(key: string): string {
  return key.replace(
    /[\uDC80-\uDCFF]/gu,
    (c) => `\\x${(c.charCodeAt(0) - 0xdc00).toString(16).padStart(2, '0')}`,
  );
}

/**
 * S3's order of keys, by their UTF-8 bytes (not UTF-16 code units, which differ above U+FFFF); keys of
 * names that are not UTF-8, whose bytes can tie, then by their code units, so that pages never skip one.
 */
function keyOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * What a listing says about a listed entry that is no folder: the file it leads to, or, when that cannot
 * be known (a link to nothing, a loop of links, no permission), the entry itself, so that it is listed and
 * its reading fails saying why. Undefined when it is gone.
 */
function listedInfo(key: string, path: string | Buffer): ObjectInfo | undefined {
  let s: Stats | undefined;
  try {
    s = statSync(path, { throwIfNoEntry: false }) ?? lstatSync(path, { throwIfNoEntry: false });
  } catch {
    s = lstatSync(path, { throwIfNoEntry: false });
  }
  if (!s || s.isDirectory()) return undefined;
  return { key, size: s.isFile() ? s.size : 0, etag: statEtag(s), lastModified: s.mtime };
}

/** What a file is, for messages. */
function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** Reading a FIFO blocks until a writer comes; a device or socket is no object either. */
function notRegular(path: string, s: Stats): InputMissingError {
  return new InputMissingError(
    `${path} is ${kindOf(s)}, not a regular file: csv2lake reads only regular files (or links to them); ` +
      'give the path of a regular file, or copy the data into one',
  );
}

/** Why a path cannot be opened, as a data error naming it (no retry reads it better). */
function unreadable(path: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const link = lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink() ?? false;
  const reason =
    code === 'ENOENT'
      ? link
        ? 'is a symbolic link to nothing (its target was removed or moved)'
        : 'no longer exists (deleted after it was listed?)'
      : code === 'ELOOP'
        ? 'is a symbolic link that leads back to itself (a loop of links)'
        : code === 'EACCES' || code === 'EPERM'
          ? 'cannot be read: permission denied; make it readable by the user that runs csv2lake'
          : code === 'ENAMETOOLONG'
            ? 'has a name longer than the file system takes'
            : undefined;
  if (!reason) return error as Error;
  return new InputMissingError(`${path} ${reason}`, { cause: error });
}

/** Why a folder cannot be read, for its {@link UnreadableEntry}. */
function folderReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM'
    ? `a folder that cannot be read (${code}: permission denied), so its files are not listed; make it readable ` +
        'and searchable (chmod u+rx) by the user that runs csv2lake, then run again'
    : code === 'ELOOP'
      ? 'a symbolic link that leads back to itself (a loop of links), not followed'
      : `a folder that cannot be read (${code ?? (error as Error).message}), so its files are not listed`;
}

/** The bucket's own folder cannot be read: nothing could be listed. */
function unreadableFolder(root: string, error: unknown): Error {
  return new Error(`cannot list ${root}: ${folderReason(error)}`, { cause: error });
}

/**
 * A write that failed, as an error that says which file and what to do: the bare `ENOSPC: no space left on
 * device, write` named neither. Keeps the `code`, and the original as `cause`.
 */
function writeError(error: unknown, path: string, bytes: number): unknown {
  const e = error as NodeJS.ErrnoException;
  if (typeof e?.code !== 'string' || e instanceof Csv2LakeError) return error;
  const advice =
    e.code === 'ENOSPC' || e.code === 'EDQUOT'
      ? `the disk (or quota) is full after ${bytes} bytes of it: free space there (or write the output elsewhere), ` +
        'then redrive the run'
      : e.code === 'ENAMETOOLONG'
        ? `its name is ${Buffer.byteLength(basename(path))} bytes, more than the file system takes (255): ` +
          "shorten the input's name"
        : e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS'
          ? 'csv2lake may not write there: make the folder writable by the user that runs csv2lake'
          : e.message;
  return Object.assign(new Error(`cannot write ${path}: ${e.code}: ${advice}`, { cause: e }), {
    code: e.code,
  });
}
