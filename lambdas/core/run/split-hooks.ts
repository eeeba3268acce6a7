import type { RejectedRow } from '../csv/rejects';
import type { CsvTokenizer } from '../csv/tokenizer';
import type { ColumnType } from '../model/schema';

/*
 * The seam between a pass over a whole file and the other thread that may convert the file's second part
 * (see parallel/): what the first pass hands over, what it gets back, and the hooks it calls. Defined
 * here, on the floor that calls them, so that run/ never imports parallel/.
 */

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
 * How the first pass splits a file with another thread (see split-run.ts): `start` is called once the
 * type guess is made; the scan's tokenizer is put in `holder` (for the check at the split point); `finish`
 * gives the results of the file's other parts, in file order, each with the lines before it, when the split
 * was kept, or undefined when the first pass read the whole file after all.
 */
export interface SplitHooks {
  start(context: RangeContext): void;
  readonly holder: { tokenizer?: CsvTokenizer };
  finish(): Promise<readonly { result: RangeResult; lineOffset: number }[] | undefined>;
}
