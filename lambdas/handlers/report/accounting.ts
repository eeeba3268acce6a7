/*
 * The run's account of every key, kept compact so that a run of a million keys fits the reducer: one slot
 * per key in typed arrays (statuses, figures, dates), column lists interned (the files of a folder share
 * one), and objects only for what is rare (errors, failed children's inputs, keys carried over from an
 * earlier report). Measured with `npm run bench:reliability -- --only reduce` (see the README).
 */
import type { OutputFormat } from '../../core/model/options';
import type { InventoryEntry } from '../../lake/inventory';
import { compareKeys } from '../../lake/inventory-io';
import type { ConvertItem, ConvertResult, JoinItem, PartFigures, RunContext } from '../../shared/payloads';
import { FileFigures, type Figures } from './file-figures';
import { HandedBack } from './handed-back';
import { type ColumnInfo, type DatasetColumnTypes, FileSchemas } from './file-schemas';
import { type FileStatus, LatestRecords, NO_RECORD, RECORD_CODE } from './latest-records';
import { ChildVerdicts } from './map-results';
import { type OutputCollision, OutputKeys } from './output-keys';
import { itemsOf, type MapResultEntry } from './result-files';
import { SourceEvidence } from './source-evidence';

export type { ColumnInfo } from './file-schemas';
export type { OutputCollision } from './output-keys';
export type { FileStatus } from './latest-records';

/** One error of a file: a format's failed record, or the workflow's word when the child left none. */
export interface ItemError {
  format: OutputFormat | 'workflow';
  type: string;
  message: string;
}

/** One input key's account, over both formats (an element of report.json's `files`). */
export interface ItemAccount extends Figures {
  key: string;
  status: FileStatus;
  errors: ItemError[];
  columns?: readonly ColumnInfo[];
  /** A key converted in byte ranges: its parts, as the join's record gives them. */
  parts?: readonly PartFigures[];
}

/** The formats records can have, in the order a listing of `items/<format>/` gives them. */
const FORMATS: readonly OutputFormat[] = ['avro', 'parquet'];

const FAILED = RECORD_CODE.failed;

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
  /** The latest record of each key and format. */
  private readonly latest = new LatestRecords(FORMATS.length);
  /** Rows, bytes and time of each converted key. */
  private readonly figures = new FileFigures(FORMATS);
  /** After settle: 0 not a file (ignored), else the RECORD_CODE of its status. */
  private status = new Uint8Array(0);
  /** What the maps said of each key. */
  private readonly verdicts = new ChildVerdicts((text) => this.intern(text));
  /** The output key of each key and format. */
  private readonly outputs: OutputKeys;
  /** The columns of each converted key. */
  private readonly schemas = new FileSchemas();
  private readonly errors = new Map<number, ItemError[]>();
  private readonly carried = new Map<number, FileStatus>();
  private readonly carriedInputs = new Map<string, ConvertItem>();
  private readonly failedInputs = new Map<number, ConvertItem>();
  private readonly interned = new Map<string, string>();
  /** Split keys whose joins handed ranges back (their latest records: error RangesToConvertError). */
  private readonly handedBack = new HandedBack();
  /** The parts of each split key joined (the Parquet join's figures when both formats have them). */
  private readonly parts = new Map<number, readonly PartFigures[]>();
  /** The run of the maps' children, once one is read (see addChild). */
  private childRun: RunContext | undefined;
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
  ) {
    this.outputs = new OutputKeys(
      FORMATS,
      run.outputPrefixes,
      (id) => this.keys[id]!,
      (text) => this.intern(text),
    );
  }

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
    this.keys.push(key);
    this.ids.set(key, id);
    return id;
  }

  /** One child of a Distributed Map (an entry of a result file of `kind` SUCCEEDED, FAILED or PENDING). */
  addChild(kind: string, entry: MapResultEntry): void {
    this.verdicts.addChild(kind, entry, (key) => this.id(key));
    // The run as the state machine gave it to the maps' children: the items this account lists for the
    // retry maps carry it, the same whoever reduces (the execution-status rule's reducer rebuilds its own).
    this.childRun ??= itemsOf(entry.Input).find((i) => i.run?.outputBucket)?.run as RunContext | undefined;
  }

  /** One per-item record (`_runs/<runId>/items/<format>/…`). */
  addRecord(r: ConvertResult): void {
    const f = FORMATS.indexOf(r.format);
    if (f < 0) return;
    const id = this.id(r.key);
    this.records++;
    this.lambdaMs += r.durationMs;
    const at = Date.parse(r.at);
    this.latest.set(f, id, r.status, Number.isNaN(at) ? 0 : at);
    this.verdicts.noteRecord(id, f, r.sourceEtag);
    this.handedBack.note(id, r);
    if (r.status === 'converted' && r.parts && (r.format === 'parquet' || !this.parts.has(id)))
      this.parts.set(id, r.parts);
    if (r.status !== 'failed' && r.outputKey) this.outputs.set(f, id, r.outputKey);
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
      this.figures.converted(id, f, r);
      if (r.columns) this.schemas.set(id, r.columns);
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
    yield* this.sources.entries(this.fileKeys(FAILED), mask, version, optionsOf);
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
    this.figures.carry(id, file);
    this.lambdaMs += file.durationMs;
    for (const format of Object.keys(file.bytesOut) as OutputFormat[]) {
      const f = FORMATS.indexOf(format);
      if (f < 0) continue;
      // Marks the format as holding an output, as a converted record would (bytesOut lists it).
      this.latest.set(f, id, 'converted', 0);
    }
    if (file.columns) this.schemas.set(id, file.columns);
    if (file.parts) this.parts.set(id, file.parts);
    if (file.status === 'failed') for (const e of file.errors) this.pushError(id, e);
  }

  /** A key the earlier report called not CSV, when this reduction has nothing on it. */
  carryIgnored(key: string): void {
    // Known, with no record and no failed child: ignored, once settled.
    if (!this.ids.has(key)) this.id(key);
  }

  /**
   * An item of the earlier report's failed items: the input of a file still failed that no map result of
   * this reduction names (a failed record alone does not say how the retry map must call the file).
   */
  carryFailedItem(item: ConvertItem): void {
    this.carriedInputs.set(item.key, this.verdicts.compactInput(item));
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
        const code = this.latest.code(f, id);
        if (code === NO_RECORD) continue;
        any = true;
        if (code === FAILED) failed = true;
        else if (code === RECORD_CODE.converted) converted = true;
      }
      const verdict = this.verdicts.failedVerdict(id);
      if (verdict && !this.verdicts.superseded(id, verdict, formats, this.latest)) {
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
    return this.latest.outcomes(this.keys.length);
  }

  /** Keys that are not CSV (ignored). */
  get ignored(): number {
    return this.status.length - this.count();
  }

  /** Sums over the files. */
  totals(): Figures {
    return this.figures.totals(this.fileIds(), (f, id) => this.latest.converted(f, id));
  }

  /** The account of one file, built when it is written. */
  private account(id: number): ItemAccount {
    const status = this.status[id]!;
    const columns = this.schemas.get(id);
    // report.json's field order: key, status, rows, rejectedRows, bytesIn, bytesOut, durationMs, errors, columns.
    return {
      key: this.keys[id]!,
      status: status === FAILED ? 'failed' : status === RECORD_CODE.converted ? 'converted' : 'skipped',
      ...this.figures.of(id, (f) => this.latest.converted(f, id)),
      errors: status === FAILED ? (this.errors.get(id) ?? []) : [],
      ...(columns ? { columns } : {}),
      ...(status === RECORD_CODE.converted && this.parts.has(id) ? { parts: this.parts.get(id)! } : {}),
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
      if (this.status[id] !== 0 && this.figures.rejectedRows(id) > 0) yield this.account(id);
  }

  /**
   * The failed files' items as the retry maps read them: at the version the file has then (a split key's: the
   * version listed, which its parts hold). A split key whose join handed ranges back gives those range items
   * (each range once over both formats: the later round, an exact start over a guessed one) and its join
   * item, which the reducer lists for the retry join map (report/retry-items.ts).
   */
  *failedItems(): Generator<ConvertItem | JoinItem> {
    for (const id of this.sorted()) {
      if (this.status[id] !== FAILED) continue;
      if (this.handedBack.has(id)) {
        yield* this.handedBack.items(id, this.keys[id]!, this.childRun ?? this.run);
        continue;
      }
      const input = this.failedInputs.get(id);
      if (input) yield { ...input, current: true };
    }
  }

  /** How many {@link failedItems} there are. */
  get failedItemCount(): number {
    let n = 0;
    for (let id = 0; id < this.status.length; id++) {
      if (this.status[id] !== FAILED) continue;
      if (this.handedBack.has(id)) {
        n += this.handedBack.count(id);
      } else if (this.failedInputs.has(id)) n++;
    }
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

  /** The ids of the files (not ignored), in key order. */
  private *fileIds(): Generator<number> {
    for (const id of this.sorted()) if (this.status[id] !== 0) yield id;
  }

  /** The ids and keys of the files (not ignored; nor of status `except`), in key order. */
  private *fileKeys(except?: number): Generator<readonly [number, string]> {
    for (const id of this.fileIds()) if (this.status[id] !== except) yield [id, this.keys[id]!];
  }

  /**
   * Files of one folder whose columns or types differ from the folder's first file (in key order), folders
   * in the order of their first file.
   */
  drift(): { folder: string; differences: string[] }[] {
    return this.schemas.drift(this.fileKeys());
  }

  /** Per dataset (`datasetOf` a key), the column types of its files (see FileSchemas.columnTypes). */
  columnTypes(datasetOf: (key: string) => string): DatasetColumnTypes[] {
    return this.schemas.columnTypes(this.fileKeys(), datasetOf);
  }

  /** Output objects written from two or more input keys (see OutputKeys.collisions). */
  collisions(): OutputCollision[] {
    return this.outputs.collisions();
  }
}
