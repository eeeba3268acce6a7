import type { ByteBuffer } from '../bytes/byte-buffer';
import type { ColumnVector } from '../model/column-batch';
import { appendFixedLength } from './fixed-length';

/**
 * Appends a vector's values PLAIN to `out`, the open page's values; `booleans` is the count of boolean
 * values the page holds (PLAIN booleans are bit-packed across the whole page). Returns the new count.
 * `fixedLength` is a FIXED_LEN_BYTE_ARRAY column's bytes per value, else 0.
 */
export function appendPlain(v: ColumnVector, fixedLength: number, booleans: number, out: ByteBuffer): number {
  const count = v.count;
  switch (v.type) {
    case 'string':
      if (fixedLength > 0) appendFixedLength(v, fixedLength, out);
      else appendPlainStrings(v, out);
      break;
    case 'boolean': {
      // Least significant bit first, across the whole page.
      const a = v.i32;
      out.ensure((count >>> 3) + 2);
      // Worked out before the loop, as in appendPlainStrings.
      const total = booleans + count;
      out.pos = (total + 7) >>> 3;
      for (let k = 0; k < count; k++) {
        const bit = booleans + k;
        const at = bit >>> 3;
        if ((bit & 7) === 0) out.bytes[at] = 0;
        if (a[k] === 1) out.bytes[at]! |= 1 << (bit & 7);
      }
      return total;
    }
    case 'double':
      out.append(new Uint8Array(v.f64.buffer, v.f64.byteOffset, count * 8));
      break;
    case 'int64':
    case 'timestamp':
      out.append(new Uint8Array(v.i64.buffer, v.i64.byteOffset, count * 8));
      break;
    default:
      out.append(new Uint8Array(v.i32.buffer, v.i32.byteOffset, count * 4));
  }
  return booleans;
}

/** Values longer than this are copied with one `set` (a native copy pays for its call from about here). */
const SET_FROM_BYTES = 256;

/**
 * Appends a string vector's values PLAIN as BYTE_ARRAY: each value's length (4 bytes, little-endian),
 * then its bytes. The bytes go 4 at a time through the two buffers' DataViews, taken once per vector
 * (`copyBytes` takes them per value, behind a call for values over 8 bytes), the last word overlapping
 * the one before it rather than a byte loop for the rest.
 */
function appendPlainStrings(v: ColumnVector, out: ByteBuffer): void {
  const count = v.count;
  const bytes = v.bytes;
  const offsets = v.offsets;
  const size = offsets[count]! - offsets[0]! + 4 * count;
  out.ensure(size);
  const d = out.bytes;
  const to = out.view.of(d);
  const from = v.bytesView.of(bytes);
  let p = out.pos;
  // Set before the loop: the first call's loop runs in optimized (on-stack replacement) code, which would
  // reach a store after it with no type feedback, and leave it for the interpreter, on every call.
  out.pos = p + size;
  for (let k = 0; k < count; k++) {
    const s = offsets[k]!;
    const n = offsets[k + 1]! - s;
    to.setInt32(p, n, true);
    p += 4;
    if (n < 4) {
      for (let j = 0; j < n; j++) d[p + j] = bytes[s + j]!;
    } else if (n <= SET_FROM_BYTES) {
      const last = n - 4;
      for (let j = 0; j < last; j += 4) to.setInt32(p + j, from.getInt32(s + j, true), true);
      to.setInt32(p + last, from.getInt32(s + last, true), true);
    } else {
      d.set(bytes.subarray(s, s + n), p);
    }
    p += n;
  }
}
