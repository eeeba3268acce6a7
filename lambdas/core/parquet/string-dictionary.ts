import { ByteBuffer } from '../bytes/byte-buffer';
import { ByteView } from '../bytes/byte-copy';

/** Strings longer than this are hashed on some of their bytes until that gives too many false matches. */
const SAMPLED_FROM = 16;
/** False matches (same hash and length, other bytes) after which a dictionary hashes every byte. */
const MAX_FALSE_MATCHES = 8;

/**
 * A dictionary of distinct strings (UTF-8 byte ranges) for one column chunk: an open-addressing hash table
 * over the entries, which are kept PLAIN-encoded in insertion order, i.e. as the dictionary page's values.
 *
 * A string of more than SAMPLED_FROM bytes is first hashed on its length and 28 of its bytes (its first and
 * last 12 and 4 in the middle): a user agent of 73 bytes then costs 7 multiplications instead of 19, which
 * wait on each other. Values that differ elsewhere only (ids in the middle of long URLs) share a hash, and
 * each lookup that meets one compares in vain: after MAX_FALSE_MATCHES of those the dictionary hashes
 * every byte, its entries rehashed (the entries and their indices stay as they are).
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
  /** The view of the batch looked up, kept by identity (checking a DataView's buffer per lookup called two builtins per value). */
  private readonly batchView = new ByteView();
  /** Per slot, two numbers: entry index + 1 (0 for an empty slot), then the entry's hash. */
  private table = new Int32Array(64);
  /** Whether long strings are hashed on all their bytes (see the class's comment). */
  private whole = false;
  private falseMatches = 0;

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
    const offsets = Int32Array.of(start, end);
    const index = new Int32Array(1);
    return this.lookUp(bytes, offsets, 0, 1, index, 0, Infinity) < 0 ? -1 : index[0]!;
  }

  /**
   * The indices of the values `bytes[offsets[k], offsets[k + 1])` for k in `[from, to)`, written to
   * `indices` from `at`, each added when new; returns the end, or -1 when a value could not be added (see
   * {@link indexOf}) or an index reached `maxSize`. The table and entries are held in locals between
   * additions (the loop is the writer's hottest over strings).
   */
  lookUp(
    bytes: Uint8Array,
    offsets: Int32Array,
    from: number,
    to: number,
    indices: Int32Array,
    at: number,
    maxSize: number,
  ): number {
    const view = this.batchView.of(bytes);
    const maxProbes = this.maxProbes;
    let table = this.table;
    let mask = table.length - 2;
    let data = this.plain.bytes;
    let dataView = this.plain.view.of(data);
    let starts = this.starts;
    let lengths = this.lengths;
    let whole = this.whole;
    for (let k = from; k < to; k++) {
      const s = offsets[k]!;
      const e = offsets[k + 1]!;
      const length = e - s;
      const h = hash(bytes, view, s, e, whole);
      let slot = (h << 1) & mask;
      let index = -1;
      for (let probe = 0; probe < maxProbes; probe++) {
        const entry = table[slot]!;
        if (entry === 0) {
          index = this.add(bytes, s, e, h, slot);
          table = this.table;
          mask = table.length - 2;
          data = this.plain.bytes;
          dataView = this.plain.view.of(data);
          starts = this.starts;
          lengths = this.lengths;
          break;
        }
        if (table[slot + 1] === h && lengths[entry - 1] === length) {
          if (same(data, dataView, starts[entry - 1]!, bytes, view, s, length)) {
            index = entry - 1;
            break;
          }
          if (!whole && ++this.falseMatches > MAX_FALSE_MATCHES) {
            this.hashWhole();
            whole = true;
            table = this.table;
            mask = table.length - 2;
            k--; // again, with the whole value hashed
            index = -2;
            break;
          }
        }
        slot = (slot + 2) & mask;
      }
      if (index === -2) continue;
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
    this.whole = false;
    this.falseMatches = 0;
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
    this.table[slot + 1] = h;
    if (4 * this.size > this.table.length) this.rehash(this.table.length * 2);
    return i;
  }

  /** Hashes every entry on all its bytes, from now on (see the class's comment). */
  private hashWhole(): void {
    this.whole = true;
    const data = this.plain.bytes;
    const view = this.plain.view.of(data);
    for (let i = 0; i < this.size; i++) {
      const s = this.starts[i]!;
      this.hashes[i] = hash(data, view, s, s + this.lengths[i]!, true);
    }
    this.rehash(this.table.length);
  }

  /** Places the entries in a new table of `slots` numbers (load stays at most one half). */
  private rehash(slots: number): void {
    const table = new Int32Array(slots);
    const mask = table.length - 2;
    for (let i = 0; i < this.size; i++) {
      const h = this.hashes[i]!;
      let slot = (h << 1) & mask;
      while (table[slot] !== 0) slot = (slot + 2) & mask;
      table[slot] = i + 1;
      table[slot + 1] = h;
    }
    this.table = table;
  }
}

/** Whether `a[as, as + n)` and `b[bs, bs + n)` hold the same bytes (`av`, `bv` views of them). */
function same(
  a: Uint8Array,
  av: DataView<ArrayBufferLike>,
  as: number,
  b: Uint8Array,
  bv: DataView<ArrayBufferLike>,
  bs: number,
  n: number,
): boolean {
  if (n < 4) {
    for (let k = 0; k < n; k++) if (a[as + k] !== b[bs + k]) return false;
    return true;
  }
  // The first and the last four bytes (overlapping under 8), then the words between.
  const last = n - 4;
  if (((av.getInt32(as) ^ bv.getInt32(bs)) | (av.getInt32(as + last) ^ bv.getInt32(bs + last))) !== 0)
    return false;
  for (let k = 4; k < last; k += 4) if (av.getInt32(as + k) !== bv.getInt32(bs + k)) return false;
  return true;
}

const FNV_PRIME = 0x01000193;

/**
 * FNV-1a-style over the length and four bytes at a time through `view` (a DataView over `bytes`),
 * overlapping words covering a value of up to SAMPLED_FROM bytes whole; a longer one whole or sampled
 * (see {@link StringDictionary}); then MurmurHash3's finalizer: the table indexes by the low bits, which
 * FNV leaves poorly mixed.
 */
function hash(bytes: Uint8Array, view: DataView, start: number, end: number, whole: boolean): number {
  const n = end - start;
  let h = Math.imul(0x811c9dc5 ^ n, FNV_PRIME);
  if (n < 4) {
    for (let k = start; k < end; k++) h = Math.imul(h ^ bytes[k]!, FNV_PRIME);
  } else {
    const last = end - 4;
    h = Math.imul(h ^ view.getInt32(start, true), FNV_PRIME);
    h = Math.imul(h ^ view.getInt32(last, true), FNV_PRIME);
    if (n > 8) {
      h = Math.imul(h ^ view.getInt32(start + 4, true), FNV_PRIME);
      h = Math.imul(h ^ view.getInt32(last - 4, true), FNV_PRIME);
      if (n > SAMPLED_FROM) {
        if (whole) {
          for (let k = start + 8; k < last - 4; k += 4) h = Math.imul(h ^ view.getInt32(k, true), FNV_PRIME);
        } else {
          h = Math.imul(h ^ view.getInt32(start + 8, true), FNV_PRIME);
          h = Math.imul(h ^ view.getInt32(last - 8, true), FNV_PRIME);
          h = Math.imul(h ^ view.getInt32(start + ((n - 4) >>> 1), true), FNV_PRIME);
        }
      }
    }
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * Runs every path of a lookup once, on a few values, as the module loads (see `runEveryPath` in
 * rle-hybrid.ts): each length case of `hash` and `same`, a new entry and a found one, the tables' growth,
 * false matches and the switch to hashing every byte. Met column after column in the first row group
 * instead, they had V8 compile `lookUp` again 4 times over the bench file.
 */
function runEveryPath(): void {
  const lengths = [0, 2, 3, 4, 6, 8, 9, 12, 16, 17, 25, 40];
  const values: number[][] = [];
  for (let i = 0; i < 36; i++)
    values.push(Array.from({ length: lengths[i % 12]! }, (_, j) => 97 + ((i + j) % 26)));
  // Long values that differ only at byte 13, which a sampled hash leaves out: false matches.
  for (let i = 0; i < 12; i++) values.push(Array.from({ length: 40 }, (_, j) => (j === 13 ? 65 + i : 120)));
  const offsets = new Int32Array(2 * values.length + 1);
  const bytes = new Uint8Array(2 * values.flat().length);
  let at = 0;
  for (let k = 0; k < 2 * values.length; k++) {
    const value = values[k % values.length]!; // twice: the second time, each is found
    bytes.set(value, at);
    offsets[k] = at;
    at += value.length;
    offsets[k + 1] = at;
  }
  const dictionary = new StringDictionary(1 << 20);
  dictionary.lookUp(bytes, offsets, 0, 2 * values.length, new Int32Array(2 * values.length), 0, Infinity);
}
runEveryPath();
