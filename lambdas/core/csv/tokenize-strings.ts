import { dialectBytes } from './dialect';
import { fieldText, rowText } from './fields';
import { CsvTokenizer } from './tokenizer';
import { brokenQuotingReason, type TokenizerOptions } from './tokens';

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
  const tokenizerOptions: TokenizerOptions = {
    delimiter: options.delimiter.charCodeAt(0),
    ...dialectBytes(options),
    keepBlankLines: options.keepBlankLines ?? false,
  };
  const tokenizer = new CsvTokenizer(tokenizerOptions, (t) => {
    for (let r = 0; r < t.rowCount; r++) {
      const line = t.rowLine[r]!;
      if (t.rowBroken[r] !== 0) {
        malformed.push({ line, reason: brokenQuotingReason(t.rowBroken[r]!), raw: rowText(t, r) });
        continue;
      }
      const fields: string[] = [];
      const first = t.rowFirstField[r]!;
      for (let f = first; f < first + t.rowFieldCount[r]!; f++) fields.push(fieldText(t, f));
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
