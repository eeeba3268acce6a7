import { isUtf8 } from 'node:buffer';
import type { TextEncoding } from '../model/options';

/** Raised by `decodeInput` at the first byte that is not UTF-8; the caller adds the line and column. */
export class InvalidUtf8Error extends Error {
  constructor(readonly byteOffset: number) {
    super(`invalid UTF-8 at byte offset ${byteOffset}`);
    this.name = 'InvalidUtf8Error';
  }
}

/** Length of the incomplete UTF-8 sequence at the end of `chunk` (0 when it ends on a boundary). */
function incompleteTail(chunk: Uint8Array): number {
  const n = chunk.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const c = chunk[n - back]!;
    if ((c & 0xc0) === 0x80) continue; // continuation byte: look further back
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/**
 * Passes the chunks on while they are valid UTF-8 (a sequence cut between two chunks is joined); throws
 * {@link InvalidUtf8Error} at the first bad byte, after yielding everything before it.
 */
export async function* validateUtf8(source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  let carry: Uint8Array | undefined;
  let offset = 0;
  for await (const input of source) {
    let chunk = input;
    if (carry) {
      chunk = Buffer.concat([carry, input]);
      carry = undefined;
    }
    const tail = incompleteTail(chunk);
    const body = tail > 0 ? chunk.subarray(0, chunk.length - tail) : chunk;
    if (!isUtf8(body)) {
      const bad = firstInvalidLinear(body);
      if (bad > 0) yield body.subarray(0, bad);
      throw new InvalidUtf8Error(offset + bad);
    }
    if (tail > 0) carry = Uint8Array.prototype.slice.call(chunk.subarray(chunk.length - tail));
    offset += body.length;
    if (body.length > 0) yield body;
  }
  if (carry) throw new InvalidUtf8Error(offset);
}

/** The offset of the first invalid UTF-8 sequence in `b` (which is known to be invalid). */
function firstInvalidLinear(b: Uint8Array): number {
  let i = 0;
  const n = b.length;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    if (i + need >= n) return i;
    let cp = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const cc = b[i + k];
      if (cc === undefined || (cc & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return n;
}

/** Latin-1 or Windows-1252 chunks as UTF-8. */
export async function* transcode(
  source: AsyncIterable<Uint8Array>,
  encoding: TextEncoding,
): AsyncIterable<Uint8Array> {
  if (encoding === 'latin1') {
    for await (const chunk of source) {
      yield Buffer.from(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length).toString('latin1'), 'utf8');
    }
    return;
  }
  // Windows-1252 is single-byte: chunks can be decoded independently.
  const decoder = new TextDecoder('windows-1252');
  for await (const chunk of source) yield Buffer.from(decoder.decode(chunk), 'utf8');
}
