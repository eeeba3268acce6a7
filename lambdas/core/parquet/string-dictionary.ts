import { ByteBuffer } from '../bytes/byte-buffer';
import { ByteView } from '../bytes/byte-copy';
import type { ColumnVector } from '../model/column-batch';

/**
 * A dictionary of distinct strings (UTF-8 byte ranges) for one column chunk: an open-addressing hash table
 * over the entries, which are kept PLAIN-encoded in insertion order, i.e. as the dictionary page's values.
 */
export class StringDictionary {
  /** The entries, PLAIN-encoded (4-byte little-endian length, then the bytes), in index order. */
  readonly plain = new ByteBuffer(64);
  /** Entries held. */
  size = 0;
  // Small to start with (every string column of a wide file has one), doubled as entries come.
  /** Where entry i's bytes start in `plain.bytes` (after its length), for i < size. */
  starts = new Int32Array(16);
  /** Entry i's length in bytes, for i < size. */
  lengths = new Int32Array(16);
  private hashes = new Int32Array(16);
  /** Views for word-wise hashing and comparison over the entries and over the batch being looked up. */
  /** The view of the batch looked up, kept by identity (checking a DataView's buffer per lookup called two builtins per value). */
  private readonly batchView = new ByteView();
  /** Entry index + 1 per slot; 0 for an empty slot. */
  private table = new Int32Array(32);

  /**
   * @param maxBytes the most PLAIN bytes the dictionary may hold
   * @param maxProbes table slots a lookup may visit before giving up (keeps adversarial collisions from
   *   going quadratic) @default 64
   */
  constructor(
    private readonly maxBytes: number,
    private readonly maxProbes = 64,
  ) {}

  /**
   * The index of `bytes[start, end)`, added when new; -1 when it is not there and cannot be added (the
   * dictionary is full, or the lookup took too many probes).
   */
  indexOf(bytes: Uint8Array, start: number, end: number): number {
    const length = end - start;
    const batchView = this.batchView.of(bytes);
    const h = hash(bytes, batchView, start, end);
    const table = this.table;
    const mask = table.length - 1;
    let slot = h & mask;
    for (let probe = 0; probe < this.maxProbes; probe++) {
      const entry = table[slot]!;
      if (entry === 0) return this.add(bytes, start, end, h, slot);
      const i = entry - 1;
      if (this.hashes[i] === h && this.lengths[i] === length && this.equals(i, bytes, batchView, start, end))
        return i;
      slot = (slot + 1) & mask;
    }
    return -1;
  }

  /** Whether entry i holds `bytes[start, end)` (of the same length), compared 4 bytes at a time. */
  private equals(
    i: number,
    bytes: Uint8Array,
    batchView: DataView<ArrayBufferLike>,
    start: number,
    end: number,
  ): boolean {
    const data = this.plain.bytes;
    let at = this.starts[i]!;
    let k = start;
    if (end - start >= 8) {
      const view = this.plain.view.of(data);
      for (; k + 4 <= end; k += 4, at += 4) if (view.getInt32(at) !== batchView.getInt32(k)) return false;
    }
    for (; k < end; k++, at++) if (data[at] !== bytes[k]) return false;
    return true;
  }

  /** Forgets every entry, keeping the memory. */
  clear(): void {
    this.size = 0;
    this.plain.pos = 0;
    this.table.fill(0);
  }

  /** Lets go of the bytes looked up last (a batch's, which may be dropped for its size). */
  forgetBatch(): void {
    this.batchView.forget();
  }

  private add(bytes: Uint8Array, start: number, end: number, h: number, slot: number): number {
    const length = end - start;
    if (this.plain.pos + 4 + length > this.maxBytes) return -1;
    const i = this.size++;
    if (i >= this.starts.length) {
      const grow = (a: Int32Array) => {
        const next = new Int32Array(a.length * 2);
        next.set(a);
        return next;
      };
      this.starts = grow(this.starts);
      this.lengths = grow(this.lengths);
      this.hashes = grow(this.hashes);
    }
    const plain = this.plain;
    plain.ensure(4 + length);
    const d = plain.bytes;
    d[plain.pos] = length & 0xff;
    d[plain.pos + 1] = (length >>> 8) & 0xff;
    d[plain.pos + 2] = (length >>> 16) & 0xff;
    d[plain.pos + 3] = length >>> 24;
    this.starts[i] = plain.pos + 4;
    d.set(bytes.subarray(start, end), plain.pos + 4);
    plain.pos += 4 + length;
    this.lengths[i] = length;
    this.hashes[i] = h;
    this.table[slot] = i + 1;
    if (2 * this.size > this.table.length) this.rehash();
    return i;
  }

  /** Doubles the table (load stays at most one half). */
  private rehash(): void {
    const table = new Int32Array(this.table.length * 2);
    const mask = table.length - 1;
    for (let i = 0; i < this.size; i++) {
      let slot = this.hashes[i]! & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = i + 1;
    }
    this.table = table;
  }
}

/**
 * FNV-1a-style over the length and every byte, four bytes at a time through `view` (a DataView over
 * `bytes`), then MurmurHash3's finalizer: the table indexes by the low bits, which FNV leaves poorly mixed.
 */
function hash(bytes: Uint8Array, view: DataView, start: number, end: number): number {
  let h = Math.imul(0x811c9dc5 ^ (end - start), 0x01000193);
  let k = start;
  for (; k + 4 <= end; k += 4) h = Math.imul(h ^ view.getInt32(k, true), 0x01000193);
  for (; k < end; k++) h = Math.imul(h ^ bytes[k]!, 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Table slots a number lookup may visit before giving up (as {@link StringDictionary}'s `maxProbes`). */
const MAX_NUMBER_PROBES = 64;

/** A value's two words hashed: MurmurHash3's finalizer, since the table indexes by the low bits. */
function mixWords(lo: number, hi: number): number {
  let h = lo ^ Math.imul(hi, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * A dictionary of distinct fixed-width values (int32 and date: 4 bytes; int64, timestamp and double: 8) for
 * one column chunk, as {@link StringDictionary} is for strings: an open-addressing hash table over the
 * entries, kept PLAIN-encoded in insertion order (the dictionary page's values). A value is given as its
 * little-endian 32-bit words (a double as its bits: -0 and 0, and NaNs, stay apart, as PLAIN keeps them).
 */
export class NumberDictionary {
  /** The entries, PLAIN-encoded (4 or 8 bytes little-endian each), in index order. */
  readonly plain = new ByteBuffer(64);
  /** Entries held. */
  size = 0;
  /** The entries' words: low at 2i, high at 2i + 1 (0 for 4-byte values). */
  private words = new Int32Array(32);
  /** Entry index + 1 per slot; 0 for an empty slot. */
  private table = new Int32Array(32);
  private readonly maxEntries: number;

  /**
   * @param width bytes per value: 4 or 8
   * @param maxBytes the most PLAIN bytes the dictionary may hold
   */
  constructor(
    private readonly width: 4 | 8,
    maxBytes: number,
  ) {
    this.maxEntries = Math.floor(maxBytes / width);
  }

  /** The index of the value of words `lo`, `hi` (hi 0 for 4-byte values), added when new; -1 when full. */
  indexOf(lo: number, hi: number): number {
    const table = this.table;
    const mask = table.length - 1;
    const words = this.words;
    let slot = mixWords(lo, hi) & mask;
    for (let probe = 0; probe < MAX_NUMBER_PROBES; probe++) {
      const entry = table[slot]!;
      if (entry === 0) return this.add(lo, hi, slot);
      const i = entry - 1;
      if (words[2 * i] === lo && words[2 * i + 1] === hi) return i;
      slot = (slot + 1) & mask;
    }
    return -1;
  }

  /** Forgets every entry, keeping the memory. */
  clear(): void {
    this.size = 0;
    this.plain.pos = 0;
    this.table.fill(0);
  }

  private add(lo: number, hi: number, slot: number): number {
    if (this.size >= this.maxEntries) return -1;
    const i = this.size++;
    if (2 * i + 2 > this.words.length) {
      const next = new Int32Array(this.words.length * 2);
      next.set(this.words);
      this.words = next;
    }
    this.words[2 * i] = lo;
    this.words[2 * i + 1] = hi;
    const plain = this.plain;
    plain.ensure(8);
    const d = plain.bytes;
    let p = plain.pos;
    d[p++] = lo & 0xff;
    d[p++] = (lo >>> 8) & 0xff;
    d[p++] = (lo >>> 16) & 0xff;
    d[p++] = lo >>> 24;
    if (this.width === 8) {
      d[p++] = hi & 0xff;
      d[p++] = (hi >>> 8) & 0xff;
      d[p++] = (hi >>> 16) & 0xff;
      d[p++] = hi >>> 24;
    }
    plain.pos = p;
    this.table[slot] = i + 1;
    if (2 * this.size > this.table.length) this.rehash();
    return i;
  }

  /** Doubles the table (load stays at most one half). */
  private rehash(): void {
    const table = new Int32Array(this.table.length * 2);
    const mask = table.length - 1;
    const words = this.words;
    for (let i = 0; i < this.size; i++) {
      let slot = mixWords(words[2 * i]!, words[2 * i + 1]!) & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = i + 1;
    }
    this.table = table;
  }
}

/**
 * The indices of a string vector's values `from` to `to` (counting non-null values), written from `at`;
 * returns the end, or -1 when a value could not be added or the dictionary passed `maxSize` entries.
 */
export function lookUpStrings(
  dictionary: StringDictionary,
  v: ColumnVector,
  from: number,
  to: number,
  indices: Int32Array,
  at: number,
  maxSize: number,
): number {
  const bytes = v.bytes;
  const offsets = v.offsets;
  for (let k = from; k < to; k++) {
    const index = dictionary.indexOf(bytes, offsets[k]!, offsets[k + 1]!);
    if (index < 0 || index >= maxSize) return -1;
    indices[at++] = index;
  }
  return at;
}

/** {@link lookUpStrings} for a fixed-width vector (int32 and date, or int64, timestamp and double as words). */
export function lookUpNumbers(
  dictionary: NumberDictionary,
  v: ColumnVector,
  from: number,
  to: number,
  indices: Int32Array,
  at: number,
  maxSize: number,
): number {
  if (v.type === 'int32' || v.type === 'date') {
    const a = v.i32;
    for (let k = from; k < to; k++) {
      const index = dictionary.indexOf(a[k]!, 0);
      if (index < 0 || index >= maxSize) return -1;
      indices[at++] = index;
    }
    return at;
  }
  const w = v.type === 'double' ? new Int32Array(v.f64.buffer, v.f64.byteOffset, 2 * to) : v.i64;
  for (let k = from; k < to; k++) {
    const index = dictionary.indexOf(w[2 * k]!, w[2 * k + 1]!);
    if (index < 0 || index >= maxSize) return -1;
    indices[at++] = index;
  }
  return at;
}
