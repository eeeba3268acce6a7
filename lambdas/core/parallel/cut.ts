import { closeSync, openSync, readSync } from 'node:fs';
import { CsvTokenizer } from '../csv/tokenizer';
import { DEFAULT_QUOTE } from '../csv/tokens';
import type { RangeContext } from '../run/split-hooks';

/** How far past the middle a line break is looked for. */
const SEARCH_BYTES = 1024 * 1024;
const LF = 0x0a;
const CR = 0x0d;

/** Line breaks past the cut point tried as a row start, looking for the start of an ordinary row. */
const CANDIDATES = 256;
/** Rows after a candidate that must read as ordinary rows for it to be taken at once. */
const LOOKAHEAD_ROWS = 8;
/** Bytes after a candidate tokenized to judge it. */
const LOOKAHEAD_BYTES = 64 * 1024;

/** What judging a row start needs of a file's dialect. */
export interface CutDialect {
  readonly delimiter: number;
  /** The quote byte, or -1 when quoting is off (every line break then ends a row). @default `"` */
  readonly quote?: number;
  /** The byte escaping a quote inside a quoted field. @default the quote */
  readonly escape?: number;
  /** The comment byte, or -1. @default -1 */
  readonly comment?: number;
  /** Fields in an ordinary row (the header's). */
  readonly columns: number;
}

/**
 * Whether a row may start at `p` of `bytes`: just past a line terminator (LF, CRLF or a lone CR, as the
 * tokenizer ends rows). Never between the CR and LF of a CRLF; a CR that ends `bytes` is undecided
 * (false) unless `eof`.
 */
export function afterLineBreak(bytes: Uint8Array, p: number, eof: boolean): boolean {
  if (p < 1 || p > bytes.length) return false;
  const b = bytes[p - 1];
  if (b === LF) return true;
  if (b !== CR) return false;
  return p < bytes.length ? bytes[p] !== LF : eof;
}

/**
 * Where the first row starting at or after `at` most likely starts, judged from `bytes` alone (which hold
 * the bytes from some offset on; `bytes[at - 1]` is the byte before the point looked from): a SPECULATIVE
 * answer, since whether a line break lies inside a quoted field depends on every quote before it. With
 * quoting off, every line break ends a row and the answer is exact. Otherwise each line break past `at` is
 * tried in turn: the bytes after it are tokenized with the file's dialect (its quote and escape bytes), and
 * the first after which {@link LOOKAHEAD_ROWS} rows (or all the complete rows the look-ahead holds) have the
 * header's width and sound quoting is taken; a line break inside a quoted field reads the field's closing
 * quote as an opening one, and the rows after it come out ragged or broken. Failing that, the candidate
 * with the most such rows, else the first line break. A caller that must be exact checks the answer against
 * the tokenizer that read up to it (see `atRowStart`; lambdas/ranges checks every range's start against
 * the previous range's end).
 *
 * @param eof whether `bytes` end at the end of the file: then its end is a row start when no line break
 *   follows `at` (a range that owns no row)
 * @returns an index of `bytes`, or undefined when no line break past `at` is in `bytes` (read further)
 */
export function findRowStart(
  bytes: Uint8Array,
  at: number,
  dialect: CutDialect,
  eof: boolean,
): number | undefined {
  const quote = dialect.quote ?? DEFAULT_QUOTE;
  let first: number | undefined;
  let best: { at: number; score: number } | undefined;
  let p = Math.max(at, 1);
  for (let tries = 0; tries < CANDIDATES; tries++) {
    p = nextBreak(bytes, p, eof);
    if (p < 0) break;
    first ??= p;
    if (quote < 0) return p;
    const score = judge(bytes, p, dialect, quote);
    if (score === Infinity) return p;
    if (score > (best?.score ?? 0)) best = { at: p, score };
    p++;
  }
  if (best) return best.at;
  if (first !== undefined) return first;
  return eof ? bytes.length : undefined;
}

/** The first row start at or after `p` (see {@link afterLineBreak}), or -1. */
function nextBreak(bytes: Uint8Array, p: number, eof: boolean): number {
  for (let i = Math.max(p, 1); i <= bytes.length; i++) {
    const b = bytes[i - 1];
    if ((b === LF || b === CR) && afterLineBreak(bytes, i, eof)) return i;
  }
  return -1;
}

/**
 * How much the bytes from `p` look like rows: the count of ordinary rows before the first odd one
 * (blank lines aside), or Infinity when every complete row of the look-ahead (at least one) is ordinary.
 */
function judge(bytes: Uint8Array, p: number, dialect: CutDialect, quote: number): number {
  let good = 0;
  let bad = false;
  const tokenizer = new CsvTokenizer(
    {
      delimiter: dialect.delimiter,
      quote,
      escape: dialect.escape ?? quote,
      comment: dialect.comment ?? -1,
      keepBlankLines: true,
    },
    (t) => {
      for (let r = 0; r < t.rowCount && !bad && good < LOOKAHEAD_ROWS; r++) {
        const n = t.rowFieldCount[r]!;
        if (n === 1 && t.fieldEnd[t.rowFirstField[r]!] === t.fieldStart[t.rowFirstField[r]!]) continue;
        if (n === dialect.columns && t.rowBroken[r] === 0) good++;
        else bad = true;
      }
    },
  );
  try {
    tokenizer.push(bytes.subarray(p, Math.min(bytes.length, p + LOOKAHEAD_BYTES)));
  } catch {
    return good; // a limit of the tokenizer: not an ordinary row
  }
  return !bad && good > 0 ? Infinity : good;
}

/**
 * Where to cut a large, uncompressed local file: at the row start {@link findRowStart} finds at or after
 * `from` (its middle), within the next MiB. The split run checks the cut against its tokenizer and reads on
 * when it was inside a quoted field.
 *
 * @param quoting the file's quote and escape bytes (see `PassOptions`). @default `"`, doubled to escape
 */
export function findCut(
  path: string,
  size: number,
  from: number,
  context: RangeContext,
  quoting: { readonly quote: number; readonly escape: number } = {
    quote: DEFAULT_QUOTE,
    escape: DEFAULT_QUOTE,
  },
): number | undefined {
  const fd = openSync(path, 'r');
  try {
    const magic = Buffer.alloc(2);
    readSync(fd, magic, 0, 2, 0);
    if (magic[0] === 0x1f && magic[1] === 0x8b) return undefined; // gzip: no random access
    if (from < 1 || from >= size) return undefined;
    // From the byte before `from`, so that a line break just before it counts.
    const window = Buffer.alloc(Math.min(SEARCH_BYTES, size - from + 1));
    const bytes = window.subarray(0, readSync(fd, window, 0, window.length, from - 1));
    const eof = from - 1 + bytes.length >= size;
    const at = findRowStart(
      bytes,
      1,
      {
        delimiter: context.delimiter.charCodeAt(0),
        quote: quoting.quote,
        escape: quoting.escape,
        comment: context.comment,
        columns: context.headers.length,
      },
      eof,
    );
    if (at === undefined) return undefined;
    const cut = from - 1 + at;
    return cut >= size ? undefined : cut;
  } finally {
    closeSync(fd);
  }
}
