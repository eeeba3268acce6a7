import { CONVERT_DEFAULTS } from './model/defaults';
import { MalformedCsvError } from './model/errors';

const QUOTE = 0x22;
/** Rows and fields the arrays hold at first; they double as a push needs. */
const INITIAL_ROWS = 128;
const INITIAL_FIELDS = 1024;

/** Past this size the buffer grows by this much at a time rather than doubling. */
const LINEAR_GROWTH_BYTES = 8 << 20;
const LF = 0x0a;
const CR = 0x0d;

/** Field flag: the field was quoted. */
export const FIELD_QUOTED = 1;
/**
 * Field flag: the quoted field holds escape sequences that {@link copyField} must undo: doubled quotes
 * (`""`), or with another escape byte such as `\\`, that byte and the one it escapes.
 */
export const FIELD_ESCAPED = 2;

/** Why a row's quoting is broken (0: it is not). */
export const enum BrokenQuoting {
  None = 0,
  TextAfterQuote = 1,
  Unterminated = 2,
}

const BROKEN_REASONS: Record<number, string> = {
  [BrokenQuoting.TextAfterQuote]: 'broken quoting: text after a closing quote',
  [BrokenQuoting.Unterminated]: 'broken quoting: quoted field not closed before the end of the file',
};

/** The reason text for a broken-quoting code. */
export function brokenQuotingReason(code: number): string {
  return BROKEN_REASONS[code] ?? 'broken quoting';
}

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  AfterQuote,
  SkipToEol,
  /** In a comment line: skipped to its end, no row. */
  Comment,
  /**
   * At the start of a line, where a comment may begin: with a comment byte only. A state of its own
   * keeps the check off the per-field path (it cost the default path 2-3% there).
   */
  LineStart,
}

/** Options of the tokenizer. */
export interface TokenizerOptions {
  /** The delimiter byte (`,` `;` `\t` `|` …). */
  readonly delimiter: number;
  /** The quote byte; -1 turns quoting off (every byte is data). @default 0x22 (`"`) */
  readonly quote?: number;
  /**
   * The byte that escapes a quote (or itself) inside a quoted field; the quote itself means RFC 4180
   * doubled quotes. With another byte, such as `\\`, it escapes whatever byte follows it inside a quoted
   * field: `\\"` is `"`, `\\\\` is `\\`, and `\\x` for any other x is x (as DuckDB and csv-parse read it); a
   * doubled quote is then a closing quote followed by text, broken quoting. Outside quoted fields it is
   * an ordinary byte. @default the quote
   */
  readonly escape?: number;
  /**
   * Lines whose first byte is this one are skipped like blank lines (still counted in line numbers):
   * only at the start of a row, never inside a quoted field or after a delimiter. A quote wins over an
   * equal comment byte. -1 for none. @default -1
   */
  readonly comment?: number;
  /**
   * Whether blank lines are handed over as rows (of one empty unquoted field) rather than skipped: in a
   * one-column file a blank line is a null value, and only the consumer knows the width. @default false
   */
  readonly keepBlankLines?: boolean;
  /**
   * Largest row in bytes. A longer row is almost always an unbalanced quote swallowing the file, and it
   * must fit in memory, so it fails the conversion. @default the conversion's, 16 MiB
   */
  readonly maxRowBytes?: number;
  /**
   * Largest field in bytes, as in the input (between its quotes, doubled quotes counted twice). Checked
   * once per row (a row no longer than this cannot hold a longer field) and whenever the buffer must grow,
   * so a field that never ends fails before it fills memory. @default Infinity
   */
  readonly maxFieldBytes?: number;
  /** Most fields in a row; checked once per row and whenever the field arrays grow. @default Infinity */
  readonly maxFields?: number;
  /** The input's name, to begin error messages with. @default no name */
  readonly source?: string;
  /** The name of the column at a 0-based field index, for error messages, when known. */
  readonly columnName?: (index: number) => string | undefined;
}

/**
 * Receives the complete rows found by one {@link CsvTokenizer.push}. The rows' offsets index
 * `tokenizer.buffer` and are valid only during the call.
 */
export type RowsCallback = (tokenizer: CsvTokenizer) => void;

/**
 * A streaming RFC 4180 tokenizer over UTF-8 bytes. It never decodes text: it records, per row, the byte
 * ranges of its fields in a shared buffer, so consumers classify and copy values straight from the bytes.
 *
 * Quoted fields may hold delimiters, escaped quotes (doubled, or after the escape byte) and any line
 * ending. A quote inside an unquoted field is kept as a literal character; with quoting off (quote -1)
 * every byte is data. LF, CRLF and CR end rows. Blank lines, and comment lines when a comment byte is
 * set, are skipped (blank lines can be kept). Broken quoting (text after a closing quote, or a quote left
 * open at the end of the input) marks the row as broken instead of failing, so the caller can reject it
 * with its line number.
 *
 * Rows are handed to the callback in batches after each `push`; read them through the public arrays
 * (`rowCount`, `rowFirstField`, `rowFieldCount`, `rowLine`, `rowStart`, `rowEnd`, `rowBroken`,
 * `fieldStart`, `fieldEnd`, `fieldFlags`, `buffer`).
 */
export class CsvTokenizer {
  /**
   * The bytes the current rows' offsets refer to. It starts small and doubles to what the pushes need: a
   * conversion makes six tokenizers (four to sniff the delimiter, the type guess, the pass), and most
   * files are small. So do the row and field arrays below: at 64 KiB, 1,024 rows and 8,192 fields they
   * zeroed ~1 MB per conversion, 6% of a 10 KB file's conversion.
   */
  buffer: Uint8Array = new Uint8Array(1 << 14);
  /** Complete rows in the current batch. */
  rowCount = 0;
  rowFirstField: Int32Array = new Int32Array(INITIAL_ROWS);
  rowFieldCount: Int32Array = new Int32Array(INITIAL_ROWS);
  /** 1-based physical line on which each row starts. */
  rowLine: Float64Array = new Float64Array(INITIAL_ROWS);
  /** Byte range of each row's raw text in `buffer`, line terminator excluded. */
  rowStart: Int32Array = new Int32Array(INITIAL_ROWS);
  rowEnd: Int32Array = new Int32Array(INITIAL_ROWS);
  /** {@link BrokenQuoting} code per row. */
  rowBroken: Uint8Array = new Uint8Array(INITIAL_ROWS);
  fieldStart: Int32Array = new Int32Array(INITIAL_FIELDS);
  fieldEnd: Int32Array = new Int32Array(INITIAL_FIELDS);
  /** {@link FIELD_QUOTED} | {@link FIELD_ESCAPED} per field. */
  fieldFlags: Uint8Array = new Uint8Array(INITIAL_FIELDS);
  /** Absolute input offset of `buffer[0]`. */
  bufferOffset = 0;
  /**
   * The byte {@link copyField} un-escapes after in fields flagged {@link FIELD_ESCAPED} (the quote itself
   * for doubled quotes); -1 without quoting.
   */
  readonly escape: number;

  private readonly delimiter: number;
  /** The quote byte, or -1: no byte equals it, so quoting is off at no cost in the loop. */
  private readonly quote: number;
  /** The comment byte, or -1. */
  private readonly comment: number;
  /** The state a row begins in: {@link State.LineStart} with a comment byte, else FieldStart. */
  private readonly rowState: State;
  private readonly keepBlankLines: boolean;
  /** 1 for the bytes that end an unquoted field: the delimiter, LF and CR. */
  private readonly stop = new Uint8Array(256);
  private readonly maxRowBytes: number;
  private readonly maxFieldBytes: number;
  private readonly maxFields: number;
  /** Rows longer than this are checked field by field: the smaller of the two byte limits. */
  private readonly checkRowsOver: number;
  private readonly source: string | undefined;
  private readonly columnName: ((index: number) => string | undefined) | undefined;
  private length = 0;
  private pos = 0;
  private state = State.FieldStart;
  private fieldCount = 0;
  /** Index of the first field of the row being scanned. */
  private nextRowFirstField = 0;
  private curRowStart = 0;
  private curRowLine = 1;
  private curFieldStart = 0;
  private curFlags = 0;
  private broken = BrokenQuoting.None;
  private line = 1;
  private skipLf = false;

  constructor(
    options: TokenizerOptions,
    private readonly onRows: RowsCallback,
  ) {
    this.delimiter = options.delimiter;
    this.quote = options.quote ?? QUOTE;
    this.escape = this.quote < 0 ? -1 : (options.escape ?? this.quote);
    this.comment = options.comment ?? -1;
    this.rowState = this.comment < 0 ? State.FieldStart : State.LineStart;
    this.state = this.rowState;
    this.keepBlankLines = options.keepBlankLines ?? false;
    this.stop[options.delimiter] = 1;
    this.stop[LF] = 1;
    this.stop[CR] = 1;
    this.maxRowBytes = options.maxRowBytes ?? CONVERT_DEFAULTS.maxRowBytes;
    this.maxFieldBytes = options.maxFieldBytes ?? Infinity;
    this.maxFields = options.maxFields ?? Infinity;
    this.checkRowsOver = Math.min(this.maxRowBytes, this.maxFieldBytes);
    this.source = options.source;
    this.columnName = options.columnName;
  }

  /** Physical lines started so far (1-based line of the next byte). */
  get currentLine(): number {
    return this.line;
  }

  /**
   * Whether everything pushed so far ended exactly at the end of a row: no field or quote is open and no
   * row is half-read (blank lines aside). A file can be cut there and the rest tokenized on its own.
   */
  get atRowStart(): boolean {
    return (
      this.pos === this.length &&
      (this.state === State.FieldStart || this.state === State.LineStart) &&
      this.fieldCount === this.nextRowFirstField &&
      !this.skipLf
    );
  }

  /** 0-based index of the field being scanned within its row (for error messages). */
  get partialFieldIndex(): number {
    return this.fieldCount - this.nextRowFirstField;
  }

  /** Absolute offset of the next byte to be pushed. */
  get bytesPushed(): number {
    return this.bufferOffset + this.length;
  }

  /** Adds bytes; complete rows are handed to the callback before it returns. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.append(chunk);
    this.scan(false);
    this.flushRows();
  }

  /** Ends the input: the last row (without a trailing newline) is completed and handed over. */
  end(): void {
    this.scan(true);
    this.finishPartialRow();
    this.flushRows();
  }

  private append(chunk: Uint8Array): void {
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
        this.checkPartialRow();
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

  private scan(final: boolean): void {
    const buf = this.buffer;
    const end = this.length;
    const delim = this.delimiter;
    const quote = this.quote;
    const esc = this.escape;
    const comment = this.comment;
    const rowState = this.rowState;
    const stop = this.stop;
    let i = this.pos;
    let state = this.state;
    // Hot state lives in locals; it is written back before any method call that reads it.
    let nf = this.fieldCount;
    let fStart = this.fieldStart;
    let fEnd = this.fieldEnd;
    let fFlags = this.fieldFlags;

    if (this.skipLf && i < end) {
      if (buf[i] === LF) i++;
      this.skipLf = false;
      this.curRowStart = i;
    }

    while (i < end) {
      let s: number;
      if (state === State.FieldStart) {
        const c = buf[i]!;
        if (c === quote) {
          state = State.Quoted;
          this.curFlags = FIELD_QUOTED;
          this.curFieldStart = ++i;
          continue;
        }
        s = i;
      } else if (state === State.Unquoted) {
        s = this.curFieldStart;
      } else {
        s = -1;
      }

      if (s >= 0) {
        // An unquoted field: scan to the next delimiter or line end.
        while (i < end && stop[buf[i]!] === 0) i++;
        if (i === end) {
          this.curFieldStart = s;
          state = State.Unquoted;
          break;
        }
        if (nf >= fStart.length) {
          this.fieldCount = nf;
          this.growFields();
          fStart = this.fieldStart;
          fEnd = this.fieldEnd;
          fFlags = this.fieldFlags;
        }
        fStart[nf] = s;
        fEnd[nf] = i;
        fFlags[nf] = 0;
        nf++;
        state = State.FieldStart;
        const c = buf[i]!;
        if (c === delim) {
          i++;
          continue;
        }
        this.fieldCount = nf;
        i = this.endRow(i, c);
        nf = this.fieldCount;
        state = rowState;
        continue;
      }

      if (state === State.LineStart) {
        // Only first on a line is it a comment: after a delimiter it is data (csv-parse's
        // comment_no_infix). A quote wins over an equal comment byte: it opens a field.
        if (buf[i] === comment && buf[i] !== quote) {
          state = State.Comment;
          i++;
        } else {
          state = State.FieldStart;
        }
        continue;
      }

      if (state === State.SkipToEol || state === State.Comment) {
        while (i < end && buf[i] !== LF && buf[i] !== CR) i++;
        if (state === State.Comment) {
          // A comment's bytes are never read again: the buffer need not keep them (nor count them
          // against the row limit).
          this.curRowStart = i;
          if (i === end) break;
          i = this.nextLine(i, buf[i]!);
        } else {
          if (i === end) break;
          this.fieldCount = nf;
          i = this.endRow(i, buf[i]!);
          nf = this.fieldCount;
        }
        state = rowState;
        continue;
      }

      if (state === State.Quoted) {
        if (esc === quote) {
          while (i < end) {
            const c = buf[i]!;
            if (c === quote) break;
            if (c === LF) {
              if (buf[i - 1] !== CR) this.line++;
            } else if (c === CR) {
              this.line++;
            }
            i++;
          }
          if (i === end) break;
          if (i + 1 === end && !final) break; // need the byte after the quote
          if (i + 1 < end && buf[i + 1] === quote) {
            this.curFlags |= FIELD_ESCAPED;
            i += 2;
            continue;
          }
        } else {
          // Another escape byte: a method of its own, so that the default path stays as it was.
          i = this.scanEscapedQuoted(i, final);
          if (i === end || buf[i] !== quote) break;
        }
        this.fieldCount = nf;
        this.addField(this.curFieldStart, i, this.curFlags);
        nf = this.fieldCount;
        fStart = this.fieldStart;
        fEnd = this.fieldEnd;
        fFlags = this.fieldFlags;
        i++;
        state = State.AfterQuote;
        continue;
      }

      // AfterQuote
      const c = buf[i]!;
      if (c === delim) {
        state = State.FieldStart;
        i++;
      } else if (c === LF || c === CR) {
        this.fieldCount = nf;
        i = this.endRow(i, c);
        nf = this.fieldCount;
        state = rowState;
      } else {
        this.broken = BrokenQuoting.TextAfterQuote;
        state = State.SkipToEol;
      }
    }
    this.fieldCount = nf;
    this.pos = i;
    this.state = state;
  }

  /**
   * Scans a quoted field's bytes from `i` with an escape byte other than the quote: returns the index of
   * the closing quote, or where the scan must wait for more input (the end, or an escape byte that ends
   * the chunk: the byte it escapes comes next; at the end of the input there is none, and the quote is
   * left open).
   */
  private scanEscapedQuoted(i: number, final: boolean): number {
    const buf = this.buffer;
    const end = this.length;
    const quote = this.quote;
    const esc = this.escape;
    while (i < end) {
      const c = buf[i]!;
      if (c === quote) return i;
      if (c === esc) {
        if (i + 1 === end) return final ? end : i;
        const escaped = buf[i + 1]!;
        // An escaped line break is still a line (after the escape byte an LF never ends a CRLF).
        if (escaped === LF || escaped === CR) this.line++;
        this.curFlags |= FIELD_ESCAPED;
        i += 2;
        continue;
      }
      if (c === LF) {
        if (buf[i - 1] !== CR) this.line++;
      } else if (c === CR) {
        this.line++;
      }
      i++;
    }
    return end;
  }

  /** Records the end of a row at the line terminator `c` at `i`; returns the index after it. */
  private endRow(i: number, c: number): number {
    this.completeRow(i);
    return this.nextLine(i, c);
  }

  /** Starts the next line (and row) after the line terminator `c` at `i`; returns the index after it. */
  private nextLine(i: number, c: number): number {
    this.line++;
    let next = i + 1;
    if (c === CR) {
      if (next < this.length) {
        if (this.buffer[next] === LF) next++;
      } else {
        this.skipLf = true;
      }
    }
    this.curRowStart = next;
    this.curRowLine = this.line;
    return next;
  }

  private completeRow(end: number): void {
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
      this.broken === BrokenQuoting.None
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
    this.rowBroken[r] = this.broken;
    this.rowCount = r + 1;
    this.broken = BrokenQuoting.None;
    this.nextRowFirstField = this.fieldCount;
  }

  private finishPartialRow(): void {
    const state = this.state;
    const end = this.length;
    if (state === State.Comment || state === State.LineStart) {
      this.curRowStart = end;
      this.pos = end;
      this.state = this.rowState;
      return;
    }
    if (state === State.Quoted) {
      this.broken = BrokenQuoting.Unterminated;
      this.addField(this.curFieldStart, end, this.curFlags);
    } else if (state === State.Unquoted) {
      // Flags 0, as the scan loop gives every unquoted field: curFlags belongs to the last quoted field,
      // and its FIELD_ESCAPED made copyField collapse quotes that were never doubled (`x"y"z` → `x""`).
      this.addField(this.curFieldStart, end, 0);
    } else if (state === State.FieldStart) {
      // Nothing after the last row terminator: no row. After a delimiter: a final empty field.
      if (this.fieldCount === this.nextRowFirstField) {
        this.pos = end;
        return;
      }
      this.addField(end, end, 0);
    }
    this.completeRow(end);
    this.curRowStart = end;
    this.pos = end;
    this.state = this.rowState;
  }

  private addField(start: number, end: number, flags: number): void {
    const f = this.fieldCount;
    if (f >= this.fieldStart.length) this.growFields();
    this.fieldStart[f] = start;
    this.fieldEnd[f] = end;
    this.fieldFlags[f] = flags;
    this.fieldCount = f + 1;
  }

  private flushRows(): void {
    if (this.rowCount > 0) this.onRows(this);
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
  private checkPartialRow(): void {
    const rowBytes = this.length - this.curRowStart;
    if (rowBytes > this.checkRowsOver) this.checkRow(rowBytes, this.nextRowFirstField, true);
  }

  /**
   * Fails when one of the current row's fields from `first` on (with `open`, the one still being read
   * too), or the row itself (`rowBytes` so far), is too long: fields first, so that the message can name
   * a column.
   */
  private checkRow(rowBytes: number, first: number, open: boolean): void {
    for (let f = first; f < this.fieldCount; f++)
      this.checkField(f - first, this.fieldEnd[f]! - this.fieldStart[f]!);
    if (open && (this.state === State.Quoted || this.state === State.Unquoted))
      this.checkField(this.fieldCount - first, this.length - this.curFieldStart);
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
    this.onRows(this);
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

  private growFields(): void {
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

/**
 * Copies field `f` of the tokenizer's current batch into `target` at `at`, undoing its escapes (a doubled
 * quote is one quote; with another escape byte, the byte after it is itself); returns the end offset.
 * `target` must have room for `fieldEnd - fieldStart` bytes. The one place a value's bytes are decided:
 * writers take their lengths from what it wrote.
 */
export function copyField(t: CsvTokenizer, f: number, target: Uint8Array, at: number): number {
  const buf = t.buffer;
  const start = t.fieldStart[f]!;
  const end = t.fieldEnd[f]!;
  if ((t.fieldFlags[f]! & FIELD_ESCAPED) === 0) {
    const n = end - start;
    if (n > 32) {
      target.set(buf.subarray(start, end), at);
    } else {
      for (let k = 0; k < n; k++) target[at + k] = buf[start + k]!;
    }
    return at + n;
  }
  // The tokenizer flags a field escaped only when every escape byte in it begins a pair (broken rows
  // aside, whose fields are not values): the byte after it is the one meant. A doubled quote is the
  // case where both are the quote.
  const esc = t.escape;
  let j = at;
  for (let i = start; i < end; i++) {
    let c = buf[i]!;
    if (c === esc && i + 1 < end) c = buf[++i]!;
    target[j++] = c;
  }
  return j;
}

/** One parsed row, as strings (tests and small inputs). */
export interface StringRow {
  readonly line: number;
  readonly fields: string[];
}

/** The dialect of {@link tokenizeToStrings}, in characters; see {@link TokenizerOptions}. */
export interface StringTokenizerOptions {
  readonly delimiter: string;
  /** `''` turns quoting off. @default '"' */
  readonly quote?: string;
  /** @default the quote */
  readonly escape?: string;
  /** @default none */
  readonly comment?: string;
  /** @default false */
  readonly keepBlankLines?: boolean;
}

/**
 * Tokenizes a whole input into strings: for tests (differential against other parsers) and small files.
 * `chunking` exercises chunk boundaries: a chunk size, or the offsets at which to cut the input.
 */
export function tokenizeToStrings(
  input: Uint8Array,
  options: StringTokenizerOptions,
  chunking: number | readonly number[] = input.length || 1,
): { rows: StringRow[]; malformed: { line: number; reason: string; raw: string }[] } {
  const rows: StringRow[] = [];
  const malformed: { line: number; reason: string; raw: string }[] = [];
  const decoder = new TextDecoder();
  const byte = (c: string | undefined, none: number): number => (c ? c.charCodeAt(0) : none);
  const quote = options.quote === undefined ? QUOTE : byte(options.quote, -1);
  const tokenizerOptions: TokenizerOptions = {
    delimiter: options.delimiter.charCodeAt(0),
    quote,
    escape: byte(options.escape, quote),
    comment: byte(options.comment, -1),
    keepBlankLines: options.keepBlankLines ?? false,
  };
  const tokenizer = new CsvTokenizer(tokenizerOptions, (t) => {
    for (let r = 0; r < t.rowCount; r++) {
      const line = t.rowLine[r]!;
      if (t.rowBroken[r] !== 0) {
        malformed.push({
          line,
          reason: brokenQuotingReason(t.rowBroken[r]!),
          raw: decoder.decode(t.buffer.subarray(t.rowStart[r]!, t.rowEnd[r]!)),
        });
        continue;
      }
      const fields: string[] = [];
      const first = t.rowFirstField[r]!;
      for (let f = first; f < first + t.rowFieldCount[r]!; f++) {
        const scratch = new Uint8Array(t.fieldEnd[f]! - t.fieldStart[f]!);
        const end = copyField(t, f, scratch, 0);
        fields.push(decoder.decode(scratch.subarray(0, end)));
      }
      rows.push({ line, fields });
    }
  });
  if (typeof chunking === 'number') {
    for (let at = 0; at < input.length; at += chunking) tokenizer.push(input.subarray(at, at + chunking));
  } else {
    let at = 0;
    for (const cut of [...chunking, input.length]) {
      tokenizer.push(input.subarray(at, Math.max(at, cut)));
      at = Math.max(at, cut);
    }
  }
  tokenizer.end();
  return { rows, malformed };
}
