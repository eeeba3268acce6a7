import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { InputMissingError } from '../shared/errors';
import type { ObjectInfo, ObjectPage, ObjectStore, ObjectWriter, PutOptions } from './object-store';

/** What the store keeps beside an object it wrote. */
interface Sidecar {
  readonly md5: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly metadata: Record<string, string>;
}

/** The hidden folder (per bucket root) holding object metadata, as S3 keeps user metadata. */
const META_DIR = '.csv2lake-meta';
const TEMP_MARK = '.csv2lake-tmp-';
/** Writes are gathered up to this size. */
const FLUSH_BYTES = 1 << 20;

/**
 * {@link ObjectStore} over local folders: each bucket name maps to a directory; keys map to paths below
 * it (`/` separated, `.`/`..` segments refused). Writes go to a temporary file renamed on `complete`, so an
 * object is complete or absent. User metadata lives in a hidden sidecar folder (`.csv2lake-meta/` under the
 * bucket's folder), hidden from listings like temporary files.
 *
 * ETag: for an object written through the store, the MD5 of its content in quotes, as S3 gives for a
 * single-part upload (computed while writing, kept in the sidecar with the size and modification time it
 * belongs to). For a file placed in the folder by other means (the usual input), `"<size>-<mtime>"` in hex:
 * computing an MD5 would mean reading every input on every listing, which skip-unchanged exists to avoid.
 */
export class FsObjectStore implements ObjectStore {
  private readonly roots: Map<string, string>;

  constructor(buckets: Readonly<Record<string, string>>) {
    this.roots = new Map(Object.entries(buckets).map(([name, dir]) => [name, resolve(dir)]));
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

  private metaPath(bucket: string, key: string): string {
    // Hashed: a key may be 1,024 bytes, a file name at most 255.
    const name = createHash('sha256').update(key).digest('hex');
    return join(this.roots.get(bucket)!, META_DIR, name.slice(0, 2), `${name}.json`);
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    try {
      const s = await stat(this.path(bucket, key));
      if (!s.isFile()) return undefined;
      let sidecar: Sidecar | undefined;
      try {
        sidecar = JSON.parse(await readFile(this.metaPath(bucket, key), 'utf8')) as Sidecar;
      } catch {
        // written by other means: no metadata
      }
      // A sidecar describes the file it was written with; a file replaced since then has none of it.
      const current = sidecar && sidecar.size === s.size && sidecar.mtimeMs === s.mtimeMs;
      return {
        key,
        size: s.size,
        etag: current
          ? `"${sidecar!.md5}"`
          : `"${s.size.toString(16)}-${Math.round(s.mtimeMs).toString(16)}"`,
        lastModified: s.mtime,
        metadata: current ? sidecar!.metadata : {},
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async get(bucket: string, key: string): Promise<AsyncIterable<Uint8Array>> {
    const path = this.path(bucket, key);
    try {
      await stat(path);
    } catch {
      throw new InputMissingError(`${path} no longer exists (deleted after it was listed?)`);
    }
    return createReadStream(path, { highWaterMark: 1 << 20 });
  }

  async list(
    bucket: string,
    prefix: string,
    options: { token?: string; maxKeys?: number } = {},
  ): Promise<ObjectPage> {
    const root = this.roots.get(bucket);
    if (!root) throw new Error(`unknown local bucket ${bucket}`);
    const keys: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        if (entry.name === META_DIR || entry.name.includes(TEMP_MARK)) continue;
        const full = join(dir, entry.name);
        const key = relative(root, full).split(sep).join('/');
        if (entry.isDirectory()) {
          if ((key + '/').startsWith(prefix) || prefix.startsWith(key + '/')) await walk(full);
        } else if (key.startsWith(prefix)) {
          keys.push(key);
        }
      }
    };
    await walk(root);
    // S3 orders keys by their UTF-8 bytes (not UTF-16 code units, which differ above U+FFFF).
    const order = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    keys.sort(order);
    const start = options.token ? keys.findIndex((k) => order(k, options.token!) > 0) : 0;
    const from = start < 0 ? keys.length : start;
    const page = keys.slice(from, from + (options.maxKeys ?? 1000));
    const objects = await Promise.all(page.map(async (key) => (await this.head(bucket, key))!));
    const more = from + page.length < keys.length;
    return {
      objects: objects.filter(Boolean).map(({ metadata: _m, ...o }) => o),
      ...(more ? { nextToken: page.at(-1)! } : {}),
    };
  }

  async put(
    bucket: string,
    key: string,
    body: Uint8Array | string,
    options: PutOptions = {},
  ): Promise<ObjectInfo> {
    const writer = this.createWriter(bucket, key, options);
    await writer.write(typeof body === 'string' ? Buffer.from(body) : body);
    return writer.complete();
  }

  /** Folders known to exist: `mkdir -p` once per folder, not once per object. */
  private readonly madeDirs = new Set<string>();

  private async ensureDir(dir: string): Promise<void> {
    if (this.madeDirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.madeDirs.add(dir);
  }

  createWriter(bucket: string, key: string, options: PutOptions = {}): ObjectWriter {
    const target = this.path(bucket, key);
    const temp = `${target}${TEMP_MARK}${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const metaPath = this.metaPath(bucket, key);
    const ensureDir = (dir: string) => this.ensureDir(dir);
    let handle: Promise<FileHandle> | undefined;
    const file = () =>
      (handle ??= ensureDir(dirname(target)).then(() =>
        open(temp, 'w').catch(async (error: NodeJS.ErrnoException) => {
          // The folder was removed since it was made: make it again.
          if (error.code !== 'ENOENT') throw error;
          this.madeDirs.delete(dirname(target));
          await ensureDir(dirname(target));
          return open(temp, 'w');
        }),
      ));
    // Small writes are gathered (copied: callers may reuse their buffers) and written 1 MiB at a time.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      const data = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      await (await file()).write(data);
    };
    let md5 = createHash('md5');
    const writer: Omit<ObjectWriter, 'bytesWritten'> & { bytesWritten: number } = {
      bytesWritten: 0,
      async write(chunk: Uint8Array) {
        md5.update(chunk);
        this.bytesWritten += chunk.length;
        if (chunk.length >= FLUSH_BYTES) {
          await flush();
          await (await file()).write(chunk);
          return;
        }
        pending.push(Buffer.from(chunk));
        pendingBytes += chunk.length;
        if (pendingBytes >= FLUSH_BYTES) await flush();
      },
      async reset() {
        pending = [];
        pendingBytes = 0;
        if (handle) {
          const h = await handle;
          handle = undefined;
          await h.close();
        }
        md5 = createHash('md5');
        this.bytesWritten = 0;
      },
      async complete() {
        await flush();
        await (await file()).close();
        await rename(temp, target);
        const s = await stat(target);
        const sidecar: Sidecar = {
          md5: md5.digest('hex'),
          size: s.size,
          mtimeMs: s.mtimeMs,
          metadata: { ...options.metadata },
        };
        await ensureDir(dirname(metaPath));
        const metaTemp = `${metaPath}${TEMP_MARK}${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
        await writeFile(metaTemp, JSON.stringify(sidecar));
        await rename(metaTemp, metaPath);
        return {
          key,
          size: s.size,
          etag: `"${sidecar.md5}"`,
          lastModified: s.mtime,
          metadata: sidecar.metadata,
        };
      },
      async abort() {
        pending = [];
        pendingBytes = 0;
        if (handle) await (await handle).close().catch(() => undefined);
        await rm(temp, { force: true });
      },
    };
    return writer;
  }

  async delete(bucket: string, key: string): Promise<void> {
    await rm(this.path(bucket, key), { force: true });
    await rm(this.metaPath(bucket, key), { force: true });
  }
}
