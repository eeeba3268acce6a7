import type { ByteBuffer } from '../bytes/byte-buffer';

/**
 * Encodes `values[0..n)` (each below 2^bitWidth, bitWidth 1..24) with Parquet's RLE / bit-packing hybrid,
 * without the length prefix: runs of 8 or more equal values as RLE runs, the rest bit-packed in groups of
 * 8 (the last group padded with zeros).
 */
export function encodeHybrid(values: Uint8Array | Int32Array, n: number, bitWidth: number, out: ByteBuffer): void {
  const valueBytes = (bitWidth + 7) >>> 3;
  let i = 0;
  while (i < n) {
    const v = values[i]!;
    let j = i + 1;
    while (j < n && values[j] === v) j++;
    if (j - i >= 8) {
      out.uvarint((j - i) << 1);
      out.ensure(valueBytes);
      for (let b = 0; b < valueBytes; b++) out.bytes[out.pos++] = (v >>> (8 * b)) & 0xff;
      i = j;
      continue;
    }
    // Bit-pack groups of 8 until a run of 8 equal values starts at a group boundary.
    const start = i;
    for (;;) {
      i += 8;
      if (i >= n) break;
      let k = i + 1;
      while (k < n && k - i < 8 && values[k] === values[i]) k++;
      if (k - i >= 8) break;
    }
    const end = Math.min(i, n);
    const groups = Math.ceil((end - start) / 8);
    out.uvarint((groups << 1) | 1);
    out.ensure(groups * bitWidth);
    const d = out.bytes;
    let p = out.pos;
    if (bitWidth === 1) {
      for (let g = 0; g < groups; g++) {
        let byte = 0;
        const base = start + g * 8;
        for (let b = 0; b < 8; b++) if (base + b < end && values[base + b] === 1) byte |= 1 << b;
        d[p++] = byte;
      }
    } else {
      let acc = 0;
      let bits = 0;
      const stop = start + groups * 8;
      for (let k = start; k < stop; k++) {
        acc |= (k < end ? values[k]! : 0) << bits;
        bits += bitWidth;
        while (bits >= 8) {
          d[p++] = acc & 0xff;
          acc >>>= 8;
          bits -= 8;
        }
      }
    }
    out.pos = p;
    i = end;
  }
}
