import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  type Stats,
  statSync,
  unlinkSync,
} from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { InputMissingError } from '../shared/errors';
import { isConditional } from './conditional-put';
import { readOpenFile } from './file-read';
import { notRegular, unreadable, writeError } from './fs-errors';
import { listFolder, type UnreadableEntry } from './fs-listing';
import { escapeKey, LONE_SURROGATE, META_DIR } from './fs-names';
import { createFsWriter } from './fs-object-writer';
import { packedInfo, statEtag } from './fs-versions';
import { type MetadataEntry, MetadataJournal } from './metadata-journal';
import type {
  ObjectBody,
  ObjectInfo,
  ObjectPage,
  ObjectStore,
  ObjectWriter,
  PutOptions,
} from './object-store';
import { PackedFolder, PACKED_DIR } from './packed-objects';

export { UNREADABLE_ETAG, type UnreadableEntry } from './fs-listing';

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
   * One page of the keys under a prefix: every entry under the folder, so that a run accounts for each one
   * (see {@link listFolder}).
   * @throws Error when the bucket's folder itself cannot be read
   */
  async list(
    bucket: string,
    prefix: string,
    options: { token?: string; maxKeys?: number } = {},
  ): Promise<ObjectPage & { readonly objects: readonly (ObjectInfo | UnreadableEntry)[] }> {
    const root = this.roots.get(bucket);
    if (!root) throw new Error(`unknown local bucket ${bucket}`);
    return listFolder(
      {
        root,
        ...(this.options.packed ? { packed: this.options.packed } : {}),
        packedFolder: (dir) => this.packedFolder(dir),
        path: (key) => this.path(bucket, key),
      },
      prefix,
      options,
    );
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

  createWriter(bucket: string, key: string, options: PutOptions = {}): ObjectWriter {
    return createFsWriter(
      {
        ensureDir: (dir, again) => {
          if (again) this.madeDirs.delete(dir);
          if (this.madeDirs.has(dir)) return;
          mkdirSync(dir, { recursive: true });
          this.madeDirs.add(dir);
        },
        committed: (committedKey, s, metadata) => {
          // A packed version of the key would hide the file: the file is the latest version now.
          const packed = this.packedOf(bucket, committedKey);
          if (packed?.folder.head(packed.name)) packed.folder.delete(packed.name);
          // Only an object with metadata is journaled: written without, the file's new modification time
          // leaves any earlier entry stale.
          if (Object.keys(metadata).length > 0)
            this.journal(bucket).append(committedKey, { size: s.size, mtimeMs: s.mtimeMs, metadata });
        },
        current: (currentKey) => this.headSync(bucket, currentKey, false),
        lockPath: (lockedKey) =>
          join(this.roots.get(bucket)!, META_DIR, 'locks', `${sha256(lockedKey)}.lock`),
      },
      key,
      this.path(bucket, key),
      options,
    );
  }

  async delete(bucket: string, key: string): Promise<void> {
    const packed = this.packedOf(bucket, key);
    if (packed?.folder.head(packed.name)) packed.folder.delete(packed.name);
    // Its metadata journal entry, if any, no longer matches a file.
    removeIfPresent(this.path(bucket, key));
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
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

/** unlink, checked first: most deletes (a rejects file that was never written) find nothing. */
function removeIfPresent(path: string): void {
  if (!existsSync(path)) return;
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
