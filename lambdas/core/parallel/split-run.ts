import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { readFileChunks } from '../bytes/file-chunks';
import type { CsvTokenizer } from '../csv/tokenizer';
import { CONVERT_DEFAULTS } from '../model/defaults';
import type { OutputFormat } from '../model/options';
import type { ParquetWriter } from '../parquet/parquet-writer';
import type { AvroRowWriter } from '../rows/avro-rows';
import type { WriterOptions } from '../run/local-writers';
import type { PassOptions } from '../run/pass-options';
import type { RangeContext, RangeResult, SplitHooks } from '../run/split-hooks';
import { claimFrom, claimedUpTo, isReady, sharedClaims, stopAt } from './claims';
import { findCut } from './cut';
import type { FromWorker, RangeJob, RangeOutcome, ToWorker, WorkerData } from './messages';
import { convertPart } from './part-job';

/** Columns up to which this thread takes the end of the file off the other (see `takeEnd`). */
const TAKE_MAX_COLUMNS = 1024;
/**
 * How far past the middle of what is left the cut lies, at most (an eighth of what is left): the other
 * thread starts its part cold, compiling its hot functions as it goes, where this one compiled them
 * before the cut. With the cut in the middle, the other thread finished 80-220 ms after this one
 * reached the cut (median 115 ms, 1M-row bench file, 2 vCPUs), about 12 MiB of rows at its pace.
 */
const COLD_START_BYTES = 6 << 20;
/** Bytes the first pass is given at a time while the cut waits for the other thread to load. */
const PENDING_SLICE = 64 << 10;

/**
 * Converting an uncompressed local file to one format on two threads. Once the other thread has loaded,
 * the file is cut at a line break about halfway between what this thread has read and the end (see
 * `COLD_START_BYTES`); this thread's first pass reads up to the cut while the writer worker (in range
 * mode) runs `rangePass` from the cut on with the same type guess, writing its Avro blocks or Parquet row
 * groups to a temporary file. When this thread reaches the cut first, with much of the other's part left,
 * it takes the end of the file off the other (see `stopAt`): a second cut halfway through what the other
 * has not yet read, past which this thread converts to a temporary file of its own. At each cut, the
 * tokenizer that read up to it must be at a row boundary (the line break was not inside a quoted field)
 * and every part must have succeeded; then the first pass stops at the first cut, the parts' inference,
 * rejects (line numbers shifted) and row counts are joined, and the parts' outputs are appended after the
 * first part's, in order (a Parquet footer then lists every part's row groups). Otherwise the parts are
 * dropped and the first pass reads on to the end itself, as it would have without a cut: the outcome
 * never depends on where the cuts fell.
 */
export class SplitRun implements SplitHooks {
  readonly holder: { tokenizer?: CsvTokenizer } = {};
  /**
   * Run when the first pass reaches the cut at a row boundary, before this thread takes the end of the
   * file or waits for the other: the writer plan writes out what the first part's writer holds (its last
   * row group), which would otherwise be encoded after both threads are done, on this one alone.
   */
  atCut: (() => Promise<void>) | undefined;
  /** Offset of the first byte of the second part, once chosen. */
  private cut: number | undefined;
  /** Bytes handed to the first pass so far. */
  private read = 0;
  /**
   * Left to the other thread when this one reaches its cut, below which it waits rather than take the end
   * of the file (a part of its own costs a temporary file and a join): a quarter of the smallest file cut,
   * and a quarter of the other's part (see `takeEnd`).
   */
  private readonly takeMin: number;
  private outcome: Promise<RangeOutcome> | undefined;
  private worker: Worker | undefined;
  /** The parts past the first, in file order, when the cut was kept. */
  private accepted: { outcome: RangeOutcome; lineOffset: number; path: string }[] | undefined;
  private readonly outPath: string;
  /** The temporary file of the end of the file, when this thread took it off the other. */
  private readonly endPath: string;
  /** Shared with the other thread: whether it has loaded, how far it has read (see claims.ts). */
  private readonly claims = sharedClaims();
  private job: RangeJob | undefined;
  /** Whether the other thread has reported. */
  private done = false;
  /** The type guess, until the cut is chosen. */
  private pending: RangeContext | undefined;
  /** Offset past which the first pass is not given bytes while the cut is pending. */
  private deadline = 0;

  /**
   * @param workerPath the bundled writer worker script
   * @param size the file's size in bytes (at least `minBytes`: the writer plan cuts no smaller file)
   * @param minBytes the conversion's `secondThreadMinBytes`, of which `takeMin` is a quarter
   */
  constructor(
    private readonly name: string,
    private readonly path: string,
    private readonly size: number,
    private readonly workerPath: string,
    private readonly pass: PassOptions,
    private readonly format: OutputFormat,
    private readonly writer: WriterOptions,
    minBytes: number = CONVERT_DEFAULTS.secondThreadMinBytes,
  ) {
    this.takeMin = Math.floor(minBytes / 4);
    // Started now, so that it has loaded by the time the first pass has its type guess.
    this.worker = new Worker(workerPath, {
      workerData: { range: true, claims: this.claims } satisfies WorkerData,
    });
    const stem = join(tmpdir(), `csv2lake-part-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
    this.outPath = stem;
    this.endPath = `${stem}-end`;
  }

  /** The bytes of the first pass: up to the cut, then on to the end unless the cut was kept. */
  async *chunks(): AsyncIterable<Uint8Array> {
    for await (const chunk of this.pieces()) {
      if (this.pending) this.choose(this.read + chunk.length);
      const at = this.read;
      this.read += chunk.length;
      const cut = this.cut;
      if (cut === undefined || cut <= at || cut > this.read) {
        yield chunk;
        continue;
      }
      yield chunk.subarray(0, cut - at);
      if (await this.keep()) return;
      if (cut < this.read) yield chunk.subarray(cut - at);
    }
  }

  /**
   * The file's chunks, in slices of {@link PENDING_SLICE} while the cut waits for the other thread: the
   * cut then follows its loading by a slice's time (a few ms), not a chunk's (50-90 ms while this
   * thread's code is still being compiled).
   */
  private async *pieces(): AsyncIterable<Uint8Array> {
    for await (const chunk of readFileChunks(this.path, { reuse: true })) {
      let at = 0;
      for (; this.pending && chunk.length - at > PENDING_SLICE; at += PENDING_SLICE)
        yield chunk.subarray(at, at + PENDING_SLICE);
      yield at === 0 ? chunk : chunk.subarray(at);
    }
  }

  start(context: RangeContext): void {
    // The cut waits for the other thread to load its script (some 0.1-0.3 s, as long as this thread takes
    // to read a quarter of a 100 MB file), so that both threads go on from the moment it can: cut then,
    // the two halves of what is left take as long. A file read that far without it is cut as it stands.
    this.pending = context;
    this.deadline = Math.floor((this.size + this.read) / 2);
    this.choose(this.read);
  }

  /**
   * Cuts when the other thread is ready, or at the latest when the first pass would otherwise be given
   * bytes up to `next`, past the deadline.
   */
  private choose(next: number): void {
    const context = this.pending;
    if (!context || (!isReady(this.claims) && next < this.deadline)) return;
    this.pending = undefined;
    // Both threads go on from here: this one from what it has read, the other from the cut, so the cut
    // halves what is left, less the other thread's cold start (it lies past the middle, and ahead of what
    // this thread has been given).
    const rest = this.size - this.read;
    const from = this.read + Math.floor(rest / 2) + Math.min(COLD_START_BYTES, Math.floor(rest / 8));
    const cut = findCut(this.path, this.size, from, context);
    if (cut === undefined || cut <= this.read) {
      void this.worker?.terminate();
      this.worker = undefined;
      return;
    }
    this.cut = cut;
    claimFrom(this.claims, cut);
    const job: RangeJob = (this.job = {
      name: this.name,
      path: this.path,
      start: this.cut,
      pass: this.pass,
      context,
      format: this.format,
      writer: this.writer,
      outPath: this.outPath,
    });
    const worker = this.worker;
    if (!worker) return;
    this.outcome = new Promise<RangeOutcome>((resolve, reject) => {
      worker.on('message', (message: FromWorker) => {
        if (message.kind === 'range') resolve(message.outcome);
        else if (message.kind === 'error') reject(new Error(message.message));
      });
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Error(`the second part's thread stopped (exit code ${code})`)));
    });
    worker.postMessage({ kind: 'range', job } satisfies ToWorker);
    this.outcome.then(
      () => (this.done = true),
      () => (this.done = true),
    ); // looked at in keep(); a failure there only means "read on"
  }

  async finish(): Promise<readonly { result: RangeResult; lineOffset: number }[] | undefined> {
    return this.accepted?.map(({ outcome, lineOffset }) => ({ result: outcome.result, lineOffset }));
  }

  /** Whether the first pass stopped at the cut and took the second part's result. */
  get kept(): boolean {
    return this.accepted !== undefined;
  }

  /**
   * Appends the other parts' row groups to the first part's Parquet writer, when the cut was kept and
   * the parts converted with the guess (their bytes read from the temporary files: the writer reads none).
   */
  async joinParquet(writer: ParquetWriter): Promise<void> {
    for (const { outcome, path } of this.accepted ?? []) {
      const tail = outcome.tail;
      if (tail?.format === 'parquet') await writer.appendRowGroups(partBytes(path), tail.parquet);
    }
  }

  /** Appends the other parts' blocks to the first part's Avro writer, as {@link joinParquet} does. */
  async joinAvro(writer: AvroRowWriter): Promise<void> {
    for (const { outcome, path } of this.accepted ?? []) {
      const tail = outcome.tail;
      if (tail?.format === 'avro') await writer.appendBlocks(partBytes(path), tail.avro);
    }
  }

  /** Stops the other thread and deletes the temporary files. */
  async dispose(): Promise<void> {
    await this.worker?.terminate();
    this.worker = undefined;
    rmSync(this.outPath, { force: true });
    rmSync(this.endPath, { force: true });
  }

  /**
   * At the cut: keep it when this side ended a row there and the other parts succeeded (and ended at a row
   * where this thread took the end of the file off the other).
   */
  private async keep(): Promise<boolean> {
    const tokenizer = this.holder.tokenizer;
    if (!this.outcome || !this.job || !tokenizer?.atRowStart) {
      // Not a row boundary: the other half's work is of no use, and its core is better left free.
      await this.worker?.terminate();
      this.worker = undefined;
      return false;
    }
    const lineOffset = tokenizer.currentLine - 1;
    await this.atCut?.();
    const end = this.takeEnd(this.job);
    end?.catch(() => {}); // awaited below, unless the other part failed first
    try {
      const outcome = await this.outcome;
      const parts = [{ outcome, lineOffset, path: this.outPath }];
      if (end) {
        const last = await end;
        if (!outcome.stop?.atRowStart) return false;
        parts.push({ outcome: last, lineOffset: lineOffset + outcome.stop.lines, path: this.endPath });
      }
      this.accepted = parts;
      return true;
    } catch {
      // Whatever went wrong there (invalid text, too many rejects…), reading on finds it with its place.
      return false;
    }
  }

  /**
   * When the other thread has much of the file left: cuts what it has not read yet in two, stops it at
   * that second cut and converts from there to the end here, while it converts up to it.
   */
  private takeEnd(job: RangeJob): Promise<RangeOutcome> | undefined {
    // A wide table's writers hold their budget however few rows they have: a third would not fit in memory.
    if (this.done || job.context.headers.length > TAKE_MAX_COLUMNS) return undefined;
    const at = claimedUpTo(this.claims);
    // A third part costs this thread some 0.1 s more than its bytes (a writer of its own, code that has
    // not run here): on the bench file, taking the end off a thread with 8-12 MiB left made the run 5%
    // slower than waiting for it. It pays when the other thread is well behind (busy elsewhere, or given
    // the costlier half), with a quarter of its part or more left.
    if (at === undefined) return undefined;
    const left = this.size - at;
    if (left < this.takeMin || left < (this.size - job.start) / 4) return undefined;
    const cut = findCut(this.path, this.size, Math.floor((at + this.size) / 2), job.context);
    if (cut === undefined || !stopAt(this.claims, cut)) return undefined;
    return convertPart({ ...job, start: cut, outPath: this.endPath });
  }
}

function partBytes(path: string): AsyncIterable<Uint8Array> {
  return readFileChunks(path, { reuse: true });
}
