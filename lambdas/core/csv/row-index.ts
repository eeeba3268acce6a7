import { ByteView } from '../bytes/byte-copy';
import { CONVERT_DEFAULTS } from '../model/defaults';
import { MalformedCsvError } from '../model/errors';
import type { TokenizerOptions } from './tokens';

/**
 * Rows and fields the arrays hold at first; they double as a push needs. Small, so that they first grow
 * while V8 still interprets the scan: first grown in optimized code, they cost V8 the scan's code.
 */
const INITIAL_ROWS = 16;
const INITIAL_FIELDS = 64;
/** Past this size the buffer grows by this much at a time rather than doubling. */
const LINEAR_GROWTH_BYTES = 8 << 20;

/**
 * What a tokenizer has found, as its readers see it: the bytes of the rows being handed over and, per
 * row and per field, where they are in those bytes (the public arrays, valid during a hand-over only);
 * and the memory behind them, grown as the input needs and bounded by the limits of the options (a row
 * or field too long, too many fields), checked whenever it would grow. The scanning itself is
 * {@link CsvTokenizer}'s.
 */
export abstract class RowIndex {
  /**
   * The bytes the current rows' offsets refer to. It starts small and doubles to what the pushes need: a
   * conversion makes six tokenizers (four to sniff the delimiter, the type guess, the pass), and most
   * files are small. So do the row and field arrays below: at 64 KiB, 1,024 rows and 8,192 fields they
   * zeroed ~1 MB per conversion, 6% of a 10 KB file's conversion.
   */
  buffer: Uint8Array = new Uint8Array(1 << 14);
  /** A view of `buffer` for word-wise copies (see `copyBytes`). */
  readonly bufferView = new ByteView();
  /** Complete rows in the current batch. */
  rowCount = 0;
  rowFirstField: Int32Array = new Int32Array(INITIAL_ROWS);
  rowFieldCount: Int32Array = new Int32Array(INITIAL_ROWS);
  /** 1-based physical line on which each row starts. */
  rowLine: Float64Array = new Float64Array(INITIAL_ROWS);
  /** Byte range of each row's raw text in `buffer`, line terminator excluded. */
  rowStart: Int32Array = new Int32Array(INITIAL_ROWS);
  rowEnd: Int32Array = new Int32Array(INITIAL_ROWS);
  /** `BrokenQuoting` code per row. */
  rowBroken: Uint8Array = new Uint8Array(INITIAL_ROWS);
  fieldStart: Int32Array = new Int32Array(INITIAL_FIELDS);
  fieldEnd: Int32Array = new Int32Array(INITIAL_FIELDS);
  /** `FIELD_QUOTED` | `FIELD_ESCAPED` per field. */
  fieldFlags: Uint8Array = new Uint8Array(INITIAL_FIELDS);
  /** Absolute input offset of `buffer[0]`. */
  bufferOffset = 0;

  /** Bytes of `buffer` in use. */
  protected length = 0;
  /** Where the scan goes on in `buffer`. */
  protected pos = 0;
  /** Fields recorded, those of the row being scanned included. */
  protected fieldCount = 0;
  /** Index of the first field of the row being scanned. */
  protected nextRowFirstField = 0;
  protected curRowStart = 0;
  protected curRowLine = 1;
  protected curFieldStart = 0;
  private readonly maxRowBytes: number;
  private readonly maxFieldBytes: number;
  private readonly maxFields: number;
  /** Rows longer than this are checked field by field: the smaller of the two byte limits. */
  private readonly checkRowsOver: number;
  private readonly keepBlankLines: boolean;
  private readonly source: string | undefined;
  private readonly columnName: ((index: number) => string | undefined) | undefined;

  constructor(options: TokenizerOptions) {
    this.maxRowBytes = options.maxRowBytes ?? CONVERT_DEFAULTS.maxRowBytes;
    this.maxFieldBytes = options.maxFieldBytes ?? Infinity;
    this.maxFields = options.maxFields ?? Infinity;
    this.checkRowsOver = Math.min(this.maxRowBytes, this.maxFieldBytes);
    this.keepBlankLines = options.keepBlankLines ?? false;
    this.source = options.source;
    this.columnName = options.columnName;
  }

  /** 0-based index of the field being scanned within its row (for error messages). */
  get partialFieldIndex(): number {
    return this.fieldCount - this.nextRowFirstField;
  }

  /** Absolute offset of the next byte to be pushed. */
  get bytesPushed(): number {
    return this.bufferOffset + this.length;
  }

  /** Hands the complete rows to the reader. */
  protected abstract handOver(): void;

  /**
   * Adds `chunk` after the bytes held, dropping the complete rows already handed over; `fieldOpen` says
   * whether a field is being read (it counts against the field limit before the buffer grows).
   */
  protected append(chunk: Uint8Array, fieldOpen: boolean): void {
    if (this.length + chunk.length > this.buffer.length) {
      // Keep only the partial row: the complete ones were consumed by the last flush.
      const shift = this.curRowStart;
      if (shift > 0) {
        this.buffer.copyWithin(0, shift, this.length);
        this.length -= shift;
        this.pos -= shift;
        this.curRowStart = 0;
        this.curFieldStart -= shift;
        for (let f = 0; f < this.fieldCount; f++) {
          this.fieldStart[f]! -= shift;
          this.fieldEnd[f]! -= shift;
        }
        this.bufferOffset += shift;
      }
      if (this.length + chunk.length > this.buffer.length) {
        // The partial row is all the buffer holds: check it against the limits before it grows.
        this.checkPartialRow(fieldOpen);
        // Doubling while small; past 8 MiB (only a long row gets there) in steps of 8 MiB, so that the
        // buffer stays close to the row instead of up to twice its size.
        const needed = this.length + chunk.length;
        let size = this.buffer.length;
        while (size < needed) size += Math.min(size, LINEAR_GROWTH_BYTES);
        const next = new Uint8Array(size);
        next.set(this.buffer.subarray(0, this.length));
        this.buffer = next;
      }
    }
    this.buffer.set(chunk, this.length);
    this.length += chunk.length;
  }

  /**
   * Records the row being scanned as complete at `end` (its terminator excluded), with its `BrokenQuoting`
   * code; a blank line is dropped unless blank lines are kept.
   */
  protected completeRow(end: number, broken: number): void {
    const first = this.nextRowFirstField;
    const count = this.fieldCount - first;
    // One comparison per row: a row within both limits holds no field over the field limit.
    if (end - this.curRowStart > this.checkRowsOver) this.checkRow(end - this.curRowStart, first, false);
    if (count > this.maxFields) this.tooManyFields();
    // A blank line: one empty unquoted field and nothing else.
    if (
      !this.keepBlankLines &&
      count === 1 &&
      this.fieldStart[first] === this.fieldEnd[first] &&
      this.fieldFlags[first] === 0 &&
      broken === 0
    ) {
      this.fieldCount = first;
      return;
    }
    const r = this.rowCount;
    if (r >= this.rowFirstField.length) this.growRows();
    this.rowFirstField[r] = first;
    this.rowFieldCount[r] = count;
    this.rowLine[r] = this.curRowLine;
    this.rowStart[r] = this.curRowStart;
    this.rowEnd[r] = end;
    this.rowBroken[r] = broken;
    this.rowCount = r + 1;
    this.nextRowFirstField = this.fieldCount;
  }

  protected addField(start: number, end: number, flags: number): void {
    const f = this.fieldCount;
    if (f >= this.fieldStart.length) this.growFields();
    this.fieldStart[f] = start;
    this.fieldEnd[f] = end;
    this.fieldFlags[f] = flags;
    this.fieldCount = f + 1;
  }

  /** Hands the complete rows over, then keeps only the partial row's fields, at the front. */
  protected flushRows(): void {
    if (this.rowCount > 0) this.handOver();
    // Move the partial row's fields to the front.
    const keep = this.fieldCount - this.nextRowFirstField;
    if (keep > 0 && this.nextRowFirstField > 0) {
      this.fieldStart.copyWithin(0, this.nextRowFirstField, this.fieldCount);
      this.fieldEnd.copyWithin(0, this.nextRowFirstField, this.fieldCount);
      this.fieldFlags.copyWithin(0, this.nextRowFirstField, this.fieldCount);
    }
    this.fieldCount = keep;
    this.nextRowFirstField = 0;
    this.rowCount = 0;
  }

  /** The limits, over the row being read: its bytes so far, its fields so far and the open one. */
  private checkPartialRow(fieldOpen: boolean): void {
    const rowBytes = this.length - this.curRowStart;
    if (rowBytes > this.checkRowsOver) this.checkRow(rowBytes, this.nextRowFirstField, fieldOpen);
  }

  /**
   * Fails when one of the current row's fields from `first` on (with `fieldOpen`, the one still being
   * read too), or the row itself (`rowBytes` so far), is too long: fields first, so that the message can
   * name a column.
   */
  private checkRow(rowBytes: number, first: number, fieldOpen: boolean): void {
    for (let f = first; f < this.fieldCount; f++)
      this.checkField(f - first, this.fieldEnd[f]! - this.fieldStart[f]!);
    if (fieldOpen) this.checkField(this.fieldCount - first, this.length - this.curFieldStart);
    if (rowBytes > this.maxRowBytes) {
      this.handOverBeforeFailing();
      const byteOffset = this.bufferOffset + this.curRowStart;
      throw new MalformedCsvError(
        `${this.prefix()}the row starting at line ${this.curRowLine} (byte offset ${byteOffset}) is longer ` +
          `than ${sizeText(this.maxRowBytes)}: most likely a quote that is never closed; fix the quoting ` +
          `of that row, or raise --max-row-bytes if rows are meant to be that long`,
        { line: this.curRowLine, byteOffset },
      );
    }
  }

  private checkField(index: number, bytes: number): void {
    if (bytes <= this.maxFieldBytes) return;
    this.handOverBeforeFailing();
    const name = this.columnName?.(index);
    const column = name === undefined ? `field ${index + 1}` : `column ${JSON.stringify(name)}`;
    const byteOffset = this.bufferOffset + this.curRowStart;
    throw new MalformedCsvError(
      `${this.prefix()}${column} of the row starting at line ${this.curRowLine} (byte offset ${byteOffset}) ` +
        `has a value longer than ${sizeText(this.maxFieldBytes)}: most likely a quote that is never closed; ` +
        `fix the quoting of that row, or raise --max-field-bytes if values are meant to be that long`,
      { line: this.curRowLine, byteOffset, ...(name === undefined ? {} : { column: name }) },
    );
  }

  private tooManyFields(): void {
    this.handOverBeforeFailing();
    const byteOffset = this.bufferOffset + this.curRowStart;
    throw new MalformedCsvError(
      `${this.prefix()}the row starting at line ${this.curRowLine} (byte offset ${byteOffset}) has more ` +
        `than ${this.maxFields} fields, more columns than a conversion takes: check the delimiter, split ` +
        `the file by columns, or raise --max-columns`,
      { line: this.curRowLine, byteOffset },
    );
  }

  /**
   * Hands over the rows completed before the one that breaks a limit, as if the input stopped there: how
   * far the conversion got then does not depend on the chunking, and the header is known for the message.
   */
  private handOverBeforeFailing(): void {
    if (this.rowCount === 0) return;
    this.handOver();
    this.rowCount = 0;
  }

  private prefix(): string {
    return this.source === undefined ? '' : `${this.source}: `;
  }

  private growRows(): void {
    const n = this.rowFirstField.length * 2;
    this.rowFirstField = growInt32(this.rowFirstField, n);
    this.rowFieldCount = growInt32(this.rowFieldCount, n);
    this.rowStart = growInt32(this.rowStart, n);
    this.rowEnd = growInt32(this.rowEnd, n);
    const lines = new Float64Array(n);
    lines.set(this.rowLine);
    this.rowLine = lines;
    const broken = new Uint8Array(n);
    broken.set(this.rowBroken);
    this.rowBroken = broken;
  }

  protected growFields(): void {
    if (this.fieldCount - this.nextRowFirstField > this.maxFields) this.tooManyFields();
    const n = this.fieldStart.length * 2;
    this.fieldStart = growInt32(this.fieldStart, n);
    this.fieldEnd = growInt32(this.fieldEnd, n);
    const flags = new Uint8Array(n);
    flags.set(this.fieldFlags);
    this.fieldFlags = flags;
  }
}

/** Binary units for messages: 16777216 is "16 MiB". */
function sizeText(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1 << 10 && bytes % (1 << 10) === 0) return `${bytes / (1 << 10)} KiB`;
  return `${bytes} bytes`;
}

function growInt32(array: Int32Array, size: number): Int32Array {
  const next = new Int32Array(size);
  next.set(array);
  return next;
}
