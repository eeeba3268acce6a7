import { afterLineBreak, findRowStart, type CutDialect } from '../core/parallel/cut';
import type { CsvTokenizer } from '../core/csv/tokenizer';
import type { RangeReader } from './range-reader';

/*
 * THE row-boundary rule of a range [s, e): it owns the rows that START in it. Its conversion begins at the
 * first row start at or after s and reads past e to finish its last row: it ends at the first row start at
 * or after e that its own tokenizer reaches (the tokenizer then ends a row exactly there). Row starts are
 * the offsets just past a line terminator (LF, CRLF, lone CR) outside quoted fields. The start is found by
 * a speculative scan (findRowStart, lambdas/core/parallel/cut.ts); the end by a tokenizer that read every
 * byte from that start, hence exact whenever the start was. The join checks every range's start against
 * the end of the range before it (range 0 starts at 0, exactly): where they differ, that range is converted
 * again from the end before it, now known exact. So every row is owned by exactly one range, whatever the
 * cuts and the speculation.
 */

/** Bytes read at a time while looking for a row start. */
const SEARCH_STEP = 1 << 20;

/**
 * The first row start at or after `s` (> 0), speculatively (see {@link findRowStart}): the object's size
 * when no row starts at or after `s`.
 */
export async function speculativeStart(reader: RangeReader, s: number, dialect: CutDialect): Promise<number> {
  // From the byte before s: a line break just before s makes s itself a row start.
  const from = s - 1;
  const held: Uint8Array[] = [];
  let length = 0;
  for (let to = Math.min(reader.size, from + SEARCH_STEP); ; to = Math.min(reader.size, to + SEARCH_STEP)) {
    for await (const chunk of reader.read(from + length, { to })) {
      held.push(chunk.slice());
      length += chunk.length;
    }
    const eof = from + length >= reader.size;
    const bytes = Buffer.concat(held, length);
    const at = findRowStart(bytes, 1, dialect, eof);
    if (at !== undefined) return from + at;
    if (eof) return reader.size;
  }
}

/** Where a range's conversion ended: set once its chunks are done. */
export interface RangeEnd {
  end?: number;
}

/**
 * The chunks of a range from `start` (a row start) to its end boundary: up to `e`, then, unless the
 * tokenizer in `holder` is at a row start just past a line terminator there, on to each next line terminator
 * until it is (or the object ends). Checked only just past a terminator byte: the decoder holds back the
 * bytes of a multi-byte character cut by a chunk, and never a terminator, so the tokenizer has then seen
 * every byte yielded. `found.end` is set to the boundary. A range with `start >= e` yields nothing (it
 * owns no row: its end is its start).
 */
export async function* boundedChunks(
  source: AsyncIterable<Uint8Array>,
  start: number,
  e: number,
  holder: { tokenizer?: CsvTokenizer },
  found: RangeEnd,
): AsyncGenerator<Uint8Array> {
  if (start >= e) {
    found.end = start;
    return;
  }
  let at = start;
  /** The last byte yielded, and whether a byte follows it (to tell a CR from a CRLF's). */
  let last: Uint8Array = new Uint8Array(0);
  const atBoundary = (next: Uint8Array | undefined, eof: boolean): boolean => {
    const pair =
      next && next.length > 0 ? Uint8Array.of(last[last.length - 1]!, next[0]!) : last.subarray(-1);
    return (
      last.length > 0 &&
      afterLineBreak(pair, 1, eof || next !== undefined) &&
      holder.tokenizer?.atRowStart === true
    );
  };
  let pending: Uint8Array | undefined;
  const it = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      if (!pending || pending.length === 0) {
        const next = await it.next();
        if (next.done) break;
        pending = next.value;
        if (at >= e && last.length > 0 && last[last.length - 1] === 0x0d && atBoundary(pending, false)) break;
      }
      let cut: number;
      if (at < e) cut = Math.min(pending.length, e - at);
      else {
        // Past e: up to and including the next line terminator.
        let i = 0;
        while (i < pending.length && pending[i] !== 0x0a && pending[i] !== 0x0d) i++;
        cut = Math.min(pending.length, i + 1);
      }
      const piece = pending.subarray(0, cut);
      pending = pending.subarray(cut);
      yield piece;
      last = piece;
      at += cut;
      if (at < e) continue;
      const term = last[last.length - 1];
      if (term !== 0x0a && term !== 0x0d) continue;
      // A CR at the end of what is held: the next byte decides (above, once it is read).
      if (term === 0x0d && pending.length === 0) continue;
      if (atBoundary(pending, false)) break;
    }
  } finally {
    await it.return?.();
  }
  found.end = at;
}
