import { ByteBuffer } from '../bytes/byte-buffer';

/**
 * Encodes `values[0..n)` (each below 2^bitWidth, bitWidth 1..24) with Parquet's RLE / bit-packing hybrid,
 * without the length prefix: runs of 8 or more equal values as RLE runs, the rest bit-packed in groups of
 * 8 (the last group padded with zeros).
 */
export function encodeHybrid(values: Int32Array, n: number, bitWidth: number, out: ByteBuffer): void {
  let i = 0;
  while (i < n) {
    const v = values[i]!;
    let j = i + 1;
    while (j < n && values[j] === v) j++;
    if (j - i >= 8) {
      putRun(v, j - i, bitWidth, out);
      i = j;
      continue;
    }
    // Bit-pack groups of 8 until a run of 8 equal values starts at a group boundary (the second value
    // decides most of them).
    const start = i;
    for (;;) {
      i += 8;
      if (i >= n) break;
      const x = values[i]!;
      if (i + 8 > n || values[i + 1] !== x) continue;
      let k = i + 2;
      while (k < i + 8 && values[k] === x) k++;
      if (k === i + 8) break;
    }
    const end = Math.min(i, n);
    const groups = (end - start + 7) >>> 3;
    out.uvarint((groups << 1) | 1);
    out.ensure(groups * bitWidth);
    out.pos = packGroups(values, start, end, bitWidth, out.bytes, out.pos);
    i = end;
  }
}

/**
 * Definition levels of `n` rows that all have a value, as {@link encodeHybrid} encodes `n` ones at bit
 * width 1 (with no array to scan): one RLE run, or one bit-packed group under 8 rows.
 */
export function encodeAllValid(n: number, out: ByteBuffer): void {
  if (n >= 8) putRun(1, n, 1, out);
  else if (n > 0) {
    out.ensure(2);
    out.bytes[out.pos++] = (1 << 1) | 1;
    out.bytes[out.pos++] = (1 << n) - 1;
  }
}

/** An RLE run: its header, then the value in the fewest whole bytes that hold `bitWidth` bits. */
function putRun(v: number, length: number, bitWidth: number, out: ByteBuffer): void {
  const valueBytes = (bitWidth + 7) >>> 3;
  out.uvarint(length << 1);
  out.ensure(valueBytes);
  for (let b = 0; b < valueBytes; b++) out.bytes[out.pos++] = (v >>> (8 * b)) & 0xff;
}

/**
 * Bit-packs `values[start, end)` into `d` from `p` in groups of 8 (the last one padded with zeros),
 * `bitWidth` bits each, least significant first; returns the end. Whole groups of the widths a small
 * dictionary and definition levels take are packed without a per-value check (2-3 times faster).
 */
function packGroups(
  values: Int32Array,
  start: number,
  end: number,
  bitWidth: number,
  d: Uint8Array,
  p: number,
): number {
  const full = start + ((end - start) & ~7);
  let k = start;
  if (bitWidth === 8) {
    for (; k < full; k++) d[p++] = values[k]!;
  } else if (bitWidth === 1) {
    for (; k < full; k += 8)
      d[p++] =
        values[k]! |
        (values[k + 1]! << 1) |
        (values[k + 2]! << 2) |
        (values[k + 3]! << 3) |
        (values[k + 4]! << 4) |
        (values[k + 5]! << 5) |
        (values[k + 6]! << 6) |
        (values[k + 7]! << 7);
  } else if (bitWidth <= 4) {
    // A group is at most 32 bits: one word, written out byte by byte.
    for (; k < full; k += 8) {
      let w = 0;
      for (let b = 0; b < 8; b++) w |= values[k + b]! << (b * bitWidth);
      for (let b = 0; b < bitWidth; b++) d[p++] = (w >>> (8 * b)) & 0xff;
    }
  } else {
    p = packBits(values, k, full, full, bitWidth, d, p);
    k = full;
  }
  return k < end ? packBits(values, k, end, k + 8, bitWidth, d, p) : p;
}

/** Bit-packs `values[k, stop)` (zeros from `end` on) into `d` from `p` through an accumulator; returns the end. */
function packBits(
  values: Int32Array,
  k: number,
  end: number,
  stop: number,
  bitWidth: number,
  d: Uint8Array,
  p: number,
): number {
  // bitWidth <= 24 and fewer than 8 bits pending: the accumulator never passes 31 bits.
  let acc = 0;
  let bits = 0;
  for (; k < stop; k++) {
    acc |= (k < end ? values[k]! : 0) << bits;
    bits += bitWidth;
    while (bits >= 8) {
      d[p++] = acc & 0xff;
      acc >>>= 8;
      bits -= 8;
    }
  }
  return p;
}

/**
 * Runs every path of {@link encodeHybrid} once, on a few values, as the module loads. V8 compiles a
 * function with the type feedback its runs have gathered, and throws that code away when it reaches a
 * path none of them took. The bit widths came one at a time, column after column of the first row group,
 * and encodeHybrid was compiled 8 times over the bench file (`--single-threaded --trace-opt`).
 */
function runEveryPath(): void {
  // A run of 8 (RLE), then 13 mixed values: one whole bit-packed group and a partial one.
  const values = Int32Array.from({ length: 21 }, (_, i) => (i < 8 ? 0 : i & 1));
  const out = new ByteBuffer(8);
  // 8 rounds: V8 gathers no feedback for a function until it has been called 8 times.
  for (let round = 0; round < 8; round++)
    for (const bitWidth of [1, 3, 8, 13]) encodeHybrid(values, values.length, bitWidth, out);
}
runEveryPath();
