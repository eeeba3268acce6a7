import type { ColumnVector } from '../model/column-batch';
import { compareSigned, decimalShape, putSignExtended } from '../model/decimal';
import type { ColumnType } from '../model/schema';
import { fixedLengthOf } from './format';

/*
 * A column chunk's statistics (null count, min and max) as the footer gives them: bounds in the column's
 * own representation while the chunk is written, PLAIN-encoded at the end, long strings truncated.
 */

/**
 * String bounds longer than this many bytes are truncated in the statistics (min to a prefix, max to a
 * prefix whose last character is incremented), flagged as inexact.
 */
const MAX_STRING_STAT = 64;
/**
 * Bytes of a string bound kept while a chunk is written: more than MAX_STRING_STAT, so that a kept
 * prefix is known to be truncated, and enough to find a character boundary at MAX_STRING_STAT.
 */
const KEPT_STAT_BYTES = MAX_STRING_STAT + 8;

/** Flips an int32's sign bit: signed order of flipped words is the unsigned order of the words. */
const TOP_BIT = -0x80000000;

/** Unsigned lexicographic comparison of two byte ranges. */
function compareBytes(a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number, be: number): number {
  const n = Math.min(ae - as, be - bs);
  for (let k = 0; k < n; k++) {
    const d = a[as + k]! - b[bs + k]!;
    if (d !== 0) return d;
  }
  return ae - as - (be - bs);
}

/** Min/max/null count of one column chunk, kept in the column's own representation. */
export class ChunkStatistics {
  nulls = 0;
  values = 0;
  minNumber = Infinity;
  maxNumber = -Infinity;
  minLo = 0;
  minHi = 0;
  maxLo = 0;
  maxHi = 0;
  minBytes: Uint8Array | undefined;
  maxBytes: Uint8Array | undefined;

  /**
   * How bounds are kept: the column's type, a decimal's as its int64 unscaled values (their order is the
   * decimals'), or `fixed` for a decimal of more than 18 digits: its values' fewest two's complement
   * bytes, compared signed, the bounds sign-extended to the FIXED_LEN_BYTE_ARRAY's {@link width} (the
   * order DECIMAL's statistics take: signed).
   */
  private readonly type: ColumnType | 'fixed';
  /** The least and the greatest string of the batch addStrings went through last (their indices). */
  private minK = 0;
  private maxK = 0;
  /** A `fixed` column's bytes per value. */
  private readonly width: number = 0;

  constructor(type: ColumnType) {
    // The width as the footer and the pages take it (fixedLengthOf); a shorter decimal is an INT64.
    this.width = fixedLengthOf(type);
    this.type = this.width > 0 ? 'fixed' : decimalShape(type) ? 'int64' : type;
  }

  add(v: ColumnVector): void {
    const count = v.count;
    this.nulls += v.length - count;
    if (count === 0) return;
    const first = this.values === 0;
    this.values += count;
    // One method per representation, each with its own loop: V8 compiles each with the type feedback of
    // its own columns. One loop per case in here, it compiled this method for the first column's type,
    // threw it away at the next column's, and compiled it again, 11 times over a file (--trace-deopt).
    switch (this.type) {
      case 'boolean':
      case 'int32':
      case 'date':
        this.addNumbers(v.i32, count);
        break;
      case 'double':
        this.addNumbers(v.f64, count);
        break;
      case 'int64':
      case 'timestamp':
        this.addInt64(v.i64, count, first);
        break;
      case 'fixed':
        this.addSigned(v.bytes, v.offsets, count);
        break;
      default: {
        // The kept bounds are updated here, not at the end of addStrings (see addInt64).
        const { bytes, offsets } = v;
        this.addStrings(bytes, offsets, count);
        this.keepMin(bytes, offsets[this.minK]!, offsets[this.minK + 1]!);
        this.keepMax(bytes, offsets[this.maxK]!, offsets[this.maxK + 1]!);
      }
    }
  }

  /** The bounds of a number vector's first `count` values into the chunk's. */
  private addNumbers(a: Int32Array | Float64Array, count: number): void {
    // NaN never compares below or above: doubles' bounds ignore it. Stored as they move (see addInt64).
    let min = this.minNumber;
    let max = this.maxNumber;
    for (let k = 0; k < count; k++) {
      const x = a[k]!;
      if (x < min) this.minNumber = min = x;
      if (x > max) this.maxNumber = max = x;
    }
  }

  /** The bounds of an int64 vector's first `count` values (two words each) into the chunk's. */
  private addInt64(w: Int32Array, count: number, first: boolean): void {
    let k0 = 0;
    if (first) {
      this.minLo = this.maxLo = w[0]!;
      this.minHi = this.maxHi = w[1]!;
      k0 = 1;
    }
    // The bounds in locals, low words with their top bit flipped, so that a signed compare orders them as
    // unsigned words: every value stays a 32-bit integer (with `>>> 0`, the first low word from 2^31 up
    // cost V8 the loop's code, "lost precision"). Stored as they move, not after the loop: the first
    // call's loop runs in on-stack-replaced code, which would reach the stores with no type feedback and
    // leave them to the interpreter, on every call (60 deoptimizations over the bench file).
    let minLo = this.minLo ^ TOP_BIT;
    let minHi = this.minHi;
    let maxLo = this.maxLo ^ TOP_BIT;
    let maxHi = this.maxHi;
    for (let k = k0; k < count; k++) {
      const lo = w[2 * k]! ^ TOP_BIT;
      const hi = w[2 * k + 1]!;
      if (hi < minHi || (hi === minHi && lo < minLo)) {
        this.minHi = minHi = hi;
        minLo = lo;
        this.minLo = lo ^ TOP_BIT;
      }
      if (hi > maxHi || (hi === maxHi && lo > maxLo)) {
        this.maxHi = maxHi = hi;
        maxLo = lo;
        this.maxLo = lo ^ TOP_BIT;
      }
    }
  }

  /** The bounds of a decimal bytes vector's first `count` values into the chunk's (signed order). */
  private addSigned(bytes: Uint8Array, offsets: Int32Array, count: number): void {
    let minK = 0;
    let maxK = 0;
    for (let k = 1; k < count; k++) {
      const s = offsets[k]!;
      const e = offsets[k + 1]!;
      if (compareSigned(bytes, s, e, bytes, offsets[minK]!, offsets[minK + 1]!) < 0) minK = k;
      if (compareSigned(bytes, s, e, bytes, offsets[maxK]!, offsets[maxK + 1]!) > 0) maxK = k;
    }
    const min = this.minBytes;
    const max = this.maxBytes;
    const [ms, me, xs, xe] = [offsets[minK]!, offsets[minK + 1]!, offsets[maxK]!, offsets[maxK + 1]!];
    if (!min || compareSigned(bytes, ms, me, min, 0, min.length) < 0) this.minBytes = bytes.slice(ms, me);
    if (!max || compareSigned(bytes, xs, xe, max, 0, max.length) > 0) this.maxBytes = bytes.slice(xs, xe);
  }

  /**
   * As {@link add}, for a string vector whose values are all entries of the chunk's dictionary, `from`
   * to `to` of them new: a value already in the dictionary was seen before and cannot move the bounds,
   * so only the new entries are compared (`bytes` holds entry i at `starts[i]`, `lengths[i]` long).
   */
  addEntries(
    v: ColumnVector,
    bytes: Uint8Array,
    starts: Int32Array,
    lengths: Int32Array,
    from: number,
    to: number,
  ): void {
    const count = v.count;
    this.nulls += v.length - count;
    if (count === 0) return;
    this.values += count;
    for (let i = from; i < to; i++) {
      const s = starts[i]!;
      this.keepMin(bytes, s, s + lengths[i]!);
      this.keepMax(bytes, s, s + lengths[i]!);
    }
  }

  /**
   * The least and the greatest of a string vector's first `count` values (`bytes`, `offsets`), as
   * {@link minK} and {@link maxK}: stored as they move (see addInt64), kept by the caller.
   */
  private addStrings(bytes: Uint8Array, offsets: Int32Array, count: number): void {
    // The first byte decides most comparisons (an empty string counts as -1, below every byte).
    let minK = (this.minK = 0);
    let maxK = (this.maxK = 0);
    let minFirst = offsets[1]! > 0 ? bytes[0]! : -1;
    let maxFirst = minFirst;
    for (let k = 1; k < count; k++) {
      const s = offsets[k]!;
      const e = offsets[k + 1]!;
      const first = e > s ? bytes[s]! : -1;
      if (
        first <= minFirst &&
        (first < minFirst || compareBytes(bytes, s, e, bytes, offsets[minK]!, offsets[minK + 1]!) < 0)
      ) {
        minK = this.minK = k;
        minFirst = first;
      }
      if (
        first >= maxFirst &&
        (first > maxFirst || compareBytes(bytes, s, e, bytes, offsets[maxK]!, offsets[maxK + 1]!) > 0)
      ) {
        maxK = this.maxK = k;
        maxFirst = first;
      }
    }
  }

  /*
   * Only a prefix of a long bound is kept: the footer gets MAX_STRING_STAT bytes of it at most, and values
   * that share the kept prefix give the same truncated bound whichever is kept.
   */

  /** `bytes[s, e)` as the minimum when it is below the one kept. */
  private keepMin(bytes: Uint8Array, s: number, e: number): void {
    if (!this.minBytes || compareBytes(bytes, s, e, this.minBytes, 0, this.minBytes.length) < 0)
      this.minBytes = bytes.slice(s, Math.min(e, s + KEPT_STAT_BYTES));
  }

  /** `bytes[s, e)` as the maximum when it is above the one kept. */
  private keepMax(bytes: Uint8Array, s: number, e: number): void {
    if (!this.maxBytes || compareBytes(bytes, s, e, this.maxBytes, 0, this.maxBytes.length) > 0)
      this.maxBytes = bytes.slice(s, Math.min(e, s + KEPT_STAT_BYTES));
  }

  /** PLAIN-encoded bounds; undefined when there are none to give (no values, or only NaNs). */
  bounds(): Bounds | undefined {
    if (this.values === 0) return undefined;
    switch (this.type) {
      case 'boolean':
        return exact(Uint8Array.of(this.minNumber), Uint8Array.of(this.maxNumber));
      case 'int32':
      case 'date': {
        const u = new Uint8Array(new Int32Array([this.minNumber, this.maxNumber]).buffer);
        return exact(u.slice(0, 4), u.slice(4, 8));
      }
      case 'double': {
        if (this.minNumber > this.maxNumber) return undefined; // only NaNs
        // The format asks for -0 as a zero minimum and +0 as a zero maximum: either zero may be present.
        const min = this.minNumber === 0 ? -0 : this.minNumber;
        const max = this.maxNumber === 0 ? 0 : this.maxNumber;
        const u = new Uint8Array(new Float64Array([min, max]).buffer);
        return exact(u.slice(0, 8), u.slice(8, 16));
      }
      case 'int64':
      case 'timestamp': {
        const u = new Uint8Array(new Int32Array([this.minLo, this.minHi, this.maxLo, this.maxHi]).buffer);
        return exact(u.slice(0, 8), u.slice(8, 16));
      }
      case 'fixed': {
        const [min, max] = [this.minBytes!, this.maxBytes!];
        const fixed = (b: Uint8Array) => {
          const out = new Uint8Array(this.width);
          putSignExtended(b, 0, b.length, this.width, out, 0);
          return out;
        };
        return exact(fixed(min), fixed(max));
      }
      default: {
        const min = this.minBytes!;
        const max = this.maxBytes!;
        const upper = max.length <= MAX_STRING_STAT ? max : truncateUpper(max);
        return {
          min: min.length <= MAX_STRING_STAT ? min : min.subarray(0, utf8Boundary(min, MAX_STRING_STAT)),
          max: upper,
          minExact: min.length <= MAX_STRING_STAT,
          maxExact: upper === max,
        };
      }
    }
  }
}

/** Column chunk bounds, PLAIN-encoded; `max` is undefined when no short upper bound exists. */
export interface Bounds {
  readonly min: Uint8Array;
  readonly max: Uint8Array | undefined;
  readonly minExact: boolean;
  readonly maxExact: boolean;
}

const exact = (min: Uint8Array, max: Uint8Array): Bounds => ({ min, max, minExact: true, maxExact: true });

/** The largest length <= `limit` that does not split a UTF-8 character of `bytes` (longer than limit). */
function utf8Boundary(bytes: Uint8Array, limit: number): number {
  let n = Math.min(limit, bytes.length);
  while (n > 0 && (bytes[n]! & 0xc0) === 0x80) n--;
  return n;
}

/**
 * A short string that sorts after every string starting with a prefix of `bytes` (UTF-8, unsigned byte
 * order, which is code point order): the prefix with its last incrementable character incremented.
 * Undefined when `bytes` is not valid UTF-8 or the prefix is all U+10FFFF.
 */
export function truncateUpper(bytes: Uint8Array, limit = MAX_STRING_STAT): Uint8Array | undefined {
  const prefix = Buffer.from(bytes.buffer, bytes.byteOffset, utf8Boundary(bytes, limit));
  const text = prefix.toString('utf8');
  if (Buffer.byteLength(text) !== prefix.length || !Buffer.from(text).equals(prefix)) return undefined;
  const codePoints = Array.from(text, (c) => c.codePointAt(0)!);
  for (let i = codePoints.length - 1; i >= 0; i--) {
    let next = codePoints[i]! + 1;
    if (next === 0xd800) next = 0xe000; // surrogates are not characters
    if (next <= 0x10ffff) return Buffer.from(String.fromCodePoint(...codePoints.slice(0, i), next), 'utf8');
  }
  return undefined;
}
