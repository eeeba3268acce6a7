import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile, open } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { InputMissingError } from '../shared/errors';
import type { ObjectInfo, ObjectPage, ObjectStore, ObjectWriter, PutOptions } from './object-store';

/** The hidden folder (per bucket root) holding object metadata, as S3 keeps user metadata. */
const META_DIR = '.csv2lake-meta';
const TEMP_MARK = '.csv2lake-tmp-';

/**
 * {@link ObjectStore} over local folders: each bucket name maps to a directory; keys map to paths below
 * it (`/` separated, `.`/`..` segments refused). Writes go to a temporary file renamed on `complete`, so an
 * object is complete or absent. User metadata lives in a hidden sidecar folder. The ETag is derived from
 * size and modification time: enough to tell a changed file.
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
    return join(this.roots.get(bucket)!, META_DIR, `${encodeURIComponent(key)}.json`);
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    try {
      const s = await stat(this.path(bucket, key));
      if (!s.isFile()) return undefined;
      let metadata: Record<string, string> = {};
      try {
        metadata = JSON.parse(await readFile(this.metaPath(bucket, key), 'utf8')) as Record<string, string>;
      } catch {
        // no metadata recorded
      }
      return {
        key,
        size: s.size,
        etag: `"${s.size.toString(16)}-${Math.round(s.mtimeMs).toString(16)}"`,
        lastModified: s.mtime,
        metadata,
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
    keys.sort();
    const start = options.token ? keys.findIndex((k) => k > options.token!) : 0;
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

  createWriter(bucket: string, key: string, options: PutOptions = {}): ObjectWriter {
    const target = this.path(bucket, key);
    const temp = `${target}${TEMP_MARK}${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    let handle: Promise<import('node:fs/promises').FileHandle> | undefined;
    const file = async () => {
      if (!handle) {
        handle = mkdir(dirname(target), { recursive: true }).then(() => open(temp, 'w'));
      }
      return handle;
    };
    const head = () => this.head(bucket, key);
    const metaPath = this.metaPath(bucket, key);
    const writer: Omit<ObjectWriter, 'bytesWritten'> & { bytesWritten: number } = {
      bytesWritten: 0,
      async write(chunk: Uint8Array) {
        const h = await file();
        await h.write(chunk);
        this.bytesWritten += chunk.length;
      },
      async reset() {
        const h = await file();
        await h.truncate(0);
        handle = undefined;
        await h.close();
        this.bytesWritten = 0;
      },
      async complete() {
        await (await file()).close();
        const meta = metaPath;
        if (options.metadata && Object.keys(options.metadata).length > 0) {
          await mkdir(dirname(meta), { recursive: true });
          await writeFile(meta, JSON.stringify(options.metadata));
        } else {
          await rm(meta, { force: true });
        }
        await rename(temp, target);
        return (await head())!;
      },
      async abort() {
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
