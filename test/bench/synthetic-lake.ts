/*
 * An input prefix of N keys and its lake, as an ObjectStore that holds nothing in memory, for the planner
 * and the reducer alone (`plan-bench.ts`, and the memory-bounded plan test): the listing pages, the
 * inventory (every key converted by an earlier night, or none), and each dataset's stored schema are
 * generated when they are listed or read; what the functions write (plan files, report, the new inventory)
 * goes to files in a temporary folder and is read back from there. Every request is counted by kind.
 *
 * Keys: `landing/d<ds>/f<i>.csv`, 100 datasets of N/100 keys, listed in order. `changed` keys (every
 * N/changed-th) have another ETag than the inventory records: a usual night's new data.
 */
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdtempSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONVERTER_VERSION } from '../../lambdas/handlers/convert-item';
import { schemaFingerprint } from '../../lambdas/lake/dataset-schema';
import { INVENTORY_FORMAT, inventoryKey, inventoryScope } from '../../lambdas/lake/inventory';
import { converterOptionsHash } from '../../lambdas/lake/plan-fingerprint';
import type {
  ObjectBody,
  ObjectInfo,
  ObjectPage,
  ObjectStore,
  ObjectWriter,
} from '../../lambdas/io/object-store';
import { converterConfig } from '../../lambdas/shared/config';
import type { RunContext } from '../../lambdas/shared/payloads';

const DATASETS = 100;
const COLUMNS = [
  { name: 'id', type: 'int64' as const },
  { name: 'amount', type: 'double' as const },
];
const encoder = new TextEncoder();

/** S3 requests by kind. */
export interface RequestLog {
  list: number;
  get: number;
  head: number;
  put: number;
}

/** What the synthetic lake holds. */
export interface SyntheticLakeOptions {
  readonly keys: number;
  /** Whether an earlier night's inventory is there (false: a first night). */
  readonly inventory: boolean;
  /** Keys whose source changed since that night. @default 0 */
  readonly changed?: number;
  readonly dir?: string;
  /** Called at every listing page (to sample memory while a function runs). */
  readonly onList?: (page: number) => void;
}

export class SyntheticLakeStore implements ObjectStore {
  readonly requests: RequestLog = { list: 0, get: 0, head: 0, put: 0 };
  readonly dir: string;
  /** Inventory lines handed out, and the listing's keys served: the plan's read-ahead is their difference. */
  inventoryLines = 0;
  listed = 0;
  maxLead = 0;
  private readonly options: Required<Omit<SyntheticLakeOptions, 'dir' | 'onList'>>;
  private readonly onList: ((page: number) => void) | undefined;
  private readonly print = schemaFingerprint(COLUMNS);
  private readonly optionsHash = converterOptionsHash(
    converterConfig({ CSV2LAKE_FORMAT: 'parquet' }),
    undefined,
  );

  constructor(
    readonly run: RunContext,
    options: SyntheticLakeOptions,
  ) {
    this.options = {
      changed: 0,
      keys: options.keys,
      inventory: options.inventory,
      ...(options.changed ? { changed: options.changed } : {}),
    };
    this.onList = options.onList;
    this.dir = options.dir ?? mkdtempSync(join(tmpdir(), 'csv2lake-lake-bench-'));
  }

  key(i: number): string {
    const ds = Math.floor((i * DATASETS) / this.options.keys);
    return `landing/d${String(ds).padStart(3, '0')}/f${String(i).padStart(8, '0')}.csv`;
  }

  /** The listed ETag of key `i`; the inventory's differs for the changed keys. */
  etag(i: number, listed = true): string {
    const changed =
      this.options.changed > 0 && i % Math.floor(this.options.keys / this.options.changed) === 0;
    const n = listed && changed ? i + 0x40000000 : i;
    return `"${n.toString(16).padStart(8, '0').repeat(4)}"`;
  }

  private file(key: string): string {
    return join(this.dir, encodeURIComponent(key));
  }

  async head(_bucket: string, key: string): Promise<ObjectInfo | undefined> {
    this.requests.head++;
    if (existsSync(this.file(key))) return { key, size: statSync(this.file(key)).size, etag: '"w"' };
    return undefined;
  }

  async get(bucket: string, key: string): Promise<ObjectBody> {
    this.requests.get++;
    if (existsSync(this.file(key)))
      return Object.assign(createReadStream(this.file(key), { highWaterMark: 1 << 20 }), { etag: '"w"' });
    const schema = /^_schemas\/(d\d{3})\.json$/.exec(key);
    if (schema && bucket === this.run.outputBucket)
      return single(
        JSON.stringify({
          dataset: schema[1],
          version: 1,
          recordName: schema[1],
          partitions: [],
          columns: COLUMNS,
          history: [],
        }),
      );
    if (key === inventoryKey(this.run) && this.options.inventory)
      return Object.assign(this.inventory(), { etag: '"i"' });
    throw Object.assign(new Error(`no such key ${key}`), { name: 'NoSuchKey' });
  }

  /** The earlier night's inventory: a header, then an entry per key, generated as it is read. */
  private async *inventory(): AsyncGenerator<Uint8Array> {
    const header = {
      csv2lake: 'inventory',
      format: INVENTORY_FORMAT,
      scope: inventoryScope(this.run),
      runId: 'night-1',
      at: '',
    };
    let parts = [`${JSON.stringify(header)}\n`];
    for (let i = 0; i < this.options.keys; i++) {
      parts.push(
        `${JSON.stringify({ k: this.key(i), e: this.etag(i, false), v: CONVERTER_VERSION, o: this.optionsHash, s: this.print })}\n`,
      );
      this.inventoryLines++;
      this.maxLead = Math.max(this.maxLead, this.inventoryLines - this.listed);
      if (parts.length >= 256) {
        yield encoder.encode(parts.join(''));
        parts = [];
      }
    }
    yield encoder.encode(parts.join(''));
  }

  async list(
    bucket: string,
    prefix: string,
    options: { token?: string; maxKeys?: number } = {},
  ): Promise<ObjectPage> {
    this.requests.list++;
    this.onList?.(this.requests.list);
    if (
      bucket !== this.run.inputBucket ||
      (!this.run.inputPrefix.startsWith(prefix) && !prefix.startsWith(this.run.inputPrefix))
    )
      return { objects: [] };
    const from = options.token ? Number(options.token) : 0;
    const to = Math.min(this.options.keys, from + Math.min(options.maxKeys ?? 1000, 1000));
    const objects: ObjectInfo[] = [];
    for (let i = from; i < to; i++) {
      const key = this.key(i);
      if (key.startsWith(prefix)) objects.push({ key, etag: this.etag(i), size: 1000 });
    }
    this.listed = to;
    return { objects, ...(to < this.options.keys ? { nextToken: String(to) } : {}) };
  }

  async put(_bucket: string, key: string, body: Uint8Array | string): Promise<ObjectInfo> {
    this.requests.put++;
    writeFileSync(this.file(key), body);
    return { key, size: body.length, etag: '"w"' };
  }

  createWriter(_bucket: string, key: string): ObjectWriter {
    const file = this.file(key);
    const part = `${file}.part`;
    const out = createWriteStream(part);
    const writer = {
      bytesWritten: 0,
      /** The largest write: what a writer held at once. */
      write: async (chunk: Uint8Array) => {
        writer.bytesWritten += chunk.length;
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      },
      complete: async () => {
        await new Promise<void>((resolve, reject) =>
          out.end((e?: Error | null) => (e ? reject(e) : resolve())),
        );
        renameSync(part, file);
        // A multipart upload of 8 MiB parts: create, the parts, complete (one PUT when small).
        const parts = Math.ceil(writer.bytesWritten / (8 << 20));
        this.requests.put += parts > 1 ? parts + 2 : 1;
        return { key, size: writer.bytesWritten, etag: '"w"' };
      },
      abort: async () => {
        out.destroy();
      },
    };
    return writer;
  }

  async delete(): Promise<void> {}

  /** Bytes written under a key. */
  size(key: string): number {
    return existsSync(this.file(key)) ? statSync(this.file(key)).size : 0;
  }
}

function single(text: string): ObjectBody {
  return Object.assign(
    (async function* () {
      yield encoder.encode(text);
    })(),
    { etag: '"s"' },
  );
}
