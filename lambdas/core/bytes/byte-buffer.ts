/*
 * The one growable byte buffer of the writers, and the varints they write into it. Avro's `int` and
 * `long` and Thrift compact's i32 and i64 are the same zig-zag varints; Thrift's lengths and Parquet's
 * RLE headers are unsigned varints. The `put*` functions work on a byte array and a position (they return
 * the position after what they wrote), so that hot loops keep `bytes` and `pos` in locals; callers make
 * room first: a long takes at most 10 bytes, an int at most 5.
 */

import { ByteView } from './byte-copy';

const TWO_32 = 4294967296;
/** Beyond ±2^52 the zig-zag value (2|n| or 2|n|-1) is no longer exact in floating point. */
const TWO_52 = 4503599627370496;

/**
 * Buffers grown past this by an outsized value (batches, pages and blocks stay well below it) are dropped
 * once used rather than kept for reuse: a few such values in different columns must not each keep theirs.
 */
export const RETAINED_BYTES = 16 << 20;

/**
 * A copy of `bytes` large enough for `needed` bytes (doubling, or just `needed` when that is more than
 * double: one outsized value must not take twice its size), keeping its first `used` bytes; `bytes`
 * itself when it is large enough.
 */
export function growBytes(bytes: Uint8Array, used: number, needed: number): Uint8Array {
  if (needed <= bytes.length) return bytes;
  const size = Math.max(bytes.length * 2, 64, needed);
  const next = new Uint8Array(size);
  next.set(bytes.subarray(0, used));
  return next;
}

/** A growable byte buffer: `bytes[0, pos)` is what was written; hot loops write `bytes` and advance `pos` themselves. */
export class ByteBuffer {
  bytes: Uint8Array;
  pos = 0;
  /** A view of `bytes` for word-wise copies (see `copyBytes`). */
  readonly view = new ByteView();

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }

  /** Makes room for `n` more bytes after `pos` (`bytes` may be replaced). */
  ensure(n: number): void {
    if (this.pos + n > this.bytes.length) this.bytes = growBytes(this.bytes, this.pos, this.pos + n);
  }

  byte(b: number): void {
    this.ensure(1);
    this.bytes[this.pos++] = b;
  }

  append(data: Uint8Array): void {
    this.ensure(data.length);
    this.bytes.set(data, this.pos);
    this.pos += data.length;
  }

  /** An unsigned varint (LEB128) of a safe integer >= 0. */
  uvarint(n: number): void {
    this.ensure(10);
    this.pos = putUvarint(this.bytes, this.pos, n);
  }

  /** A zig-zag varint of a safe integer: Avro `long`, Thrift i64. */
  long(n: number): void {
    this.ensure(10);
    this.pos = putLong(this.bytes, this.pos, n);
  }

  /** What was written: a view, valid until the buffer is written again. */
  used(): Uint8Array {
    return this.bytes.subarray(0, this.pos);
  }
}

/** An unsigned varint (LEB128) of a safe integer >= 0. */
export function putUvarint(b: Uint8Array, p: number, n: number): number {
  while (n >= 0x80) {
    b[p++] = (n & 0x7f) | 0x80;
    n = n >= TWO_32 ? Math.floor(n / 128) : n >>> 7;
  }
  b[p++] = n;
  return p;
}

/** A zig-zag varint of a 32-bit signed integer: Avro `int`, Thrift i32. */
export function putInt(b: Uint8Array, p: number, n: number): number {
  let z = ((n << 1) ^ (n >> 31)) >>> 0;
  while (z >= 0x80) {
    b[p++] = (z & 0x7f) | 0x80;
    z >>>= 7;
  }
  b[p++] = z;
  return p;
}

/** A zig-zag varint of a safe integer (|n| <= 2^53 - 1): Avro `long`, Thrift i64. */
export function putLong(b: Uint8Array, p: number, n: number): number {
  if (n >= TWO_52 || n < -TWO_52) {
    const hi = Math.floor(n / TWO_32);
    return putLongWords(b, p, (n - hi * TWO_32) | 0, hi | 0);
  }
  // Zig-zag in floating point: exact below 2^53, which 2|n| is.
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  while (z >= 0x80) {
    b[p++] = (z & 0x7f) | 0x80;
    z = z >= TWO_32 ? Math.floor(z / 128) : z >>> 7;
  }
  b[p++] = z;
  return p;
}

/**
 * A zig-zag varint of any signed 64-bit value given as its low and high 32-bit words: zig-zag over the
 * two words, then 7 bits at a time. Exact over the whole range without a BigInt or a float division.
 */
export function putLongWords(b: Uint8Array, p: number, lo: number, hi: number): number {
  const sign = hi >> 31;
  let zlo = ((lo << 1) ^ sign) >>> 0;
  let zhi = (((hi << 1) | (lo >>> 31)) ^ sign) >>> 0;
  while (zhi !== 0) {
    b[p++] = (zlo & 0x7f) | 0x80;
    zlo = ((zlo >>> 7) | (zhi << 25)) >>> 0;
    zhi >>>= 7;
  }
  while (zlo >= 0x80) {
    b[p++] = (zlo & 0x7f) | 0x80;
    zlo >>>= 7;
  }
  b[p++] = zlo;
  return p;
}

/** A zig-zag varint of a bigint in the signed 64-bit range. */
export function putLongBigInt(b: Uint8Array, p: number, value: bigint): number {
  const u = BigInt.asUintN(64, value);
  return putLongWords(b, p, Number(u & 0xffffffffn) | 0, Number(u >> 32n) | 0);
}
