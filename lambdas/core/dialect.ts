import { lakeColumnNames } from './model/column-names';
import { isNullToken } from './row-sink';
import { copyField, CsvTokenizer } from './tokenizer';
import { classify, narrowestType, T_ANY, T_STRING, typeBit } from './values';

/** The delimiters csv2lake recognises without being told, in order of preference on a tie. */
export const SNIFFED_DELIMITERS = [',', '\t', ';', '|'] as const;

/** Rows of the sample the layout sniffer looks at: enough for a preamble of dozens of lines. */
const SAMPLE_ROWS = 256;
const LF = 0x0a;
const CR = 0x0d;
const HASH = 0x23;

/** The quoting and comment bytes of a conversion (-1: none), as the tokenizer takes them. */
export interface QuotingBytes {
  readonly quote: number;
  readonly escape: number;
  readonly comment: number;
}

/** Where the table starts and how its fields are separated, as {@link sniffLayout} finds them. */
export interface Layout {
  readonly delimiter: string;
  /** Physical lines before the header (title lines, a block of `#` lines). */
  readonly skipRows: number;
  /** The comment byte, or -1: the given one, or `#` when `#` lines also appear among the rows. */
  readonly comment: number;
}

/**
 * Replaces the content of a file's first `lines` physical lines with a filler byte, keeping every line
 * terminator: the tokenizer then sees one plain field per skipped line, so no quote or delimiter in a
 * title line can reach the table, while the line numbers and byte offsets it reports stay those of the
 * file. Lines end as the tokenizer ends them: LF, CRLF or CR.
 */
export class PreambleBlanker {
  private left: number;
  private afterCr = false;

  /** @param filler a byte that is none of the delimiter, quote, escape or comment bytes */
  constructor(
    lines: number,
    private readonly filler: number,
  ) {
    this.left = lines;
  }

  /** Whether every line to skip has been blanked (chunks then pass through untouched). */
  get done(): boolean {
    return this.left === 0;
  }

  /** The chunk with the preamble's bytes replaced (a copy when anything changed; `inPlace` to write into it). */
  apply(chunk: Uint8Array, inPlace = false): Uint8Array {
    if (this.left === 0 || chunk.length === 0) return chunk;
    const out = inPlace ? chunk : Uint8Array.prototype.slice.call(chunk);
    let i = 0;
    for (; i < out.length && this.left > 0; i++) {
      const c = out[i]!;
      if (c === CR) {
        this.left--;
        this.afterCr = true;
        continue;
      }
      if (c === LF) {
        if (!this.afterCr) this.left--;
        this.afterCr = false;
        continue;
      }
      this.afterCr = false;
      out[i] = this.filler;
    }
    return out;
  }
}

/** A byte to blank skipped lines with: a space unless the dialect uses it, else `_` or `.`. */
export function fillerByte(delimiter: number, quoting: QuotingBytes): number {
  const used = [delimiter, quoting.quote, quoting.escape, quoting.comment];
  return [0x20, 0x5f, 0x2e].find((b) => !used.includes(b))!;
}

const utf8 = new TextDecoder();

function fieldText(t: CsvTokenizer, f: number): string {
  const scratch = new Uint8Array(t.fieldEnd[f]! - t.fieldStart[f]!);
  return utf8.decode(scratch.subarray(0, copyField(t, f, scratch, 0)));
}

interface SampledRow {
  readonly line: number;
  readonly fields: number;
  readonly broken: boolean;
  /** Whether the row's first byte is `#` (a comment, when `#` is not a comment character yet). */
  readonly hash: boolean;
  /**
   * Whether it starts like a comment for sure: `#` then a space, a tab, another `#` or nothing (`# note`,
   * `##fileformat`), where `#chrom` may be a header's first name.
   */
  readonly remark: boolean;
}

function sampleRows(
  sample: Uint8Array,
  complete: boolean,
  delimiter: number,
  quoting: QuotingBytes,
  skipRows: number,
): SampledRow[] {
  const rows: SampledRow[] = [];
  const { quote, escape, comment } = quoting;
  const tokenizer = new CsvTokenizer({ delimiter, quote, escape, comment }, (t) => {
    for (let r = 0; r < t.rowCount && rows.length < SAMPLE_ROWS; r++) {
      if (t.rowLine[r]! <= skipRows) continue;
      rows.push({
        line: t.rowLine[r]!,
        fields: t.rowFieldCount[r]!,
        broken: t.rowBroken[r] !== 0,
        hash: t.buffer[t.rowStart[r]!] === HASH,
        remark:
          t.buffer[t.rowStart[r]!] === HASH && isRemarkStart(t.buffer, t.rowStart[r]! + 1, t.rowEnd[r]!),
      });
    }
  });
  const blanker = new PreambleBlanker(skipRows, fillerByte(delimiter, quoting));
  tokenizer.push(blanker.apply(sample));
  if (complete) tokenizer.end();
  return rows;
}

function isRemarkStart(b: Uint8Array, i: number, end: number): boolean {
  return i === end || b[i] === 0x20 || b[i] === 0x09 || b[i] === HASH;
}

/** The commonest field count of the rows (the larger on a tie) and how many rows have it. */
function modalCount(rows: readonly SampledRow[]): { fields: number; count: number } {
  const frequency = new Map<number, number>();
  for (const row of rows) if (!row.broken) frequency.set(row.fields, (frequency.get(row.fields) ?? 0) + 1);
  let fields = 0;
  let count = 0;
  for (const [f, n] of frequency) {
    if (n > count || (n === count && f > fields)) {
      fields = f;
      count = n;
    }
  }
  return { fields, count };
}

/**
 * The index of the header among the sampled rows: the first row with the modal field count (other than a
 * `# …` remark), when every row before it looks like a preamble (fewer fields than the table, or a `#`
 * line); else 0. A row with more fields than the table before it is never skipped: that is a table with
 * ragged rows, not a title.
 */
function headerIndex(rows: readonly SampledRow[], fields: number): number {
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (row.fields === fields && !row.broken && !row.remark) return i;
    if (!(row.hash || row.fields < fields)) return 0;
  }
  return 0;
}

/** Leading `#` rows, when a row that is not one follows them (a one-column file's preamble). */
function leadingHashRows(rows: readonly SampledRow[]): number {
  let i = 0;
  while (i < rows.length && rows[i]!.hash) i++;
  return i < rows.length ? i : 0;
}

/**
 * Finds how a CSV sample is laid out: its delimiter (unless given), how many physical lines precede the
 * header (unless given) and whether `#` marks comment lines (unless a comment character is given).
 *
 * For each candidate delimiter, the table is the rows with the commonest field count (more than one);
 * rows before the first such row are a preamble when each has fewer fields or starts with `#` (title
 * lines, a block of comments). The delimiter is then the candidate whose table rows most consistently
 * have that count, preferring more fields, then the order of {@link SNIFFED_DELIMITERS}; `,` when none has
 * two fields (a one-column file, whose leading `#` lines are its preamble). Quoting is honoured, so
 * delimiters inside quoted fields do not count. `#` becomes the comment character only when lines starting
 * with it also appear below the header and each is either a remark (`# …`, `##…`) or of another width
 * than the table: then they are not data (a `#x,1,2` row of the table's width is), and a line past the
 * sample that starts with `#` is taken for a comment too.
 *
 * @param sample the first bytes of the decoded input
 * @param complete whether the sample is the whole input (else its last, possibly cut, line is ignored)
 */
export function sniffLayout(
  sample: Uint8Array,
  complete: boolean,
  known: { readonly delimiter?: string; readonly skipRows?: number },
  quoting: QuotingBytes,
): Layout {
  const given = known.skipRows ?? 0;
  const candidates = known.delimiter === undefined ? SNIFFED_DELIMITERS : [known.delimiter];
  let best: { delimiter: string; rows: SampledRow[]; header: number; fields: number } | undefined;
  let bestScore = -1;
  for (const candidate of candidates) {
    const rows = sampleRows(sample, complete, candidate.charCodeAt(0), quoting, given);
    const { fields } = modalCount(rows);
    if (fields < 2 && known.delimiter === undefined) continue;
    const header = known.skipRows === undefined && fields >= 2 ? headerIndex(rows, fields) : 0;
    const consistent = rows.filter((r, i) => i >= header && r.fields === fields && !r.broken).length;
    // Consistency first (share of the rows in the table with the modal field count: a preamble counts
    // against a candidate, so that a table found without one wins), then width.
    const score = rows.length === 0 ? 0 : (consistent / rows.length) * 1e6 + Math.min(fields, 1e5);
    if (score > bestScore) {
      best = { delimiter: candidate, rows, header, fields };
      bestScore = score;
    }
  }
  if (!best) {
    const rows = sampleRows(sample, complete, 0x2c, quoting, given);
    const header = known.skipRows === undefined ? leadingHashRows(rows) : 0;
    best = { delimiter: known.delimiter ?? ',', rows, header, fields: 1 };
  }
  const { rows, header, fields } = best;
  const skipRows = known.skipRows ?? (header === 0 ? 0 : rows[header]!.line - 1);
  let comment = quoting.comment;
  if (comment === -1) {
    const below = rows.slice(header + 1).filter((r) => r.hash);
    if (below.length > 0 && below.every((r) => r.remark || r.fields !== fields)) comment = HASH;
  }
  return { delimiter: best.delimiter, skipRows, comment };
}

/**
 * Picks the delimiter of a CSV sample (see {@link sniffLayout}, which also finds a preamble above the
 * header): `,` for a one-column file.
 */
export function sniffDelimiter(sample: Uint8Array, complete: boolean): string {
  return sniffLayout(sample, complete, {}, { quote: 0x22, escape: 0x22, comment: -1 }).delimiter;
}

/** What {@link sniffHeader} reads the sample with. */
export interface HeaderSniffOptions extends QuotingBytes {
  readonly delimiter: number;
  readonly skipRows: number;
  readonly nullTokens: readonly Uint8Array[];
  /** Column names a schema gives: a first row that holds them all is the header, whatever the types. */
  readonly names?: readonly string[];
  /** Whether {@link names} may also be the lake names of the first row's values (a file joining a table). */
  readonly lakeNames?: boolean;
}

/**
 * Whether the first row of a sample (after `skipRows` lines) holds column names, decided as DuckDB does:
 * the first row is data when each of its values fits the type the rest of the sample gives its column,
 * and at least one of them is a value of a column that is not text (so it has that type too). A
 * row of text over text columns is therefore a header, like any row with a value that does not fit
 * (`id` over integers). An empty value (or a null token) fits any column and proves nothing, and repeated
 * or empty names do not count either way: the types decide. With no row after the first (a one-row
 * file) the row is data when one of its values is not text (`1,2`), a header otherwise (`a,b`).
 * Rows of another width than the first, or with broken quoting, are left out.
 */
export function sniffHeader(sample: Uint8Array, complete: boolean, options: HeaderSniffOptions): boolean {
  let first: { masks: Uint8Array; present: Uint8Array } | undefined;
  let masks = new Uint8Array(0);
  let seen = new Uint8Array(0);
  let broken = false;
  let named = false;
  const tokens = options.nullTokens;
  const tokenizer = new CsvTokenizer(
    { delimiter: options.delimiter, quote: options.quote, escape: options.escape, comment: options.comment },
    (t) => {
      const b = t.buffer;
      for (let r = 0; r < t.rowCount; r++) {
        if (t.rowLine[r]! <= options.skipRows) continue;
        const n = t.rowFieldCount[r]!;
        const f0 = t.rowFirstField[r]!;
        if (first === undefined) {
          broken = t.rowBroken[r] !== 0;
          if (options.names !== undefined && options.names.length > 0) {
            const values = new Set<string>();
            for (let c = 0; c < n; c++) values.add(fieldText(t, f0 + c));
            if (options.lakeNames) for (const name of lakeColumnNames([...values])) values.add(name);
            named = options.names.every((name) => values.has(name));
          }
          first = { masks: new Uint8Array(n), present: new Uint8Array(n) };
          for (let c = 0; c < n; c++) {
            const s = t.fieldStart[f0 + c]!;
            const e = t.fieldEnd[f0 + c]!;
            if (s === e || isNullToken(tokens, b, s, e)) continue;
            first.masks[c] = classify(b, s, e);
            first.present[c] = 1;
          }
          masks = new Uint8Array(n).fill(T_ANY);
          seen = new Uint8Array(n);
          continue;
        }
        if (n !== masks.length || t.rowBroken[r] !== 0) continue;
        for (let c = 0; c < n; c++) {
          const s = t.fieldStart[f0 + c]!;
          const e = t.fieldEnd[f0 + c]!;
          if (s === e || masks[c] === T_STRING || isNullToken(tokens, b, s, e)) continue;
          masks[c]! &= classify(b, s, e);
          seen[c] = 1;
        }
      }
    },
  );
  tokenizer.push(new PreambleBlanker(options.skipRows, fillerByte(options.delimiter, options)).apply(sample));
  if (complete) tokenizer.end();
  if (first === undefined || broken || named) return true;
  const rest = seen.some((s) => s === 1);
  let evidence = false;
  for (let c = 0; c < masks.length; c++) {
    if (first.present[c] === 0) continue;
    const value = first.masks[c]!;
    if (!rest) {
      if (narrowestType(value, true) !== 'string') evidence = true;
      continue;
    }
    const type = narrowestType(masks[c]!, seen[c] === 1);
    if (type === 'string') continue;
    if ((value & typeBit(type)) === 0) return true;
    evidence = true;
  }
  return !evidence;
}
