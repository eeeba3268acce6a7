import { ByteView, copyBytes } from '../bytes/byte-copy';
import type { CsvTokenizer } from './tokenizer';
import { FIELD_ESCAPED } from './tokens';

/*
 * Reading the rows a tokenizer hands over: a field's value bytes (escapes undone), as text, a row's raw
 * text, and whether a row is a blank line.
 */

const utf8 = new TextDecoder();

/**
 * Copies field `f` of the tokenizer's current batch into `target` at `at`, undoing its escapes (a doubled
 * quote is one quote; with another escape byte, the byte after it is itself); returns the end offset.
 * `target` must have room for `fieldEnd - fieldStart` bytes; `targetView` keeps its view (see
 * `copyBytes`). The one place a value's bytes are decided: writers take their lengths from what it wrote.
 */
export function copyField(
  t: CsvTokenizer,
  f: number,
  target: Uint8Array,
  at: number,
  targetView: ByteView,
): number {
  const buf = t.buffer;
  const start = t.fieldStart[f]!;
  const end = t.fieldEnd[f]!;
  if ((t.fieldFlags[f]! & FIELD_ESCAPED) === 0) {
    copyBytes(buf, t.bufferView, start, end, target, targetView, at);
    return at + end - start;
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

/** Field `f` of the current batch as text (escapes undone). */
export function fieldText(t: CsvTokenizer, f: number): string {
  const scratch = new Uint8Array(t.fieldEnd[f]! - t.fieldStart[f]!);
  return utf8.decode(scratch.subarray(0, copyField(t, f, scratch, 0, new ByteView())));
}

/** Row `r` of the current batch as it is in the file (line terminator excluded), as text. */
export function rowText(t: CsvTokenizer, r: number): string {
  return utf8.decode(t.buffer.subarray(t.rowStart[r]!, t.rowEnd[r]!));
}

/** Whether row `r` is a blank line (handed over with `keepBlankLines`): one empty unquoted field. */
export function isBlank(t: CsvTokenizer, r: number): boolean {
  const f = t.rowFirstField[r]!;
  return (
    t.rowFieldCount[r] === 1 &&
    t.fieldStart[f] === t.fieldEnd[f] &&
    t.fieldFlags[f] === 0 &&
    t.rowBroken[r] === 0
  );
}
