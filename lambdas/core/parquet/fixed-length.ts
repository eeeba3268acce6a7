import type { ByteBuffer } from '../bytes/byte-buffer';
import type { ColumnVector } from '../model/column-batch';
import { putSignExtended } from '../model/decimal';

/**
 * Appends a bytes vector's values PLAIN as FIXED_LEN_BYTE_ARRAY(`width`): each value (a decimal's fewest
 * two's complement bytes, see `unscaledBytes`) sign-extended to `width` bytes, with no length before it.
 */
export function appendFixedLength(v: ColumnVector, width: number, out: ByteBuffer): void {
  const count = v.count;
  const bytes = v.bytes;
  const offsets = v.offsets;
  out.ensure(width * count);
  const d = out.bytes;
  let p = out.pos;
  for (let k = 0; k < count; k++) p = putSignExtended(bytes, offsets[k]!, offsets[k + 1]!, width, d, p);
  out.pos = p;
}
