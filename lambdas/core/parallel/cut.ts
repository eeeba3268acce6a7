import { closeSync, openSync, readSync } from 'node:fs';
import type { RangeContext } from '../run/split-hooks';

/** How far past the middle a line break is looked for. */
const SEARCH_BYTES = 1024 * 1024;
const LF = 0x0a;
const QUOTE = 0x22;

/** Line breaks past the middle tried as a cut, looking for the start of an ordinary row. */
const CANDIDATES = 256;

/**
 * Where to cut a large, uncompressed file: just past a line break after `from` (its middle). A line break inside a
 * quoted field would make the cut useless (the first pass then reads on), so the first line break is
 * preferred that is followed by a line like an ordinary row: no quote, one delimiter fewer than columns.
 */
export function findCut(path: string, size: number, from: number, context: RangeContext): number | undefined {
  const fd = openSync(path, 'r');
  try {
    const magic = Buffer.alloc(2);
    readSync(fd, magic, 0, 2, 0);
    if (magic[0] === 0x1f && magic[1] === 0x8b) return undefined; // gzip: no random access
    const middle = from;
    if (middle >= size) return undefined;
    const window = Buffer.alloc(Math.min(SEARCH_BYTES, size - middle));
    const bytes = window.subarray(0, readSync(fd, window, 0, window.length, middle));
    const delimiter = context.delimiter.charCodeAt(0);
    let first: number | undefined;
    let at = bytes.indexOf(LF);
    for (let tries = 0; at >= 0 && tries < CANDIDATES; tries++) {
      first ??= at;
      const next = bytes.indexOf(LF, at + 1);
      if (next < 0) break;
      let delimiters = 0;
      let quoted = false;
      for (let i = at + 1; i < next; i++) {
        if (bytes[i] === QUOTE) quoted = true;
        else if (bytes[i] === delimiter) delimiters++;
      }
      if (!quoted && delimiters === context.headers.length - 1) return middle + at + 1;
      at = next;
    }
    return first === undefined || middle + first + 1 >= size ? undefined : middle + first + 1;
  } finally {
    closeSync(fd);
  }
}
