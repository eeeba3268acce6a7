import { createHash } from 'node:crypto';
import { InputChangedError } from '../../lambdas/shared/errors';
import type {
  GetOptions,
  ObjectBody,
  ObjectInfo,
  ObjectPage,
  ObjectStore,
  ObjectWriter,
  PutOptions,
} from '../../lambdas/io/object-store';
import { checkCondition } from '../../lambdas/io/conditional-put';

/** S3's ETag of a single-part object: its MD5, quoted. */
function etagOf(body: Buffer): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}

/** An ObjectStore in memory, for unit tests of handlers that are not about S3 itself. */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, { body: Buffer; metadata: Record<string, string> }>();
  readonly gets: string[] = [];

  private id(bucket: string, key: string): string {
    return `${bucket}/${key}`;
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    const o = this.objects.get(this.id(bucket, key));
    return o
      ? {
          key,
          size: o.body.length,
          etag: etagOf(o.body),
          metadata: o.metadata,
        }
      : undefined;
  }

  async get(bucket: string, key: string, options: GetOptions = {}): Promise<ObjectBody> {
    this.gets.push(key);
    const o = this.objects.get(this.id(bucket, key));
    if (!o) throw Object.assign(new Error(`no such key ${key}`), { name: 'NoSuchKey' });
    const { etag } = (await this.head(bucket, key))!;
    // As S3 answers an If-Match that names another version.
    if (options.ifMatch !== undefined && options.ifMatch !== etag)
      throw new InputChangedError(`${key} is no longer the version ${options.ifMatch}`);
    return Object.assign(
      (async function* () {
        yield o.body;
      })(),
      { etag },
    );
  }

  async list(
    bucket: string,
    prefix: string,
    options: { token?: string; maxKeys?: number } = {},
  ): Promise<ObjectPage> {
    const keys = [...this.objects.keys()]
      .filter((id) => id.startsWith(`${bucket}/${prefix}`))
      .map((id) => id.slice(bucket.length + 1))
      .sort();
    const start = options.token ? Number(options.token) : 0;
    const max = options.maxKeys ?? 1000;
    const page = keys.slice(start, start + max);
    return {
      objects: await Promise.all(page.map(async (key) => (await this.head(bucket, key))!)),
      ...(start + max < keys.length ? { nextToken: String(start + max) } : {}),
    };
  }

  async put(
    bucket: string,
    key: string,
    body: Uint8Array | string,
    options: PutOptions = {},
  ): Promise<ObjectInfo> {
    // Checked and written with no await between: atomic, as S3's conditional writes are.
    const current = this.objects.get(this.id(bucket, key));
    checkCondition(options, current && { etag: etagOf(current.body) }, `PUT ${key}`);
    this.objects.set(this.id(bucket, key), { body: Buffer.from(body), metadata: { ...options.metadata } });
    return (await this.head(bucket, key))!;
  }

  createWriter(bucket: string, key: string, options: PutOptions = {}): ObjectWriter {
    const parts: Buffer[] = [];
    const writer = {
      bytesWritten: 0,
      write: (chunk: Uint8Array) => {
        parts.push(Buffer.from(chunk));
        writer.bytesWritten += chunk.length;
      },
      reset: () => {
        parts.length = 0;
        writer.bytesWritten = 0;
      },
      complete: () => this.put(bucket, key, Buffer.concat(parts), options),
      abort: async () => {
        parts.length = 0;
      },
    };
    return writer;
  }

  async delete(bucket: string, key: string): Promise<void> {
    this.objects.delete(this.id(bucket, key));
  }

  text(bucket: string, key: string): string | undefined {
    return this.objects.get(this.id(bucket, key))?.body.toString('utf8');
  }
}
