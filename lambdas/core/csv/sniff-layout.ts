import { fillerByte, PreambleBlanker, type QuotingBytes } from './dialect';
import { CsvTokenizer } from './tokenizer';

/** The delimiters csv2lake recognises without being told, in order of preference on a tie. */
export const SNIFFED_DELIMITERS = [',', '\t', ';', '|'] as const;

/** Rows of the sample the layout sniffer looks at: enough for a preamble of dozens of lines. */
const SAMPLE_ROWS = 256;
const HASH = 0x23;

/** Where the table starts and how its fields are separated, as {@link sniffLayout} finds them. */
export interface Layout {
  readonly delimiter: string;
  /** Physical lines before the header (title lines, a block of `#` lines). */
  readonly skipRows: number;
  /** The comment byte, or -1: the given one, or `#` when `#` lines also appear among the rows. */
  readonly comment: number;
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
