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
import { findCut } from './cut';
import type { FromWorker, RangeJob, RangeOutcome, ToWorker, WorkerData } from './messages';

/**
 * Converting an uncompressed local file to one format on two threads. The file is cut at a line break
 * past its middle; this thread's first pass reads up to the cut while the writer worker (in range mode)
 * runs `rangePass` from the cut to the end with the same type guess, writing its Avro blocks or
 * Parquet row groups to a temporary file. At the cut, the first pass's tokenizer must be at a row boundary
 * (the line break was not inside a quoted field) and the other thread must have succeeded; then the first
 * pass stops there, the two parts' inference, rejects (line numbers shifted) and row counts are joined,
 * and the second part's output is appended after the first part's (a Parquet footer then lists both
 * parts' row groups). Otherwise the other thread's work is dropped and the
 * first pass reads on to the end itself, as it would have without a cut: the outcome never depends on
 * where the cut fell.
 */
export class SplitRun implements SplitHooks {
  readonly holder: { tokenizer?: CsvTokenizer } = {};
  /** Offset of the first byte of the second part, once chosen. */
  private cut: number | undefined;
  /** Bytes handed to the first pass so far. */
  private read = 0;
  private readonly large: boolean;
  private outcome: Promise<RangeOutcome> | undefined;
  private worker: Worker | undefined;
  private accepted: { outcome: RangeOutcome; lineOffset: number } | undefined;
  private readonly outPath: string;

  /**
   * @param workerPath the bundled writer worker script
   * @param size the file's size in bytes
   */
  constructor(
    private readonly name: string,
    private readonly path: string,
    private readonly size: number,
    private readonly workerPath: string,
    private readonly pass: PassOptions,
    private readonly format: OutputFormat,
    private readonly writer: WriterOptions,
    minBytes: number = CONVERT_DEFAULTS.splitMinBytes,
  ) {
    this.large = size >= minBytes;
    // Started now, so that it has loaded by the time the first pass has its type guess.
    if (this.large)
      this.worker = new Worker(workerPath, { workerData: { range: true } satisfies WorkerData });
    this.outPath = join(tmpdir(), `csv2lake-part-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  }

  /** Whether the file may be cut (large enough: whether it is, is decided once the guess is made). */
  get splits(): boolean {
    return this.large;
  }

  /** The bytes of the first pass: up to the cut, then on to the end unless the cut was kept. */
  async *chunks(): AsyncIterable<Uint8Array> {
    for await (const chunk of readFileChunks(this.path, { reuse: true })) {
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

  start(context: RangeContext): void {
    // Both threads go on from here: this one from what it has read, the other from the cut, so the cut
    // halves what is left (it lies past the middle, and ahead of what this thread has been given).
    const from = Math.floor((this.size + this.read) / 2);
    const cut = this.large ? findCut(this.path, this.size, from, context) : undefined;
    if (cut === undefined || cut <= this.read) {
      void this.worker?.terminate();
      this.worker = undefined;
      return;
    }
    this.cut = cut;
    const job: RangeJob = {
      name: this.name,
      path: this.path,
      start: this.cut,
      pass: this.pass,
      context,
      format: this.format,
      writer: this.writer,
      outPath: this.outPath,
    };
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
    this.outcome.catch(() => {}); // looked at in keep(); a failure there only means "read on"
  }

  async finish(): Promise<{ result: RangeResult; lineOffset: number } | undefined> {
    return this.accepted && { result: this.accepted.outcome.result, lineOffset: this.accepted.lineOffset };
  }

  /** Whether the first pass stopped at the cut and took the second part's result. */
  get kept(): boolean {
    return this.accepted !== undefined;
  }

  /**
   * Appends the second part's row groups to the first part's Parquet writer, when the cut was kept and
   * that part converted with the guess (its bytes read from the temporary file: the writer reads none).
   */
  async joinParquet(writer: ParquetWriter): Promise<void> {
    const tail = this.accepted?.outcome.tail;
    if (tail?.format === 'parquet') await writer.appendRowGroups(this.partBytes(), tail.parquet);
  }

  /** Appends the second part's blocks to the first part's Avro writer, as {@link joinParquet} does. */
  async joinAvro(writer: AvroRowWriter): Promise<void> {
    const tail = this.accepted?.outcome.tail;
    if (tail?.format === 'avro') await writer.appendBlocks(this.partBytes(), tail.avro);
  }

  private partBytes(): AsyncIterable<Uint8Array> {
    return readFileChunks(this.outPath, { reuse: true });
  }

  /** Stops the other thread and deletes its temporary file. */
  async dispose(): Promise<void> {
    await this.worker?.terminate();
    this.worker = undefined;
    rmSync(this.outPath, { force: true });
  }

  /** At the cut: keep it when this side ended a row there and the other side succeeded. */
  private async keep(): Promise<boolean> {
    const tokenizer = this.holder.tokenizer;
    if (!this.outcome || !tokenizer?.atRowStart) {
      // Not a row boundary: the other half's work is of no use, and its core is better left free.
      await this.worker?.terminate();
      this.worker = undefined;
      return false;
    }
    const lineOffset = tokenizer.currentLine - 1;
    try {
      this.accepted = { outcome: await this.outcome, lineOffset };
      return true;
    } catch {
      // Whatever went wrong there (invalid text, too many rejects…), reading on finds it with its place.
      return false;
    }
  }
}
