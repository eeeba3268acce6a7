import { growBytes } from '../grow';

/*
 * Avro's binary encoding of the values csv2lake writes, as small functions over a byte array and a
 * position (they return the position after what they wrote), so that hot loops keep `bytes` and `pos` in
 * locals. Callers make room first: a long takes at most 10 bytes, an int at most 5.
 */

const TWO_32 = 4294967296;

/** A growable byte buffer; hot loops write `bytes` directly and advance `pos` themselves. */
export class ByteBuffer {
  bytes: Uint8Array;
  pos = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }

  /** Makes room for `n` more bytes after `pos` (`bytes` may be replaced). */
  ensure(n: number): void {
    if (this.pos + n > this.bytes.length) this.bytes = growBytes(this.bytes, this.pos, this.pos + n);
  }

  /** Avro `long` of a safe integer. */
  long(n: number): void {
    this.ensure(10);
    this.pos = putLong(this.bytes, this.pos, n);
  }

  raw(data: Uint8Array): void {
    this.ensure(data.length);
    this.bytes.set(data, this.pos);
    this.pos += data.length;
  }

  /** Avro `string`/`bytes`: the length as a long, then the bytes. */
  string(data: Uint8Array): void {
    this.long(data.length);
    this.raw(data);
  }

  used(): Uint8Array {
    return this.bytes.subarray(0, this.pos);
  }
}

/** Avro `int` (zig-zag, then base-128 varint) of a 32-bit signed integer. */
export function putInt(b: Uint8Array, p: number, n: number): number {
  let z = ((n << 1) ^ (n >> 31)) >>> 0;
  while (z >= 0x80) {
    b[p++] = (z & 0x7f) | 0x80;
    z >>>= 7;
  }
  b[p++] = z;
  return p;
}

/** Beyond ±2^52 the zig-zag value (2|n| or 2|n|-1) is no longer exact in floating point. */
const TWO_52 = 4503599627370496;

/** Avro `long` of a safe integer (|n| <= 2^53 - 1). */
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
 * Avro `long` of any signed 64-bit value given as its low and high 32-bit words: zig-zag over the two
 * words, then 7 bits at a time. Exact over the whole range without a BigInt or a float division.
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

/** Avro `long` of a bigint in the signed 64-bit range. */
export function putLongBigInt(b: Uint8Array, p: number, value: bigint): number {
  const u = BigInt.asUintN(64, value);
  return putLongWords(b, p, Number(u & 0xffffffffn) | 0, Number(u >> 32n) | 0);
}
