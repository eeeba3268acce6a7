import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { InputMissingError } from '../shared/errors';
import { readOpenFile } from './file-read';
import { type MetadataEntry, MetadataJournal } from './metadata-journal';
import { PACKED_DIR, PackedFolder, type PackedInfo } from './packed-objects';
import type {
  ObjectBody,
  ObjectInfo,
  ObjectPage,
  ObjectStore,
  ObjectWriter,
  PutOptions,
} from './object-store';

/** The hidden folder (per bucket root) holding object metadata, as S3 keeps user metadata. */
const META_DIR = '.csv2lake-meta';
const TEMP_MARK = '.csv2lake-tmp-';
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

  /** The file of a key. @throws Error for an unknown bucket or a key that would leave its folder. */
  path(bucket: string, key: string): string {
    const root = this.roots.get(bucket);
    if (!root) throw new Error(`unknown local bucket ${bucket}`);
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

  private headSync(bucket: string, key: string, withMetadata = true): ObjectInfo | undefined {
    const packed = this.packedOf(bucket, key);
    const p = packed?.folder.head(packed.name);
    if (p) return packedInfo(key, p, withMetadata);
    const s = statSync(this.path(bucket, key), { throwIfNoEntry: false });
    if (!s?.isFile()) return undefined;
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
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      throw new InputMissingError(`${path} no longer exists (deleted after it was listed?)`);
    }
    // The size and time of the file as opened: its ETag, whatever replaces it after.
    const s = fstatSync(fd);
    return Object.assign(readOpenFile(fd, s.size), { etag: statEtag(s) });
  }

  async list(
    bucket: string,
    prefix: string,
    options: { token?: string; maxKeys?: number } = {},
  ): Promise<ObjectPage> {
    const root = this.roots.get(bucket);
    if (!root) throw new Error(`unknown local bucket ${bucket}`);
    const keys: string[] = [];
    // Packed objects are listed with their info; a packed object and a file of one key are listed once.
    const packed = new Map<string, ObjectInfo>();
    const walk = (dir: string): void => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        if (entry.name === META_DIR || entry.name.includes(TEMP_MARK)) continue;
        if (entry.name === PACKED_DIR) {
          if (!this.options.packed) continue;
          const folder = relative(root, dir).split(sep).join('/');
          for (const [name, info] of this.packedFolder(dir).names()) {
            const key = folder ? `${folder}/${name}` : name;
            if (key.startsWith(prefix) && this.options.packed.test(key))
              packed.set(key, packedInfo(key, info, false));
          }
          continue;
        }
        const full = join(dir, entry.name);
        const key = relative(root, full).split(sep).join('/');
        if (entry.isDirectory()) {
          if ((key + '/').startsWith(prefix) || prefix.startsWith(key + '/')) walk(full);
        } else if (key.startsWith(prefix)) {
          keys.push(key);
        }
      }
    };
    walk(root);
    const files = new Set(keys);
    for (const key of packed.keys()) if (!files.has(key)) keys.push(key);
    // S3 orders keys by their UTF-8 bytes (not UTF-16 code units, which differ above U+FFFF).
    const order = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    keys.sort(order);
    const start = options.token ? keys.findIndex((k) => order(k, options.token!) > 0) : 0;
    const from = start < 0 ? keys.length : start;
    const page = keys.slice(from, from + (options.maxKeys ?? 1000));
    const objects: ObjectInfo[] = [];
    for (const key of page) {
      // A file deleted since the walk is simply not listed.
      const info = packed.get(key) ?? this.headSync(bucket, key, false);
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
    const text = packed && !options.metadata ? utf8(body) : undefined;
    if (packed && text !== undefined) return packedInfo(key, packed.folder.put(packed.name, text), true);
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
    const temp = `${target}${TEMP_MARK}${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
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
    const writer: Omit<ObjectWriter, 'bytesWritten'> & { bytesWritten: number } = {
      bytesWritten: 0,
      async write(chunk: Uint8Array) {
        this.bytesWritten += chunk.length;
        if (chunk.length >= FLUSH_BYTES) {
          flush();
          writeAll(chunk);
          return;
        }
        pending.push(Buffer.from(chunk));
        pendingBytes += chunk.length;
        if (pendingBytes >= FLUSH_BYTES) flush();
      },
      async reset() {
        pending = [];
        pendingBytes = 0;
        closeFile();
        this.bytesWritten = 0;
      },
      complete: async () => {
        flush();
        const handle = file();
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

  async delete(bucket: string, key: string): Promise<void> {
    const packed = this.packedOf(bucket, key);
    if (packed?.folder.head(packed.name)) packed.folder.delete(packed.name);
    // Its metadata journal entry, if any, no longer matches a file.
    removeIfPresent(this.path(bucket, key));
  }
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
