import { ByteBuffer } from '../bytes/byte-buffer';

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
  private starts = new Int32Array(16);
  private lengths = new Int32Array(16);
  private hashes = new Int32Array(16);
  /** Views for word-wise hashing and comparison over the entries and over the batch being looked up. */
  private view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  private batchView: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
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
    if (this.batchView.buffer !== bytes.buffer || this.batchView.byteOffset !== bytes.byteOffset)
      this.batchView = new DataView(bytes.buffer, bytes.byteOffset);
    const h = hash(bytes, this.batchView, start, end);
    const table = this.table;
    const mask = table.length - 1;
    let slot = h & mask;
    for (let probe = 0; probe < this.maxProbes; probe++) {
      const entry = table[slot]!;
      if (entry === 0) return this.add(bytes, start, end, h, slot);
      const i = entry - 1;
      if (this.hashes[i] === h && this.lengths[i] === length && this.equals(i, bytes, start, end)) return i;
      slot = (slot + 1) & mask;
    }
    return -1;
  }

  /** Whether entry i holds `bytes[start, end)` (of the same length), compared 4 bytes at a time. */
  private equals(i: number, bytes: Uint8Array, start: number, end: number): boolean {
    const data = this.plain.bytes;
    let at = this.starts[i]!;
    let k = start;
    if (end - start >= 16) {
      if (this.view.buffer !== data.buffer || this.view.byteOffset !== data.byteOffset)
        this.view = new DataView(data.buffer, data.byteOffset);
      const view = this.view;
      const batchView = this.batchView;
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
