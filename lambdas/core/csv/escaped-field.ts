import { FIELD_ESCAPED } from './tokens';

const LF = 0x0a;
const CR = 0x0d;

/**
 * What the last {@link scanEscapedField} passed besides where it stopped, until the next call (as
 * `structuralPositions` holds `indexStructural`'s positions): the slow path allocates nothing.
 */
export const escapedFieldTally = {
  /** Line ends passed (an escaped line break is still a line). */
  lines: 0,
  /** {@link FIELD_ESCAPED} if an escape byte was passed, else 0. */
  flags: 0,
};

/**
 * Scans a quoted field's bytes `buf[i, end)` in a dialect whose escape byte `esc` is not the quote (such
 * as `\\"`): returns the index of the closing quote, or where the scan must wait for more input (`end`,
 * or an escape byte that ends the chunk: the byte it escapes comes next; when `final` there is none, the
 * scan ends at `end` and the quote is left open). The tokenizer's slow path: out of its scan loop, so
 * that the default path (doubled quotes) stays as it was.
 */
export function scanEscapedField(
  buf: Uint8Array,
  i: number,
  end: number,
  quote: number,
  esc: number,
  final: boolean,
): number {
  let lines = 0;
  let flags = 0;
  while (i < end) {
    const c = buf[i]!;
    if (c === quote) break;
    if (c === esc) {
      if (i + 1 === end) {
        if (final) i = end;
        break;
      }
      const escaped = buf[i + 1]!;
      // After the escape byte an LF never ends a CRLF.
      if (escaped === LF || escaped === CR) lines++;
      flags = FIELD_ESCAPED;
      i += 2;
      continue;
    }
    if (c === LF) {
      if (buf[i - 1] !== CR) lines++;
    } else if (c === CR) {
      lines++;
    }
    i++;
  }
  escapedFieldTally.lines = lines;
  escapedFieldTally.flags = flags;
  return i;
}
