/*
 * The run's account of every key, kept compact so that a run of a million keys fits the reducer: one slot
 * per key in typed arrays (statuses, figures, dates), column lists interned (the files of a folder share
 * one), and objects only for what is rare (errors, failed children's inputs, keys carried over from an
 * earlier report). Measured with `npm run bench:reliability -- --only reduce` (see the README).
 */
import type { OutputFormat } from '../../core/model/options';
import type { InventoryEntry } from '../../lake/inventory';
import { compareKeys } from '../../lake/inventory-io';
import type { ConvertItem, ConvertResult, RunContext } from '../../shared/payloads';
import { itemsOf, type MapResultEntry } from './result-files';
import { SourceEvidence } from './source-evidence';

/** What a file became in the run. */
export type FileStatus = 'converted' | 'skipped' | 'failed';

/** One error of a file: a format's failed record, or the workflow's word when the child left none. */
export interface ItemError {
  format: OutputFormat | 'workflow';
  type: string;
  message: string;
}

/** One column of a converted file, as its record gives it. */
export interface ColumnInfo {
  readonly name: string;
  readonly type: string;
}

/** One input key's account, over both formats (an element of report.json's `files`). */
export interface ItemAccount {
  key: string;
  status: FileStatus;
  rows: number;
  rejectedRows: number;
  bytesIn: number;
  bytesOut: Partial<Record<OutputFormat, number>>;
  durationMs: number;
  errors: ItemError[];
  columns?: readonly ColumnInfo[];
}

/** Two input keys that wrote the same output object: the later one replaced the other's output. */
export interface OutputCollision {
  readonly outputKey: string;
  readonly inputKeys: string[];
}

/** The formats records can have, in the order a listing of `items/<format>/` gives them. */
const FORMATS: readonly OutputFormat[] = ['avro', 'parquet'];

/** A format's latest record of a key: none, or its status. */
const NO_RECORD = 0;
const RECORD_CODE: Record<FileStatus, number> = { converted: 1, skipped: 2, failed: 3 };
const FAILED = 3;

/** What the Distributed Maps said about a key (the last map that had it); 0: nothing. */
const SUCCEEDED = 1;
const IGNORED = 2;
const CHILD_FAILED = 3;

/** A child that did not succeed (FAILED, or PENDING when its Map Run stopped), for its keys. */
interface FailedVerdict {
  readonly status: string;
  readonly error?: string;
  readonly cause?: string;
  readonly stoppedAt?: number;
  readonly input: ConvertItem;
}

/** A 53-bit hash of a string (cyrb53): output keys are compared by hash first, then exactly. */
function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

function grown<T extends Float64Array | Uint8Array | Int32Array>(array: T, capacity: number, fill = 0): T {
  const next = new (array.constructor as new (n: number) => T)(capacity);
  next.set(array);
  if (fill !== 0) next.fill(fill, array.length);
  return next;
}

/**
 * The account of every key of a run, from three sources read in this order: the Distributed Map result
 * files ({@link addChild}, later maps overriding earlier ones), the per-item records ({@link addRecord},
 * one per key and format, overwritten by every attempt), and the run's earlier report
 * ({@link carryFile}, {@link carryIgnored}, {@link carryFailedItem}: keys that neither of the others
 * know, so that a reduction with less to read than the last one — the execution-status rule's, after an
 * aborted Map Run wrote no result — never loses a key). Then {@link settle} decides each key, and the
 * report is read from the getters and iterators.
 */
export class RunAccounting {
  private readonly keys: string[] = [];
  private readonly ids = new Map<string, number>();
  private capacity = 1024;
  private readonly record = FORMATS.map(() => new Uint8Array(1024));
  private readonly recordAt = FORMATS.map(() => new Float64Array(1024));
  /** Per format: the output key's hash (NaN: none), its length in common with `<prefix><key>`, the rest. */
  private readonly outputHash = FORMATS.map(() => new Float64Array(1024).fill(NaN));
  private readonly outputCommon = FORMATS.map(() => new Int32Array(1024));
  private readonly outputRest = FORMATS.map(() => [] as (string | undefined)[]);
  private readonly bytesOutOf = FORMATS.map(() => new Float64Array(1024));
  private rows = new Float64Array(1024);
  private rejected = new Float64Array(1024);
  private bytesInOf = new Float64Array(1024);
  private duration = new Float64Array(1024);
  private schema = new Int32Array(1024).fill(-1);
  private verdict = new Uint8Array(1024);
  /** After settle: 0 not a file (ignored), else the RECORD_CODE of its status. */
  private status = new Uint8Array(0);
  private readonly failedVerdicts = new Map<number, FailedVerdict>();
  /** The source ETag of each format's record, kept only for keys whose child failed (SameVersion). */
  private readonly etags = new Map<number, (string | undefined)[]>();
  private readonly errors = new Map<number, ItemError[]>();
  private readonly carried = new Map<number, FileStatus>();
  private readonly carriedInputs = new Map<string, ConvertItem>();
  private readonly failedInputs = new Map<number, ConvertItem>();
  private readonly schemas: (readonly ColumnInfo[])[] = [];
  private readonly schemaIds = new Map<string, number>();
  private readonly interned = new Map<string, string>();
  private readonly runs = new Map<string, RunContext>();
  private order: Int32Array | undefined;
  /** What the inventory needs of each key (see {@link inventoryEntries}). */
  private readonly sources = new SourceEvidence();
  /** Records read. */
  records = 0;
  /** Lambda time of every attempt that left a record (and of carried files). */
  lambdaMs = 0;

  constructor(
    private readonly run: RunContext,
    /** The run's formats: a file converted only when every one of them has a good record. */
    private readonly runFormats: readonly OutputFormat[],
  ) {}

  private intern(text: string): string {
    if (text.length > 64) return text;
    const known = this.interned.get(text);
    if (known !== undefined) return known;
    this.interned.set(text, text);
    return text;
  }

  private id(key: string): number {
    let id = this.ids.get(key);
    if (id !== undefined) return id;
    id = this.keys.length;
    if (id === this.capacity) this.grow();
    this.keys.push(key);
    this.ids.set(key, id);
    return id;
  }

  private grow(): void {
    const n = this.capacity * 2;
    for (let f = 0; f < FORMATS.length; f++) {
      this.record[f] = grown(this.record[f]!, n);
      this.recordAt[f] = grown(this.recordAt[f]!, n);
      this.outputHash[f] = grown(this.outputHash[f]!, n, NaN);
      this.outputCommon[f] = grown(this.outputCommon[f]!, n);
      this.bytesOutOf[f] = grown(this.bytesOutOf[f]!, n);
    }
    this.rows = grown(this.rows, n);
    this.rejected = grown(this.rejected, n);
    this.bytesInOf = grown(this.bytesInOf, n);
    this.duration = grown(this.duration, n);
    this.schema = grown(this.schema, n, -1);
    this.verdict = grown(this.verdict, n);
    this.capacity = n;
  }

  private schemaId(columns: readonly ColumnInfo[]): number {
    const text = JSON.stringify(columns);
    let id = this.schemaIds.get(text);
    if (id === undefined) {
      id = this.schemas.length;
      this.schemas.push(columns.map((c) => ({ name: c.name, type: c.type })));
      this.schemaIds.set(text, id);
    }
    return id;
  }

  /** An item as the retry map needs it, its run shared with every other item of the run. */
  private compactInput(input: ConvertItem): ConvertItem {
    if (!input.run) return input;
    const text = JSON.stringify(input.run);
    let run = this.runs.get(text);
    if (!run) this.runs.set(text, (run = input.run));
    return { ...input, bucket: this.intern(input.bucket), run };
  }

  /** One child of a Distributed Map (an entry of a result file of `kind` SUCCEEDED, FAILED or PENDING). */
  addChild(kind: string, entry: MapResultEntry): void {
    // Only the suffix filter's Pass answers an object; the converters' Parallel answers an array.
    const ignored =
      kind === 'SUCCEEDED' && entry.Output !== undefined && !entry.Output.trimStart().startsWith('[')
        ? Boolean((JSON.parse(entry.Output) as { ignored?: boolean } | null)?.ignored)
        : false;
    const status = ignored ? 'IGNORED' : (entry.Status ?? kind);
    const stoppedAt =
      entry.StopDate === undefined ? NaN : new Date(entry.StopDate as string | number).getTime();
    for (const input of itemsOf(entry.Input)) {
      if (!input.key) continue;
      const id = this.id(input.key);
      if (status === 'SUCCEEDED' || status === 'IGNORED') {
        this.verdict[id] = status === 'SUCCEEDED' ? SUCCEEDED : IGNORED;
        this.failedVerdicts.delete(id);
        continue;
      }
      this.verdict[id] = CHILD_FAILED;
      this.failedVerdicts.set(id, {
        status,
        ...(entry.Error !== undefined ? { error: entry.Error } : {}),
        ...(entry.Cause !== undefined ? { cause: entry.Cause } : {}),
        ...(Number.isNaN(stoppedAt) ? {} : { stoppedAt }),
        input: this.compactInput(input as ConvertItem),
      });
    }
  }

  /** One per-item record (`_runs/<runId>/items/<format>/…`). */
  addRecord(r: ConvertResult): void {
    const f = FORMATS.indexOf(r.format);
    if (f < 0) return;
    const id = this.id(r.key);
    this.records++;
    this.lambdaMs += r.durationMs;
    this.record[f]![id] = RECORD_CODE[r.status];
    const at = Date.parse(r.at);
    this.recordAt[f]![id] = Number.isNaN(at) ? 0 : at;
    if (this.verdict[id] === CHILD_FAILED) {
      const etags = this.etags.get(id) ?? this.etags.set(id, []).get(id)!;
      etags[f] = r.sourceEtag;
    }
    if (r.status !== 'failed' && r.outputKey) this.setOutput(f, id, r.outputKey);
    if (r.status !== 'failed' && r.sourceEtag !== undefined && r.schemaFingerprint !== undefined)
      this.sources.add(id, f, r.sourceEtag, r.schemaFingerprint);
    if (r.status === 'failed') {
      this.pushError(id, {
        format: r.format,
        type: this.intern(r.error?.type ?? 'Error'),
        message: r.error?.message ?? '',
      });
      return;
    }
    if (r.status === 'converted') {
      this.rows[id] = r.rows ?? 0;
      this.rejected[id] = r.rejectedRows ?? 0;
      this.bytesInOf[id] = r.bytesIn ?? 0;
      this.bytesOutOf[f]![id] = r.bytesOut ?? 0;
      this.duration[id] = Math.max(this.duration[id]!, r.durationMs);
      if (r.columns) this.schema[id] = this.schemaId(r.columns);
    }
  }

  /**
   * The inventory entries this run proves, in key order: a file (not failed) whose every format has a good
   * latest record, all of one source ETag and one schema fingerprint. `optionsOf` gives the options hash of
   * a key's outputs (undefined: not known, no entry). A key without such proof is left out, and so planned
   * at the next run.
   */
  *inventoryEntries(
    version: string,
    optionsOf: (key: string) => string | undefined,
  ): Generator<InventoryEntry> {
    let mask = 0;
    for (const format of this.runFormats) {
      const f = FORMATS.indexOf(format);
      if (f < 0) return;
      mask |= 1 << f;
    }
    if (mask === 0) return;
    for (const id of this.sorted()) {
      const status = this.status[id]!;
      if (status === 0 || status === FAILED || (this.sources.formats(id) & mask) !== mask) continue;
      const e = this.sources.etag(id);
      const p = this.sources.print(id);
      if (e === undefined || p === undefined) continue;
      const k = this.keys[id]!;
      const o = optionsOf(k);
      if (o === undefined) continue;
      yield { k, e, v: version, o, s: p };
    }
  }

  /**
   * An output key is `<format prefix><key's stem><extension>`: kept as the length it shares with
   * `<format prefix><key>` and the (interned) rest, a few bytes instead of a string per key and format.
   */
  private setOutput(f: number, id: number, outputKey: string): void {
    const like = (this.run.outputPrefixes[FORMATS[f]!] ?? '') + this.keys[id]!;
    let common = 0;
    const max = Math.min(like.length, outputKey.length);
    while (common < max && like.charCodeAt(common) === outputKey.charCodeAt(common)) common++;
    this.outputHash[f]![id] = hash53(outputKey);
    this.outputCommon[f]![id] = common;
    this.outputRest[f]![id] = this.intern(outputKey.slice(common));
  }

  private outputKeyOf(f: number, id: number): string {
    const like = (this.run.outputPrefixes[FORMATS[f]!] ?? '') + this.keys[id]!;
    return like.slice(0, this.outputCommon[f]![id]) + (this.outputRest[f]![id] ?? '');
  }

  private pushError(id: number, error: ItemError): void {
    const list = this.errors.get(id);
    if (list) list.push(error);
    else this.errors.set(id, [error]);
  }

  /** Whether the maps or the records already know a key (else the earlier report's account is kept). */
  knows(key: string): boolean {
    return this.ids.has(key);
  }

  /** A file of the earlier report that this reduction has nothing on: its account is kept as it was. */
  carryFile(file: ItemAccount): void {
    if (this.ids.has(file.key)) return;
    const id = this.id(file.key);
    this.carried.set(id, file.status);
    this.rows[id] = file.rows;
    this.rejected[id] = file.rejectedRows;
    this.bytesInOf[id] = file.bytesIn;
    this.duration[id] = file.durationMs;
    this.lambdaMs += file.durationMs;
    for (const [format, bytes] of Object.entries(file.bytesOut) as [OutputFormat, number][]) {
      const f = FORMATS.indexOf(format);
      if (f < 0) continue;
      this.bytesOutOf[f]![id] = bytes;
      // Marks the format as holding an output, as a converted record would (bytesOut lists it).
      this.record[f]![id] = RECORD_CODE.converted;
    }
    if (file.columns) this.schema[id] = this.schemaId(file.columns);
    if (file.status === 'failed') for (const e of file.errors) this.pushError(id, e);
  }

  /** A key the earlier report called not CSV, when this reduction has nothing on it. */
  carryIgnored(key: string): void {
    if (this.ids.has(key)) return;
    this.verdict[this.id(key)] = IGNORED;
  }

  /**
   * An item of the earlier report's failed items: the input of a file still failed that no map result of
   * this reduction names (a failed record alone does not say how the retry map must call the file).
   */
  carryFailedItem(item: ConvertItem): void {
    this.carriedInputs.set(item.key, this.compactInput(item));
  }

  /**
   * Decides every key. A key is:
   * - failed when its latest record of some format failed, or when the last map that ran it reports the
   *   child failed and no record was written after that failure (a redrive that succeeded writes newer
   *   records of every format, of one version);
   * - otherwise converted when a format converted it, skipped when every format found it unchanged;
   * - not CSV (ignored) when it has no record and its child succeeded: the suffix filter's Pass, or a batch
   *   whose converters skipped it. Every key the maps, the records or the earlier report name is counted
   *   once, as a file or as ignored.
   */
  settle(): void {
    const n = this.keys.length;
    this.status = new Uint8Array(n);
    const formats = this.runFormats.map((format) => FORMATS.indexOf(format));
    for (let id = 0; id < n; id++) {
      const carried = this.carried.get(id);
      if (carried !== undefined) {
        this.status[id] = RECORD_CODE[carried];
        const input = carried === 'failed' ? this.carriedInputs.get(this.keys[id]!) : undefined;
        if (input) this.failedInputs.set(id, input);
        continue;
      }
      let failed = false;
      let converted = false;
      let any = false;
      for (let f = 0; f < FORMATS.length; f++) {
        const code = this.record[f]![id]!;
        if (code === NO_RECORD) continue;
        any = true;
        if (code === FAILED) failed = true;
        else if (code === RECORD_CODE.converted) converted = true;
      }
      const verdict = this.failedVerdicts.get(id);
      if (verdict && !this.superseded(id, verdict, formats)) {
        this.failedInputs.set(id, verdict.input);
        if (!failed)
          this.pushError(id, {
            format: 'workflow',
            type: this.intern(verdict.error ?? verdict.status),
            message: verdict.cause ?? '',
          });
        failed = true;
        any = true;
      }
      if (!any) continue;
      if (failed && !this.failedInputs.has(id)) {
        const input = this.carriedInputs.get(this.keys[id]!);
        if (input) this.failedInputs.set(id, input);
      }
      this.status[id] = failed ? FAILED : converted ? RECORD_CODE.converted : RECORD_CODE.skipped;
      // The latest record per format is the only one kept, so any failed record is a current failure.
      if (!failed) this.errors.delete(id);
    }
    // S3's key order, the order of the plan's lists, with which the report's lists are merged.
    this.order = Int32Array.from({ length: n }, (_, i) => i).sort((x, y) =>
      compareKeys(this.keys[x]!, this.keys[y]!),
    );
  }

  /**
   * The child failed. A later attempt (a redrive) made it good only if EVERY format of the run has a good
   * record, one of them written after the child stopped (a redrive re-runs only the failed branch of the
   * Parallel). One good format proves nothing: the child fails when one branch does, and a function killed
   * before it wrote anything (out of memory, an invocation error) leaves no record of its format. Nor do
   * good records of two versions of the file: that is why such a child failed (SameVersion).
   */
  private superseded(id: number, verdict: FailedVerdict, formats: readonly number[]): boolean {
    if (formats.length === 0) return false;
    const etags = this.etags.get(id);
    const versions = new Set<string>();
    let later = verdict.stoppedAt === undefined;
    for (const f of formats) {
      const code = f < 0 ? NO_RECORD : this.record[f]![id]!;
      if (code === NO_RECORD || code === FAILED) return false;
      const etag = etags?.[f];
      if (etag !== undefined) versions.add(etag);
      if (!later && this.recordAt[f]![id]! > verdict.stoppedAt!) later = true;
    }
    return versions.size <= 1 && later;
  }

  private sorted(): Int32Array {
    if (!this.order) throw new Error('RunAccounting: settle() first');
    return this.order;
  }

  /** Files (keys that are not ignored) of a status, or all of them. */
  count(status?: FileStatus): number {
    let n = 0;
    const want = status === undefined ? -1 : RECORD_CODE[status];
    for (let id = 0; id < this.status.length; id++) {
      const s = this.status[id]!;
      if (s !== 0 && (want < 0 || s === want)) n++;
    }
    return n;
  }

  /** The latest record of every key and format, by status: what the converters' invocations did. */
  converterOutcomes(): Record<FileStatus, number> {
    const out: Record<FileStatus, number> = { converted: 0, skipped: 0, failed: 0 };
    for (let f = 0; f < FORMATS.length; f++)
      for (let id = 0; id < this.keys.length; id++) {
        const code = this.record[f]![id]!;
        if (code === RECORD_CODE.converted) out.converted++;
        else if (code === RECORD_CODE.skipped) out.skipped++;
        else if (code === FAILED) out.failed++;
      }
    return out;
  }

  /** Keys that are not CSV (ignored). */
  get ignored(): number {
    return this.status.length - this.count();
  }

  /** Sums over the files. */
  totals(): {
    rows: number;
    rejectedRows: number;
    bytesIn: number;
    durationMs: number;
    bytesOut: Partial<Record<OutputFormat, number>>;
  } {
    let rows = 0;
    let rejectedRows = 0;
    let bytesIn = 0;
    let durationMs = 0;
    const bytesOut: Partial<Record<OutputFormat, number>> = {};
    for (const id of this.sorted()) {
      if (this.status[id] === 0) continue;
      rows += this.rows[id]!;
      rejectedRows += this.rejected[id]!;
      bytesIn += this.bytesInOf[id]!;
      durationMs += this.duration[id]!;
      for (let f = 0; f < FORMATS.length; f++)
        if (this.record[f]![id] === RECORD_CODE.converted)
          bytesOut[FORMATS[f]!] = (bytesOut[FORMATS[f]!] ?? 0) + this.bytesOutOf[f]![id]!;
    }
    return { rows, rejectedRows, bytesIn, durationMs, bytesOut };
  }

  /** The account of one file, built when it is written. */
  private account(id: number): ItemAccount {
    const bytesOut: Partial<Record<OutputFormat, number>> = {};
    for (let f = 0; f < FORMATS.length; f++)
      if (this.record[f]![id] === RECORD_CODE.converted) bytesOut[FORMATS[f]!] = this.bytesOutOf[f]![id]!;
    const status = this.status[id]!;
    const schema = this.schema[id]!;
    return {
      key: this.keys[id]!,
      status: status === FAILED ? 'failed' : status === RECORD_CODE.converted ? 'converted' : 'skipped',
      rows: this.rows[id]!,
      rejectedRows: this.rejected[id]!,
      bytesIn: this.bytesInOf[id]!,
      bytesOut,
      durationMs: this.duration[id]!,
      errors: status === FAILED ? (this.errors.get(id) ?? []) : [],
      ...(schema >= 0 ? { columns: this.schemas[schema]! } : {}),
    };
  }

  /** Every file's account, in key order (S3's, see compareKeys), one at a time. */
  *files(filter?: (status: FileStatus) => boolean): Generator<ItemAccount> {
    for (const id of this.sorted()) {
      if (this.status[id] === 0) continue;
      const account = this.account(id);
      if (!filter || filter(account.status)) yield account;
    }
  }

  /** Files with rejected rows, in key order. */
  *rejectedFiles(): Generator<ItemAccount> {
    for (const id of this.sorted())
      if (this.status[id] !== 0 && this.rejected[id]! > 0) yield this.account(id);
  }

  /** The failed files' items as the retry map reads them: at the version the file has then. */
  *failedItems(): Generator<ConvertItem> {
    for (const id of this.sorted()) {
      if (this.status[id] !== FAILED) continue;
      const input = this.failedInputs.get(id);
      if (input) yield { ...input, current: true };
    }
  }

  /** How many {@link failedItems} there are. */
  get failedItemCount(): number {
    let n = 0;
    for (const id of this.failedInputs.keys()) if (this.status[id] === FAILED) n++;
    return n;
  }

  /**
   * Whether a map passed over `key` as not CSV (after {@link settle}); false for a key that no map, record or
   * earlier report names.
   */
  isIgnored(key: string): boolean {
    const id = this.ids.get(key);
    return id !== undefined && id < this.status.length && this.status[id] === 0;
  }

  /** Keys that are not CSV, in key order. */
  *ignoredKeys(): Generator<string> {
    for (const id of this.sorted()) if (this.status[id] === 0) yield this.keys[id]!;
  }

  /**
   * Files of one folder whose columns or types differ from the folder's first file (in key order), folders
   * in the order of their first file.
   */
  drift(): { folder: string; differences: string[] }[] {
    const folders = new Map<string, { base: number; differences: string[] }>();
    const typesOf = new Map<number, Map<string, string>>();
    const types = (schema: number) => {
      let map = typesOf.get(schema);
      if (!map) typesOf.set(schema, (map = new Map(this.schemas[schema]!.map((c) => [c.name, c.type]))));
      return map;
    };
    for (const id of this.sorted()) {
      const schema = this.schema[id]!;
      if (this.status[id] === 0 || schema < 0) continue;
      const key = this.keys[id]!;
      const folder = key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '';
      const group = folders.get(folder);
      if (!group) {
        folders.set(folder, { base: id, differences: [] });
        continue;
      }
      const baseSchema = this.schema[group.base]!;
      if (baseSchema === schema) continue;
      const baseKey = this.keys[group.base]!;
      const baseTypes = types(baseSchema);
      const own = types(schema);
      for (const [name, type] of own) {
        if (!baseTypes.has(name))
          group.differences.push(`${key}: column "${name}" (${type}) is not in ${baseKey}`);
        else if (baseTypes.get(name) !== type)
          group.differences.push(`${key}: column "${name}" is ${type}, ${baseTypes.get(name)} in ${baseKey}`);
      }
      for (const name of baseTypes.keys())
        if (!own.has(name)) group.differences.push(`${key}: column "${name}" of ${baseKey} is missing`);
    }
    return [...folders]
      .filter(([, g]) => g.differences.length > 0)
      .map(([folder, g]) => ({ folder, differences: g.differences }));
  }

  /**
   * Output objects written from two or more input keys (the latest good record of each key and format),
   * found by hash and confirmed by the keys themselves.
   */
  collisions(): OutputCollision[] {
    const hashes: number[] = [];
    for (let f = 0; f < FORMATS.length; f++)
      for (let id = 0; id < this.keys.length; id++) {
        const h = this.outputHash[f]![id]!;
        if (!Number.isNaN(h)) hashes.push(h);
      }
    const sorted = Float64Array.from(hashes).sort();
    const repeated = new Set<number>();
    for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) repeated.add(sorted[i]!);
    if (repeated.size === 0) return [];
    const groups = new Map<string, Set<string>>();
    for (let f = 0; f < FORMATS.length; f++)
      for (let id = 0; id < this.keys.length; id++) {
        if (!repeated.has(this.outputHash[f]![id]!)) continue;
        const outputKey = this.outputKeyOf(f, id);
        (groups.get(outputKey) ?? groups.set(outputKey, new Set()).get(outputKey)!).add(this.keys[id]!);
      }
    return [...groups]
      .filter(([, keys]) => keys.size > 1)
      .map(([outputKey, keys]) => ({ outputKey, inputKeys: [...keys].sort() }))
      .sort((x, y) => (x.outputKey < y.outputKey ? -1 : 1));
  }
}
