import { CONVERT_DEFAULTS } from './model/defaults';
import type { ConvertOptions, SchemaFile, TextEncoding } from './model/options';
import { MalformedCsvError, quoted, SchemaMismatchError, UnsupportedEncodingError } from './model/errors';
import { decodeInput, decodeRange, InvalidUtf8Error, type InputInfo } from './csv/input';
import { dialectBytes, fillerByte, PreambleBlanker } from './csv/dialect';
import { sniffLayout } from './csv/sniff-layout';
import { sniffHeader } from './run/sniff-header';
import { RejectSink } from './csv/rejects';
import { fieldText, isBlank, rowText } from './csv/fields';
import type { ColumnType, TableLayout, TableSchema } from './model/schema';
import { noValue, type RowSink } from './rows/value-rules';
import { CsvTokenizer } from './csv/tokenizer';
import { brokenQuotingReason, type TokenizerOptions } from './csv/tokens';
import { lakeColumnNames } from './model/column-names';
import { fileColumns, tableFloors } from './model/table-layout';
import { classify } from './rows/classify';
import { floorMask, INFERENCE_MASK, narrowestType, T_ANY, T_STRING, typeBit } from './model/type-lattice';

const SNIFF_BYTES = 64 * 1024;
/**
 * Bytes the header is sniffed from: thousands of rows in a usual file. Sniffing the whole 1 MiB sample
 * cost 5-6 ms per conversion on the bench's mixed CSV.
 */
const HEADER_SNIFF_BYTES = 256 * 1024;
/** Bytes read before the first pass guesses the column types it converts with speculatively. */
const SAMPLE_BYTES = 1024 * 1024;

/** Options of both passes, defaults applied. */
export interface PassOptions {
  readonly delimiter: string | undefined;
  /** Whether the first row holds column names; undefined: sniffed (see {@link sniffHeader}). */
  readonly header: boolean | undefined;
  /** The quote byte, or -1 when quoting is off. */
  readonly quote: number;
  /** The byte that escapes a quote inside a quoted field (the quote itself: doubled quotes). */
  readonly escape: number;
  /** The comment byte, or -1 for none. */
  readonly comment: number;
  /** Physical lines skipped before the header; undefined: sniffed. */
  readonly skipRows: number | undefined;
  readonly encoding: TextEncoding;
  readonly nullTokens: readonly Uint8Array[];
  readonly schema: SchemaFile | undefined;
  /** The table the file joins: its types are the floors of the file's (see {@link TableLayout}). */
  readonly table: TableLayout | undefined;
  readonly maxRejects: number;
  /** Bytes read before the first pass guesses the types it converts with. @default 1 MiB */
  readonly sampleBytes: number;
  /** See {@link ConvertOptions.maxFieldBytes}. */
  readonly maxFieldBytes: number;
  /** See {@link ConvertOptions.maxRowBytes}. */
  readonly maxRowBytes: number;
  /** See {@link ConvertOptions.maxColumns}. */
  readonly maxColumns: number;
}

/** Resolves the pass options of a conversion. */
export function passOptions(options: ConvertOptions): PassOptions {
  return {
    delimiter: options.delimiter,
    header: options.header,
    ...dialectBytes(options),
    skipRows: options.skipRows,
    encoding: options.encoding ?? CONVERT_DEFAULTS.encoding,
    nullTokens: (options.nullTokens ?? []).map((t) => Buffer.from(t, 'utf8')),
    schema: options.schema,
    table: options.table,
    maxRejects: options.maxRejects ?? CONVERT_DEFAULTS.maxRejects,
    sampleBytes: SAMPLE_BYTES,
    ...inputLimits(options),
  };
}

/** The input limits of a conversion, defaults applied: the row limit is at least the field limit. */
export function inputLimits(
  options: Pick<ConvertOptions, 'maxFieldBytes' | 'maxRowBytes' | 'maxColumns'>,
): Pick<PassOptions, 'maxFieldBytes' | 'maxRowBytes' | 'maxColumns'> {
  const maxFieldBytes = options.maxFieldBytes ?? CONVERT_DEFAULTS.maxFieldBytes;
  return {
    maxFieldBytes,
    maxRowBytes: options.maxRowBytes ?? Math.max(CONVERT_DEFAULTS.maxRowBytes, maxFieldBytes),
    maxColumns: options.maxColumns ?? CONVERT_DEFAULTS.maxColumns,
  };
}

/** The dialect the first pass settled on (given or sniffed): every later pass of the file reads with it. */
export interface ResolvedDialect {
  readonly delimiter: string;
  readonly header: boolean;
  /** Physical lines before the header, blanked before tokenizing (see {@link PreambleBlanker}). */
  readonly skipRows: number;
  /** The comment byte, or -1. */
  readonly comment: number;
}

/**
 * The dialect of a file from the first bytes of its decoded input: what the options leave open is
 * sniffed, the delimiter, preamble and comment character from the first 64 KiB ({@link sniffLayout}), the
 * header from the first 256 KiB ({@link sniffHeader}).
 */
export function resolveDialect(sample: Uint8Array, complete: boolean, options: PassOptions): ResolvedDialect {
  const window = sample.subarray(0, SNIFF_BYTES);
  const layout =
    options.delimiter !== undefined && options.skipRows !== undefined
      ? { delimiter: options.delimiter, skipRows: options.skipRows, comment: options.comment }
      : sniffLayout(
          window,
          complete && sample.length <= SNIFF_BYTES,
          { delimiter: options.delimiter, skipRows: options.skipRows },
          options,
        );
  const header =
    options.header ??
    sniffHeader(sample.subarray(0, HEADER_SNIFF_BYTES), complete && sample.length <= HEADER_SNIFF_BYTES, {
      delimiter: layout.delimiter.charCodeAt(0),
      quote: options.quote,
      escape: options.escape,
      comment: layout.comment,
      skipRows: layout.skipRows,
      nullTokens: options.nullTokens,
      names: options.schema && Object.keys(options.schema.columns),
      lakeNames: options.table !== undefined,
    });
  return { ...layout, header };
}

/** The tokenizer options of a pass over `name`. */
function tokenizerOptions(
  name: string,
  dialect: Pick<ResolvedDialect, 'delimiter' | 'comment'>,
  options: PassOptions,
  columnName?: (index: number) => string | undefined,
): TokenizerOptions {
  return {
    delimiter: dialect.delimiter.charCodeAt(0),
    quote: options.quote,
    escape: options.escape,
    comment: dialect.comment,
    // A blank line is a null value in a one-column file and nothing in a wider one: the passes decide.
    keepBlankLines: true,
    maxFieldBytes: options.maxFieldBytes,
    maxRowBytes: options.maxRowBytes,
    maxFields: options.maxColumns,
    source: name,
    ...(columnName ? { columnName } : {}),
  };
}

/** What the first pass learns about a file. */
export interface FilePlan {
  readonly delimiter: string;
  readonly dialect: ResolvedDialect;
  readonly headers: readonly string[];
  readonly types: readonly ColumnType[];
  /** Lines (1-based, where the row starts) of the rows rejected by the first pass. */
  readonly rejectedLines: ReadonlySet<number>;
  readonly rows: number;
  readonly info: InputInfo;
}

/**
 * Reads the whole input once through decoding and tokenizing, handing complete rows to `onRows` and
 * awaiting `afterPush` after each chunk (where callers flush what they buffered). The dialect is known,
 * or `dialect` resolves it from the first `sampleBytes` of decoded input, which `onStart` then sees too
 * (its preamble blanked). Returns the dialect read with.
 */
async function scan(
  name: string,
  chunks: AsyncIterable<Uint8Array>,
  options: PassOptions,
  info: InputInfo,
  dialect: ResolvedDialect | ((sample: Uint8Array, complete: boolean) => ResolvedDialect),
  onRows: (t: CsvTokenizer) => void,
  afterPush: () => Promise<void>,
  columnName: (index: number) => string | undefined,
  onStart?: (sample: Uint8Array, complete: boolean, dialect: ResolvedDialect) => void,
  holder?: { tokenizer?: CsvTokenizer },
  decode: typeof decodeInput = decodeInput,
): Promise<ResolvedDialect> {
  let tokenizer: CsvTokenizer | undefined;
  let resolved = typeof dialect === 'function' ? undefined : dialect;
  let blanker: PreambleBlanker | undefined;
  const sample: Uint8Array[] = [];
  let sampled = 0;
  const wanted = resolved ? 0 : options.sampleBytes;
  const start = (complete: boolean): CsvTokenizer => {
    // A copy (Buffer.concat always copies): the preamble is blanked in place.
    const head = Buffer.concat(sample, sampled);
    const d = (resolved ??= (dialect as (s: Uint8Array, c: boolean) => ResolvedDialect)(head, complete));
    blanker = new PreambleBlanker(d.skipRows, fillerByte(d.delimiter.charCodeAt(0), { ...options, ...d }));
    blanker.apply(head, true);
    onStart?.(head, complete, d);
    const t = new CsvTokenizer(tokenizerOptions(name, d, options, columnName), onRows);
    if (holder) holder.tokenizer = t;
    t.push(head);
    return t;
  };
  try {
    for await (const chunk of decode(chunks, options.encoding, info, name)) {
      if (tokenizer) {
        tokenizer.push(blanker!.done ? chunk : blanker!.apply(chunk));
      } else {
        sample.push(chunk);
        sampled += chunk.length;
        if (sampled < wanted) continue;
        tokenizer = start(false);
      }
      await afterPush();
    }
    tokenizer ??= start(true);
    tokenizer.end();
    await afterPush();
  } catch (error) {
    if (error instanceof InvalidUtf8Error)
      throw invalidUtf8(name, error, tokenizer, sample, resolved, dialect, options, columnName);
    throw error;
  }
  return resolved!;
}

/** The error for invalid UTF-8, with its line and, when known, its column. */
function invalidUtf8(
  name: string,
  error: InvalidUtf8Error,
  tokenizer: CsvTokenizer | undefined,
  sample: readonly Uint8Array[],
  resolved: ResolvedDialect | undefined,
  dialect: ResolvedDialect | ((sample: Uint8Array, complete: boolean) => ResolvedDialect),
  options: PassOptions,
  columnName: (index: number) => string | undefined,
): UnsupportedEncodingError {
  let line: number;
  let column: string | undefined;
  if (tokenizer) {
    line = tokenizer.currentLine;
    column = columnName(tokenizer.partialFieldIndex);
  } else {
    // The bad byte is in the sample: the dialect from the valid bytes before it, and the place in them.
    const head = Buffer.concat(sample);
    const d = resolved ?? (typeof dialect === 'function' ? dialect(head, false) : dialect);
    let names: string[] | undefined;
    const quoting = { quote: options.quote, escape: options.escape, comment: d.comment };
    const t = new CsvTokenizer({ delimiter: d.delimiter.charCodeAt(0), ...quoting }, (p) => {
      for (let r = 0; r < p.rowCount && names === undefined; r++) {
        if (p.rowLine[r]! <= d.skipRows) continue;
        names = [];
        for (let f = p.rowFirstField[r]!; f < p.rowFirstField[r]! + p.rowFieldCount[r]!; f++)
          names.push(d.header ? fieldText(p, f) : `column_${names.length + 1}`);
      }
    });
    t.push(
      new PreambleBlanker(d.skipRows, fillerByte(d.delimiter.charCodeAt(0), { ...options, ...d })).apply(
        head,
      ),
    );
    line = t.currentLine;
    column = names?.[t.partialFieldIndex];
  }
  return new UnsupportedEncodingError(
    `${name}: invalid UTF-8 at line ${line}, byte offset ${error.byteOffset}` +
      `${column !== undefined ? `, column ${quoted(column)}` : ''}; ` +
      `if the file is not UTF-8, pass --encoding latin1 or --encoding windows-1252`,
    { line, byteOffset: error.byteOffset, ...(column !== undefined ? { column } : {}) },
  );
}

/** The classification mask of any value of a type (what a column of only such values ends with). */
const VALUE_MASKS: Record<ColumnType, number> = {
  boolean: classifyText('true'),
  int32: classifyText('1'),
  int64: classifyText('3000000000'),
  double: classifyText('1.5'),
  date: classifyText('2000-01-01'),
  timestamp: classifyText('2000-01-01T00:00:00'),
  string: T_STRING,
};

function classifyText(text: string): number {
  const b = Buffer.from(text);
  return classify(b, 0, b.length);
}

/** Where the first pass sends converted rows while its type guess holds. */
export interface SpeculativeOutput {
  /** Builds the output schema for header names and column types. */
  schemaFor(headers: readonly string[], types: readonly ColumnType[]): TableSchema;
  /** Opens the writers for a schema (once). */
  open(schema: TableSchema): RowSink;
}

/** What the first pass did. */
export interface FirstPassResult extends FilePlan {
  /** Rows accepted. */
  readonly rows: number;
  /** True when the rows were converted with the final types: the writers opened hold the whole output. */
  readonly converted: boolean;
  /** True when writers were opened (and must be discarded unless `converted`). */
  readonly opened: boolean;
  /**
   * When most rows were rejected (more than half, and more than 10): what to try, since the dialect read
   * with is then most likely not the file's.
   */
  readonly advice?: string;
}

/**
 * The first pass. It sniffs the dialect, reads the header, rejects malformed rows (and rows that do not fit
 * an explicit schema) and infers each column's type from every value.
 *
 * With `output`, it also converts as it reads: the types are guessed from the first MiB, each value is
 * checked against its column's guess while it is converted, and the batches go to the writers. Since a
 * column's final type can only be wider than the guess, the guess is final when every value fits it (and
 * the columns the sample had no value for stayed text): then the file is read ONCE. At the first value that
 * does not fit, conversion stops, inference goes on alone, and the caller runs {@link writePass} with the
 * final types.
 *
 * @throws MalformedCsvError when more rows are rejected than `maxRejects`, or the header is unusable.
 */
export async function firstPass(
  name: string,
  chunks: AsyncIterable<Uint8Array>,
  options: PassOptions,
  rejects: RejectSink,
  output?: SpeculativeOutput,
  split?: SplitHooks,
): Promise<FirstPassResult> {
  const info: InputInfo = { gzip: false, bytesIn: 0 };
  const state = new InferenceState(name, options, rejects);
  let spec: Speculation | undefined;
  let opened = false;

  const onStart = (sample: Uint8Array, complete: boolean, dialect: ResolvedDialect): void => {
    state.layout = dialect;
    if (!output) return;
    const guess = new InferenceState(name, options, undefined);
    guess.layout = dialect;
    // With the limits too: a header past them fails here, before the guess starts anything.
    const tokenizer = new CsvTokenizer(
      tokenizerOptions(name, dialect, options, (i) => guess.headers?.[i]),
      (t) => guess.onRows(t, undefined),
    );
    tokenizer.push(sample);
    if (complete) tokenizer.end();
    if (guess.headers === undefined) return;
    spec = Speculation.fromGuess(guess, output, () => (opened = true));
    // A zstd file cannot be cut: the cut would fall at an offset of the compressed bytes (split-pass.ts
    // looks for gzip's magic bytes only). Its other thread then idles until the conversion ends.
    if (info.zstd === true) return;
    split?.start({
      delimiter: dialect.delimiter,
      comment: dialect.comment,
      headers: [...spec.headers],
      types: spec.types,
      track: [...spec.track],
    });
  };

  const dialect = await scan(
    name,
    chunks,
    options,
    info,
    (sample, complete) => resolveDialect(sample, complete, options),
    (t) => state.onRows(t, spec),
    async () => {
      await rejects.flush();
      if (spec?.active) await spec.flush(false);
    },
    (i) => state.headers?.[i],
    onStart,
    split?.holder,
  );
  if (state.headers === undefined) {
    throw new MalformedCsvError(
      dialect.skipRows > 0
        ? `${name} has no rows after the ${dialect.skipRows} line(s) skipped above the header; nothing to convert`
        : `${name} has no rows (only blank lines or a byte order mark); nothing to convert`,
    );
  }
  if (spec?.active) state.adoptGuess(spec);
  const rest = await split?.finish();
  if (rest) {
    // The file's second part was read elsewhere: its rejects follow ours, its types join ours.
    state.merge(rest.result, rest.lineOffset);
    await rejects.flush();
    info.bytesIn += rest.result.bytesIn;
    if (spec && !rest.result.held) spec.active = false;
  }
  const types = state.finalTypes();
  let converted = false;
  if (spec?.active && spec.holds(types)) {
    await spec.flush(true);
    converted = true;
  }
  return {
    delimiter: dialect.delimiter,
    dialect,
    headers: state.headers,
    types,
    rejectedLines: state.rejectedLines,
    rows: state.rows,
    info,
    converted,
    opened,
    ...(state.misread() ? { advice: state.advice() } : {}),
  };
}

/** The speculative conversion of the first pass: guessed types and the writers. */
class Speculation {
  active = true;
  readonly types: ColumnType[];
  /** Per column, the type bit values must fit (0: text, anything fits). */
  readonly check: Uint8Array;
  /**
   * Per column, 1 when its values are classified as they are converted: a column the sample had no value
   * for (written as text) and an int64 column.
   */
  readonly track: Uint8Array;
  private rows: RowSink | undefined;

  constructor(
    readonly headers: readonly string[],
    types: readonly ColumnType[],
    track: Uint8Array,
    private readonly output: SpeculativeOutput,
    private readonly onOpen: () => void,
  ) {
    this.types = [...types];
    this.check = Uint8Array.from(this.types, (t) => (t === 'string' ? 0 : typeBit(t)));
    this.track = track;
  }

  /**
   * The speculation a dry run over the sample suggests. Besides the columns the sample had no value for
   * and the table does not type (guessed as text, they may turn out narrower), int64 columns are tracked:
   * whether their values are doubles exactly (see `classify`) is not implied by their fitting int64, and
   * decides what a later decimal widens them to. A column the sample had no value for but the table types
   * is guessed as the table's type, which every value is then checked against: like a column the sample
   * had values for, what fits is implied.
   */
  static fromGuess(guess: InferenceState, output: SpeculativeOutput, onOpen: () => void): Speculation {
    const track = Uint8Array.from(guess.finalTypes(), (type, c) =>
      guess.declared[c] !== undefined || ((guess.seen[c] === 1 || guess.floored[c] === 1) && type !== 'int64')
        ? 0
        : 1,
    );
    return new Speculation(guess.headers!, guess.finalTypes(), track, output, onOpen);
  }

  /** The sink to append to, created with the writers on first use. */
  target(): RowSink {
    if (!this.rows) {
      this.rows = this.output.open(this.output.schemaFor(this.headers, this.types));
      this.onOpen();
    }
    return this.rows;
  }

  /** The guess is final when no value broke it and the tracked columns kept their guessed type. */
  holds(finalTypes: readonly ColumnType[]): boolean {
    return finalTypes.every((t, c) => t === this.types[c]);
  }

  async flush(final: boolean): Promise<void> {
    await (final ? this.target() : this.rows)?.flush(final);
  }
}

/** Where rejected rows are recorded: the rejects file ({@link RejectSink}), or a list. */
export interface RejectRecorder {
  readonly count: number;
  add(line: number, reason: string, raw: string): void;
}

/** A rejected row. */
export interface RejectedRow {
  readonly line: number;
  readonly reason: string;
  readonly raw: string;
}

/** A {@link RejectRecorder} that keeps the rows in memory (bounded by `maxRejects`). */
class RejectList implements RejectRecorder {
  readonly rows: RejectedRow[] = [];
  get count(): number {
    return this.rows.length;
  }
  add(line: number, reason: string, raw: string): void {
    this.rows.push({ line, reason, raw });
  }
}

/** Header, rejects and type inference over the rows of one pass. */
class InferenceState {
  headers: string[] | undefined;
  /** Whether the first row is the header, and the lines above it: set once the dialect is known. */
  layout: Pick<ResolvedDialect, 'header' | 'skipRows' | 'delimiter'> = {
    header: true,
    skipRows: 0,
    delimiter: ',',
  };
  masks = new Uint8Array(0);
  seen = new Uint8Array(0);
  /**
   * Per column, the candidate types its final type is taken from: {@link INFERENCE_MASK}, or the mask of
   * its table type (the floor, see {@link floorMask}).
   */
  floors = new Uint8Array(0);
  /** Per column, 1 when the table has it: with no value, it takes the table's type. */
  floored = new Uint8Array(0);
  declared: (number | undefined)[] = [];
  readonly rejectedLines = new Set<number>();
  rows = 0;

  constructor(
    private readonly name: string,
    private readonly options: PassOptions,
    /** Undefined for a dry run over a sample: bad rows are skipped silently. */
    private readonly rejects: RejectRecorder | undefined,
  ) {}

  /**
   * While a guess holds, its untracked columns are not classified: every value so far fitted the guessed
   * type, so the column's mask is exactly that type's value mask.
   */
  adoptGuess(spec: Speculation): void {
    for (let c = 0; c < this.masks.length; c++) {
      if (spec.track[c] === 1) continue;
      this.masks[c] = VALUE_MASKS[spec.types[c]!];
      this.seen[c] = 1;
    }
  }

  finalTypes(): ColumnType[] {
    return (this.headers ?? []).map((_, c): ColumnType => {
      const bit = this.declared[c];
      if (bit !== undefined) return narrowestType(bit, true);
      return narrowestType(this.masks[c]! & this.floors[c]!, this.seen[c] === 1 || this.floored[c] === 1);
    });
  }

  private reject(t: CsvTokenizer, r: number, reason: string): void {
    if (this.rejects) this.record(t.rowLine[r]!, reason, rowText(t, r));
  }

  /**
   * Records a rejected row.
   * @throws MalformedCsvError when that makes more than `maxRejects`
   */
  record(line: number, reason: string, raw: string): void {
    const rejects = this.rejects!;
    this.rejectedLines.add(line);
    rejects.add(line, reason, raw);
    if (rejects.count > this.options.maxRejects) {
      throw new MalformedCsvError(
        `${this.name}: more than ${this.options.maxRejects} rows rejected (latest at line ${line}: ${reason}); ` +
          // Judged from the line, not the rows counted so far: a file cut between two threads gives the same message.
          (rejects.count > 10 && rejects.count * 2 > line - this.layout.skipRows
            ? `${this.advice(line - this.layout.skipRows - 1)}; or fix the file or raise --max-rejects`
            : `fix the file or raise --max-rejects`),
        { line },
      );
    }
  }

  /** Whether most rows were rejected: more than 10, and more than were accepted. */
  misread(): boolean {
    const rejected = this.rejectedLines.size;
    return rejected > 10 && rejected > this.rows;
  }

  /** What to try when most rows are rejected (of `rows`, about as many as there were). */
  advice(rows = this.rejectedLines.size + this.rows): string {
    const { delimiter, header, skipRows } = this.layout;
    return (
      `most rows were rejected (${this.rejectedLines.size} of ${rows}), so the ` +
      `file was most likely read with the wrong dialect (delimiter ${quoted(delimiter)}, ` +
      `${header ? `header on line ${skipRows + 1}` : 'no header'}${skipRows > 0 ? `, ${skipRows} line(s) skipped above it` : ''}): ` +
      `try --delimiter, --skip <lines above the header>, --comment '#', or --quote none`
    );
  }

  /** Takes in what a pass over a later part of the same file found (its lines `lineOffset` further on). */
  merge(part: RangeResult, lineOffset: number): void {
    for (const row of part.rejects) this.record(row.line + lineOffset, row.reason, row.raw);
    this.rows += part.rows;
    for (let c = 0; c < this.masks.length; c++) {
      this.masks[c]! &= part.masks[c]!;
      this.seen[c]! |= part.seen[c]!;
    }
  }

  private start(t: CsvTokenizer, r: number): void {
    if (t.rowBroken[r] !== 0) {
      throw new MalformedCsvError(
        `${this.name}: the first row (line ${t.rowLine[r]}) has ${brokenQuotingReason(t.rowBroken[r]!)}; ` +
          `fix the quoting of that row`,
        { line: t.rowLine[r]! },
      );
    }
    const first = t.rowFirstField[r]!;
    const n = t.rowFieldCount[r]!;
    const headers: string[] = [];
    for (let c = 0; c < n; c++)
      headers.push(this.layout.header ? fieldText(t, first + c) : `column_${c + 1}`);
    this.begin(headers);
  }

  /** Starts with known column names: every row is then data. */
  begin(headers: string[]): void {
    this.headers = headers;
    this.masks = new Uint8Array(headers.length).fill(T_ANY);
    this.seen = new Uint8Array(headers.length);
    const table = this.options.table;
    const floors = table ? tableFloors(headers, table) : [];
    this.floors = Uint8Array.from(headers, (_, c) => {
      const floor = floors[c];
      return floor === undefined ? INFERENCE_MASK : floorMask(floor);
    });
    this.floored = Uint8Array.from(headers, (_, c) => (floors[c] === undefined ? 0 : 1));
    this.declared = resolveDeclared(
      this.name,
      headers,
      this.options.schema,
      table ? lakeColumnNames(headers) : undefined,
    );
  }

  onRows(t: CsvTokenizer, spec: Speculation | undefined): void {
    const b = t.buffer;
    const tokens = this.options.nullTokens;
    for (let r = 0; r < t.rowCount; r++) {
      if (this.headers === undefined) {
        if (t.rowLine[r]! <= this.layout.skipRows || isBlank(t, r)) continue;
        this.start(t, r);
        if (spec && spec.headers.length !== this.headers!.length) spec.active = false;
        if (this.layout.header) continue;
      }
      const masks = this.masks;
      const columns = masks.length;
      if (t.rowBroken[r] !== 0) {
        this.reject(t, r, brokenQuotingReason(t.rowBroken[r]!));
        continue;
      }
      const n = t.rowFieldCount[r]!;
      if (n !== columns) {
        // A blank line: a null row in a one-column file (n === columns), nothing in a wider one.
        if (n === 1 && isBlank(t, r)) continue;
        this.reject(t, r, `expected ${columns} fields, found ${n}`);
        continue;
      }
      const first = t.rowFirstField[r]!;
      if (this.options.schema) {
        const misfit = firstMisfit(t, first, this.declared, tokens);
        if (misfit !== undefined) {
          const value = fieldText(t, first + misfit);
          const type = narrowestType(this.declared[misfit]!, true);
          this.reject(
            t,
            r,
            `column ${quoted(this.headers![misfit]!)}: ${quoted(value)} is not a valid ${type}`,
          );
          continue;
        }
      }
      this.rows++;
      if (spec?.active) {
        const bad = spec.target().append(t, first, tokens, spec.check, spec.track, masks, this.seen);
        if (bad < 0) continue;
        // A value wider than the guess: stop converting, carry on inferring from what the guess implies.
        spec.active = false;
        this.adoptGuess(spec);
      }
      for (let c = 0; c < columns; c++) {
        const f = first + c;
        const s = t.fieldStart[f]!;
        const e = t.fieldEnd[f]!;
        if (noValue(b, s, e, tokens)) continue;
        const m = masks[c]!;
        if (m === T_STRING) {
          this.seen[c] = 1;
          continue;
        }
        masks[c] = m & classify(b, s, e);
        this.seen[c] = 1;
      }
    }
  }
}

/**
 * Per column, the declared type's bit (or undefined when inferred). A schema names a column by its header
 * text or, when the file joins a table, by its lake name (`names`).
 */
function resolveDeclared(
  name: string,
  headers: readonly string[],
  schema: SchemaFile | undefined,
  names?: readonly string[],
): (number | undefined)[] {
  if (!schema) return headers.map(() => undefined);
  const unknown = Object.keys(schema.columns).filter((c) => !headers.includes(c) && !names?.includes(c));
  if (unknown.length > 0) {
    throw new SchemaMismatchError(
      `${name}: the schema names column(s) ${unknown.map(quoted).join(', ')} that the file does not have ` +
        `(its columns: ${headers.map(quoted).join(', ')}); fix the schema file`,
      { column: unknown[0]! },
    );
  }
  const given = (key: string | undefined) =>
    key !== undefined && Object.prototype.hasOwnProperty.call(schema.columns, key)
      ? schema.columns[key]
      : undefined;
  return headers.map((h, c) => {
    const type = given(h) ?? given(names?.[c]);
    return type === undefined ? undefined : typeBit(type);
  });
}

/** The first declared column whose value does not fit its type, if any. */
function firstMisfit(
  t: CsvTokenizer,
  first: number,
  declared: readonly (number | undefined)[],
  tokens: readonly Uint8Array[],
): number | undefined {
  const b = t.buffer;
  for (let c = 0; c < declared.length; c++) {
    const bit = declared[c];
    if (bit === undefined || bit === T_STRING) continue;
    const s = t.fieldStart[first + c]!;
    const e = t.fieldEnd[first + c]!;
    if (noValue(b, s, e, tokens)) continue;
    if ((classify(b, s, e) & bit) === 0) return c;
  }
  return undefined;
}

/** What the first pass hands to a pass over the file's second part: the dialect and the type guess. */
export interface RangeContext {
  readonly delimiter: string;
  /** The comment byte, or -1. */
  readonly comment: number;
  readonly headers: readonly string[];
  readonly types: readonly ColumnType[];
  /** Per column, 1 when its values are classified as they are converted (see `Speculation.track`). */
  readonly track: readonly number[];
}

/** What a pass over the second part of a file found. Lines count from the part's first line (1). */
export interface RangeResult {
  readonly rows: number;
  readonly rejects: readonly RejectedRow[];
  readonly masks: readonly number[];
  readonly seen: readonly number[];
  /** True when every value fitted the guess: the part's output is complete. */
  readonly held: boolean;
  readonly bytesIn: number;
}

/**
 * How the first pass splits a file with another thread (see split-pass.ts): `start` is called once the
 * type guess is made; the scan's tokenizer is put in `holder` (for the check at the split point); `finish`
 * gives the result of the file's second part when the split was kept, or undefined when the first pass
 * read the whole file after all.
 */
export interface SplitHooks {
  start(context: RangeContext): void;
  readonly holder: { tokenizer?: CsvTokenizer };
  finish(): Promise<{ result: RangeResult; lineOffset: number } | undefined>;
}

/**
 * The first pass over the second part of a file, from a row boundary on (`chunks` decoded already, see
 * `decodeRange`): with the column names and the type guess of the first part, it rejects malformed rows,
 * infers from every value and converts into `output` while the guess holds.
 *
 * @throws MalformedCsvError when the part alone has more rejected rows than `maxRejects`
 */
export async function rangePass(
  name: string,
  chunks: AsyncIterable<Uint8Array>,
  options: PassOptions,
  context: RangeContext,
  output: SpeculativeOutput,
): Promise<RangeResult> {
  const info: InputInfo = { gzip: false, bytesIn: 0 };
  const rejects = new RejectList();
  const state = new InferenceState(name, options, rejects);
  state.begin([...context.headers]);
  const spec = new Speculation(
    context.headers,
    context.types,
    Uint8Array.from(context.track),
    output,
    () => {},
  );
  await scan(
    name,
    chunks,
    options,
    info,
    // From a row boundary past the header: no preamble, and every row is data.
    { delimiter: context.delimiter, comment: context.comment, header: false, skipRows: 0 },
    (t) => state.onRows(t, spec),
    async () => {
      if (spec.active) await spec.flush(false);
    },
    (i) => context.headers[i],
    undefined,
    undefined,
    (source, encoding, counts) => decodeRange(source, encoding, counts),
  );
  if (spec.active) {
    state.adoptGuess(spec);
    await spec.flush(true);
  }
  return {
    rows: state.rows,
    rejects: rejects.rows,
    masks: [...state.masks],
    seen: [...state.seen],
    held: spec.active,
    bytesIn: info.bytesIn,
  };
}

/**
 * The second pass, when the first could not convert: reads the input again and hands every accepted row to
 * `sink` with the final types (the schema's), flushing it after each chunk and at the end.
 */
export async function writePass(
  name: string,
  chunks: AsyncIterable<Uint8Array>,
  options: PassOptions,
  plan: FilePlan,
  schema: TableSchema,
  sink: RowSink,
): Promise<{ rows: number; info: InputInfo }> {
  const info: InputInfo = { gzip: false, bytesIn: 0 };
  const none = new Uint8Array(0);
  const tokens = options.nullTokens;
  const rejected = plan.rejectedLines;
  const checkRejected = rejected.size > 0;
  const { skipRows, header } = plan.dialect;
  // Rows hold the file's columns, in file order, whatever order the output has.
  const columns = plan.headers.length;
  const names = fileColumns(schema).map((c) => c.name);
  let started = false;
  let rows = 0;

  const onRows = (t: CsvTokenizer): void => {
    for (let r = 0; r < t.rowCount; r++) {
      if (!started) {
        // As the first pass: the preamble's lines and blank lines, then the header.
        if (t.rowLine[r]! <= skipRows || isBlank(t, r)) continue;
        started = true;
        if (header) continue;
      }
      // Rows of another width are rejects (in `rejected`) or the blank lines of a wider file.
      if (t.rowFieldCount[r] !== columns) continue;
      if (checkRejected && rejected.has(t.rowLine[r]!)) continue;
      const bad = sink.append(t, t.rowFirstField[r]!, tokens, undefined, undefined, none, none);
      if (bad >= 0) {
        // The first pass saw every value, so this means the two passes read different data.
        throw new Error(
          `${name} changed while it was being converted (line ${t.rowLine[r]}, column ${bad + 1})`,
        );
      }
      rows++;
    }
  };

  await scan(
    name,
    chunks,
    options,
    info,
    plan.dialect,
    onRows,
    () => sink.flush(false),
    (i) => names[i],
  );
  await sink.flush(true);
  return { rows, info };
}
