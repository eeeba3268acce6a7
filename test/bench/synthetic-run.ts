/*
 * A run of N keys for the reducer alone, as an ObjectStore that holds nothing in memory: each key's two
 * records (`_runs/<run>/items/<format>/…`) and the first map's result files (a manifest, every child's
 * entry) are generated when they are listed or read, so the process's peak RSS is the reducer's; what the
 * reducer writes (report.json, failed-items.json…) goes to files in a temporary folder, read back from
 * there (the rule-invoked reducer reads the earlier report). Used by `bench:reliability -- --only reduce`.
 *
 * Keys: `landing/<i % 1000>/file-<i>.csv`. One in 1,000 fails (a failed Parquet record, its child FAILED),
 * one in 5,000 more failed without any record (throttled), one in 10 is skipped (unchanged), one in 97 has
 * rejected rows, one in 2,000 is not CSV (`.md`, the suffix filter's Pass), and folder 7's files past
 * the first have an extra column (drift).
 */
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdtempSync,
  readFileSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  ObjectBody,
  ObjectInfo,
  ObjectPage,
  ObjectStore,
  ObjectWriter,
  PutOptions,
} from '../../lambdas/io/object-store';
import type { RunContext } from '../../lambdas/shared/payloads';

const FORMATS = ['avro', 'parquet'] as const;
const MAP_DIR = '_runs/_map/3f1b2c4d-0000-4000-8000-000000000001';

/** What kind of key `i` is. */
export function kindOf(i: number): 'failed' | 'throttled' | 'skipped' | 'ignored' | 'converted' {
  if (i % 2000 === 1999) return 'ignored';
  if (i % 1000 === 7) return 'failed';
  if (i % 5000 === 13) return 'throttled';
  if (i % 10 === 3) return 'skipped';
  return 'converted';
}

export function keyOf(i: number): string {
  return `landing/${i % 1000}/file-${i}.${kindOf(i) === 'ignored' ? 'md' : 'csv'}`;
}

const encoder = new TextEncoder();

/** The synthetic run's store; see the file's comment. */
export class SyntheticRunStore implements ObjectStore {
  private readonly written = new Map<string, string>();
  private readonly at = '2026-11-25T01:00:00.000Z';

  /** @param dir where what the reducer writes is kept (shared by the reductions of one run) */
  constructor(
    readonly run: RunContext,
    readonly count: number,
    readonly dir = mkdtempSync(join(tmpdir(), 'csv2lake-reduce-bench-')),
  ) {}

  private recordsPrefix(): string {
    return `_runs/${this.run.runId}/items/`;
  }

  private recordKey(format: string, i: number): string {
    return `${this.recordsPrefix()}${format}/${String(i).padStart(9, '0')}.json`;
  }

  private item(i: number) {
    return { bucket: this.run.inputBucket, key: keyOf(i), etag: `"e${i}"`, size: 1000 + i, run: this.run };
  }

  private record(format: (typeof FORMATS)[number], i: number): string {
    const kind = kindOf(i);
    const key = keyOf(i);
    const stem = key.replace(/\.csv$/, '');
    const base = {
      key,
      format,
      durationMs: 40 + (i % 13),
      outputKey: `${this.run.outputPrefixes[format]}${stem}.${format}`,
      sourceEtag: `"e${i}"`,
      at: this.at,
    };
    if (kind === 'failed' && format === 'parquet')
      return JSON.stringify({
        ...base,
        status: 'failed',
        error: { type: 'MalformedCsvError', message: `${key}: more than 1000 rows rejected` },
      });
    if (kind === 'skipped') return JSON.stringify({ ...base, status: 'skipped' });
    const columns = [
      { name: 'id', type: 'int64' },
      { name: 'name', type: 'string' },
      { name: 'amount', type: 'double' },
      ...(i % 1000 === 7 && i >= 1000 ? [{ name: 'note', type: 'string' }] : []),
    ];
    return JSON.stringify({
      ...base,
      status: 'converted',
      rows: 100 + (i % 50),
      rejectedRows: i % 97 === 0 ? 3 : 0,
      bytesIn: 10_000 + i,
      bytesOut: 4_000 + (i % 1000),
      columns,
    });
  }

  /** The keys of records that exist, in listing order: every format's, skipping the throttled keys. */
  private recordIndex(n: number): { format: (typeof FORMATS)[number]; i: number } {
    return { format: FORMATS[n < this.count ? 0 : 1]!, i: n % this.count };
  }

  private hasRecord(i: number): boolean {
    const kind = kindOf(i);
    return kind !== 'throttled' && kind !== 'ignored';
  }

  private resultEntry(i: number): { kind: 'SUCCEEDED' | 'FAILED'; text: string } {
    const kind = kindOf(i);
    const Input = JSON.stringify(this.item(i));
    if (kind === 'failed' || kind === 'throttled')
      return {
        kind: 'FAILED',
        text: JSON.stringify({
          ExecutionArn: `arn:aws:states:us-east-1:123456789012:execution:Csv2Lake/ConvertFiles:c${i}`,
          Input,
          InputDetails: { Included: true },
          Status: 'FAILED',
          Error: kind === 'failed' ? 'MalformedCsvError' : 'Lambda.TooManyRequestsException',
          Cause: kind === 'failed' ? '{"errorType":"MalformedCsvError"}' : 'Rate exceeded',
          StopDate: this.at,
        }),
      };
    const Output =
      kind === 'ignored'
        ? JSON.stringify({ ignored: true, key: keyOf(i) })
        : JSON.stringify(
            FORMATS.map((format) => ({
              key: keyOf(i),
              format,
              status: kind,
              rows: 100,
              durationMs: 40,
              outputKey: `${format}/${keyOf(i)}`,
              sourceEtag: `"e${i}"`,
            })),
          );
    return {
      kind: 'SUCCEEDED',
      text: JSON.stringify({
        ExecutionArn: `arn:aws:states:us-east-1:123456789012:execution:Csv2Lake/ConvertFiles:c${i}`,
        Input,
        InputDetails: { Included: true },
        Output,
        OutputDetails: { Included: true },
        Status: 'SUCCEEDED',
        StopDate: this.at,
      }),
    };
  }

  /** The map location, as the Map state's output gives it to Reduce. */
  mapResult() {
    return { ResultWriterDetails: { Bucket: this.run.outputBucket, Key: `${MAP_DIR}/manifest.json` } };
  }

  private async *resultFile(kind: 'SUCCEEDED' | 'FAILED'): AsyncGenerator<Uint8Array> {
    let parts: string[] = [];
    let first = true;
    for (let i = 0; i < this.count; i++) {
      const e = this.resultEntry(i);
      if (e.kind !== kind) continue;
      parts.push((first ? '[' : ',') + e.text);
      first = false;
      if (parts.length >= 256) {
        yield encoder.encode(parts.join(''));
        parts = [];
      }
    }
    parts.push(first ? '[]' : ']');
    yield encoder.encode(parts.join(''));
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    const small = this.written.get(key);
    if (small !== undefined) return { key, size: small.length, etag: '"w"', lastModified: new Date() };
    const file = join(this.dir, encodeURIComponent(key));
    if (existsSync(file)) return { key, size: statSync(file).size, etag: '"f"', lastModified: new Date() };
    if (key.startsWith(this.recordsPrefix()) || key.startsWith(MAP_DIR))
      return { key, size: 1, etag: '"g"', lastModified: new Date() };
    return undefined;
  }

  async get(bucket: string, key: string): Promise<ObjectBody> {
    // Records first, without looking at the disk: the bench measures the reducer, not this store.
    const record = /\/items\/(avro|parquet)\/(\d+)\.json$/.exec(key);
    if (record && key.startsWith(this.recordsPrefix()))
      return single(this.record(record[1] as 'avro' | 'parquet', Number(record[2])));
    const small = this.written.get(key);
    if (small !== undefined) return single(small);
    const file = join(this.dir, encodeURIComponent(key));
    if (existsSync(file)) return createReadStream(file, { highWaterMark: 1 << 20 }) as ObjectBody;
    if (key === `${MAP_DIR}/manifest.json`)
      return single(
        JSON.stringify({
          DestinationBucket: this.run.outputBucket,
          MapRunArn: `arn:aws:states:us-east-1:123456789012:mapRun:Csv2Lake/ConvertFiles:3f1b2c4d`,
          ResultFiles: {
            FAILED: [{ Key: `${MAP_DIR}/FAILED_0.json` }],
            PENDING: [],
            SUCCEEDED: [{ Key: `${MAP_DIR}/SUCCEEDED_0.json` }],
          },
        }),
      );
    if (key === `${MAP_DIR}/SUCCEEDED_0.json`) return this.resultFile('SUCCEEDED');
    if (key === `${MAP_DIR}/FAILED_0.json`) return this.resultFile('FAILED');
    throw Object.assign(new Error(`no such key ${key}`), { name: 'NoSuchKey' });
  }

  async list(
    bucket: string,
    prefix: string,
    options: { token?: string; maxKeys?: number } = {},
  ): Promise<ObjectPage> {
    const max = Math.min(options.maxKeys ?? 1000, 1000);
    if (prefix === this.recordsPrefix()) {
      const objects: ObjectInfo[] = [];
      let n = options.token ? Number(options.token) : 0;
      for (; n < 2 * this.count && objects.length < max; n++) {
        const { format, i } = this.recordIndex(n);
        if (this.hasRecord(i)) objects.push({ key: this.recordKey(format, i), size: 300, etag: '"r"' });
      }
      return { objects, ...(n < 2 * this.count ? { nextToken: String(n) } : {}) };
    }
    if (MAP_DIR.startsWith(prefix) || prefix.startsWith('_runs/_map'))
      return {
        objects: ['FAILED_0.json', 'SUCCEEDED_0.json', 'manifest.json'].map((name) => ({
          key: `${MAP_DIR}/${name}`,
          size: 1,
          etag: '"m"',
          lastModified: new Date(),
        })),
      };
    return { objects: [] };
  }

  async put(
    bucket: string,
    key: string,
    body: Uint8Array | string,
    _options?: PutOptions,
  ): Promise<ObjectInfo> {
    const { writeFileSync } = await import('node:fs');
    // On disk: the next reduction (another process) reads metrics.json and the report.
    writeFileSync(join(this.dir, encodeURIComponent(key)), body);
    return { key, size: body.length, etag: '"w"' };
  }

  createWriter(bucket: string, key: string): ObjectWriter {
    const file = join(this.dir, encodeURIComponent(key));
    const part = `${file}.part`;
    const out = createWriteStream(part);
    const writer = {
      bytesWritten: 0,
      write: async (chunk: Uint8Array) => {
        writer.bytesWritten += chunk.length;
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      },
      reset: () => undefined,
      complete: async () => {
        await new Promise<void>((resolve, reject) =>
          out.end((e?: Error | null) => (e ? reject(e) : resolve())),
        );
        const { renameSync } = await import('node:fs');
        renameSync(part, file);
        return { key, size: writer.bytesWritten, etag: '"f"' };
      },
      abort: async () => {
        out.destroy();
      },
    };
    return writer;
  }

  async delete(): Promise<void> {}

  /** What the reducer wrote under a key (a file's text, for checks). */
  text(key: string): string | undefined {
    const small = this.written.get(key);
    if (small !== undefined) return small;
    const file = join(this.dir, encodeURIComponent(key));
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  }

  /** Bytes the reducer wrote under a key. */
  size(key: string): number {
    const file = join(this.dir, encodeURIComponent(key));
    return existsSync(file) ? statSync(file).size : (this.written.get(key)?.length ?? 0);
  }
}

function single(text: string): ObjectBody {
  return (async function* () {
    yield encoder.encode(text);
  })();
}

/** How many keys of each kind a run of `count` keys has (what its report must say). */
export function expectedItems(count: number): Record<string, number> {
  const items = { total: count, converted: 0, skipped: 0, failed: 0, ignored: 0 };
  for (let i = 0; i < count; i++) {
    const kind = kindOf(i);
    if (kind === 'throttled') items.failed++;
    else items[kind]++;
  }
  return items;
}
