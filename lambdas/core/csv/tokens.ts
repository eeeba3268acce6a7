import { CONVERT_DEFAULTS } from '../model/defaults';

/*
 * What a tokenizer is told (its options) and what it tells about each field and row (flags, broken
 * quoting), shared by the tokenizer, its row index and the readers of its rows.
 */

/** The quote byte when none is given (RFC 4180's). */
export const DEFAULT_QUOTE = CONVERT_DEFAULTS.quote.charCodeAt(0);

/** Field flag: the field was quoted. */
export const FIELD_QUOTED = 1;
/**
 * Field flag: the quoted field holds escape sequences that `copyField` must undo: doubled quotes
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
