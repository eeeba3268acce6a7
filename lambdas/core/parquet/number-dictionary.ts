import { ByteBuffer } from '../bytes/byte-buffer';
import type { ColumnVector } from '../model/column-batch';

/** Table slots a number lookup may visit before giving up (as `StringDictionary`'s `maxProbes`). */
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
 * one column chunk, as `StringDictionary` is for strings: an open-addressing hash table over the
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
    const index = new Int32Array(1);
    return this.lookUp(Int32Array.of(lo, hi), 2, 0, 1, index, 0, Infinity) < 0 ? -1 : index[0]!;
  }

  /**
   * The indices of values `from` to `to` of `source`, value k's words at `source[step * k]` and, when
   * `step` is 2, `source[step * k + 1]` (else 0), written to `indices` from `at`, each added when new;
   * returns the end, or -1 when a value could not be added or an index reached `maxSize`. The table and
   * the entries are held in locals between additions.
   */
  lookUp(
    source: Int32Array,
    step: 1 | 2,
    from: number,
    to: number,
    indices: Int32Array,
    at: number,
    maxSize: number,
  ): number {
    let table = this.table;
    let mask = table.length - 1;
    let words = this.words;
    for (let k = from; k < to; k++) {
      const lo = source[step * k]!;
      const hi = step === 2 ? source[2 * k + 1]! : 0;
      let slot = mixWords(lo, hi) & mask;
      let index = -1;
      for (let probe = 0; probe < MAX_NUMBER_PROBES; probe++) {
        const entry = table[slot]!;
        if (entry === 0) {
          index = this.add(lo, hi, slot);
          table = this.table;
          mask = table.length - 1;
          words = this.words;
          break;
        }
        if (words[2 * entry - 2] === lo && words[2 * entry - 1] === hi) {
          index = entry - 1;
          break;
        }
        slot = (slot + 1) & mask;
      }
      if (index < 0 || index >= maxSize) return -1;
      indices[at++] = index;
    }
    return at;
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
 * The indices of a fixed-width vector's values `from` to `to` (int32 and date as one word, int64,
 * timestamp and double as two), as `StringDictionary.lookUp` gives a string vector's: written from `at`;
 * returns the end, or -1 when a value could not be added or the dictionary passed `maxSize` entries.
 */
export function lookUpNumbers(
  dictionary: NumberDictionary,
  v: ColumnVector,
  from: number,
  to: number,
  indices: Int32Array,
  at: number,
  maxSize: number,
): number {
  if (v.type === 'int32' || v.type === 'date')
    return dictionary.lookUp(v.i32, 1, from, to, indices, at, maxSize);
  const w = v.type === 'double' ? new Int32Array(v.f64.buffer, v.f64.byteOffset, 2 * to) : v.i64;
  return dictionary.lookUp(w, 2, from, to, indices, at, maxSize);
}

/**
 * Runs every path of a lookup once, for one-word and two-word values, on a few values, as the module loads
 * (see `runEveryPath` in string-dictionary.ts): new entries past the first tables' size, then the same
 * values found.
 */
function runEveryPath(): void {
  const n = 40;
  for (const step of [1, 2] as const) {
    // Values 0 to n - 1, twice (value k's words at step * k).
    const words = Int32Array.from({ length: 2 * n * step }, (_, i) => Math.floor(i / step) % n);
    const dictionary = new NumberDictionary(step === 1 ? 4 : 8, 1 << 20);
    dictionary.lookUp(words, step, 0, 2 * n, new Int32Array(2 * n), 0, Infinity);
  }
}
runEveryPath();
