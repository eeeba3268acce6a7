import { escapedFieldTally, scanEscapedField } from './escaped-field';
import { RowIndex } from './row-index';
import { indexStructural, sliceBytes, structuralPositions } from './structural';
import { BrokenQuoting, DEFAULT_QUOTE, FIELD_ESCAPED, FIELD_QUOTED, type TokenizerOptions } from './tokens';

const LF = 0x0a;
const CR = 0x0d;

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
export class CsvTokenizer extends RowIndex {
  /**
   * The byte `copyField` un-escapes after in fields flagged {@link FIELD_ESCAPED} (the quote itself
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
  /** 1 for the bytes that end an unquoted field: the delimiter, LF and CR. */
  private readonly stop = new Uint8Array(256);
  /** The quote byte for stage 1, or the delimiter when quoting is off (no byte then is a quote). */
  private readonly quoteOrDelimiter: number;
  private state = State.FieldStart;
  private curFlags = 0;
  private broken = BrokenQuoting.None;
  private line = 1;
  private skipLf = false;
  /** Where the last {@link indexFrom} ended. */
  private indexed = 0;
  /** Slices indexed so far (the first are small: see `sliceBytes`). */
  private slices = 0;

  constructor(
    options: TokenizerOptions,
    private readonly onRows: RowsCallback,
  ) {
    super(options);
    this.delimiter = options.delimiter;
    this.quote = options.quote ?? DEFAULT_QUOTE;
    this.escape = this.quote < 0 ? -1 : (options.escape ?? this.quote);
    this.comment = options.comment ?? -1;
    this.rowState = this.comment < 0 ? State.FieldStart : State.LineStart;
    this.state = this.rowState;
    this.stop[options.delimiter] = 1;
    this.stop[LF] = 1;
    this.stop[CR] = 1;
    this.quoteOrDelimiter = this.quote < 0 ? options.delimiter : this.quote;
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

  /** Adds bytes; complete rows are handed to the callback before it returns. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.append(chunk, this.state === State.Quoted || this.state === State.Unquoted);
    this.scan(false);
    this.flushRows();
  }

  /** Ends the input: the last row (without a trailing newline) is completed and handed over. */
  end(): void {
    this.scan(true);
    this.finishPartialRow();
    this.flushRows();
  }

  protected handOver(): void {
    this.onRows(this);
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
    const positions = structuralPositions;
    let i = this.pos;
    let state = this.state;
    // Read on every call, though only a field cut by the chunk's end uses it: read only then, it would
    // first be read in optimized code with no type feedback, and V8 would throw that code away.
    const resumed = this.curFieldStart;
    // Hot state lives in locals; it is written back before any method call that reads it.
    let nf = this.fieldCount;
    let fStart = this.fieldStart;
    let fEnd = this.fieldEnd;
    let fFlags = this.fieldFlags;
    // The structural positions of buf[i, indexed): positions[k, n) (stage 1, structural.ts). Indexed
    // afresh by every scan: the buffer may have moved since the last.
    let k = 0;
    let n = 0;
    let indexed = i;

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
        s = resumed; // only on entry: past it, the state turns Unquoted only as the loop ends
      } else {
        s = -1;
      }

      if (s >= 0) {
        // Unquoted fields, on to the next delimiter or line end (a quote in one is data); while one ends
        // at a delimiter and the next is unquoted too, straight on to the next.
        for (;;) {
          let p = end;
          for (;;) {
            if (k < n) {
              const q = positions[k]!;
              if (q >= i && stop[buf[q]!] !== 0) {
                p = q;
                break;
              }
              k++;
              continue;
            }
            if (indexed >= end) break;
            n = this.indexFrom(indexed > i ? indexed : i);
            indexed = this.indexed;
            k = 0;
          }
          if (p === end) {
            i = end;
            this.curFieldStart = s;
            state = State.Unquoted;
            break;
          }
          k++;
          if (nf >= fStart.length) {
            this.fieldCount = nf;
            this.growFields();
            fStart = this.fieldStart;
            fEnd = this.fieldEnd;
            fFlags = this.fieldFlags;
          }
          fStart[nf] = s;
          fEnd[nf] = p;
          fFlags[nf] = 0;
          nf++;
          const c = buf[p]!;
          if (c !== delim) {
            this.fieldCount = nf;
            i = this.endRow(p, c);
            nf = this.fieldCount;
            state = rowState;
            break;
          }
          i = p + 1;
          if (i === end || buf[i] === quote) {
            state = State.FieldStart;
            break;
          }
          s = i;
        }
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
        // Byte by byte (comments and broken rows are rare): the index's cursor skips what this passes.
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
          // On to the closing (or a doubled) quote, counting the line ends on the way.
          let p = end;
          for (;;) {
            if (k < n) {
              const q = positions[k]!;
              k++;
              if (q < i) continue;
              const c = buf[q]!;
              if (c === quote) {
                p = q;
                k--;
                break;
              }
              if (c === LF) {
                if (buf[q - 1] !== CR) this.line++;
              } else if (c === CR) {
                this.line++;
              }
              continue;
            }
            if (indexed >= end) break;
            n = this.indexFrom(indexed > i ? indexed : i);
            indexed = this.indexed;
            k = 0;
          }
          i = p;
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
   * Indexes the structural bytes of the next slice of the buffer from `from` (stage 1, structural.ts);
   * returns how many there are in `structuralPositions` and sets {@link indexed} to the slice's end. A
   * method of its own: once per slice, it would only make the scan longer to compile.
   */
  private indexFrom(from: number): number {
    const end = this.length;
    const size = sliceBytes(this.slices++);
    const to = from + size < end ? from + size : end;
    this.indexed = to;
    return indexStructural(this.buffer, from, to, this.delimiter, this.quoteOrDelimiter, LF, CR);
  }

  /** The escape-byte scan (escaped-field.ts), a method apart: inlined in the scan it cost 0.5% Ir. */
  private scanEscapedQuoted(i: number, final: boolean): number {
    const at = scanEscapedField(this.buffer, i, this.length, this.quote, this.escape, final);
    this.line += escapedFieldTally.lines;
    this.curFlags |= escapedFieldTally.flags;
    return at;
  }

  /** Records the end of a row at the line terminator `c` at `i`; returns the index after it. */
  private endRow(i: number, c: number): number {
    this.completeRow(i, this.broken);
    this.broken = BrokenQuoting.None;
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

  private finishPartialRow(): void {
    const state = this.state;
    const end = this.length;
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
    // In a comment line, or at the start of a line: no row.
    if (state !== State.Comment && state !== State.LineStart) {
      this.completeRow(end, this.broken);
      this.broken = BrokenQuoting.None;
    }
    this.curRowStart = end;
    this.pos = end;
    this.state = this.rowState;
  }
}
