import { ByteBuffer } from '../bytes/byte-buffer';
import { Encoding } from './format';
import type { Bounds } from './statistics';

/*
 * A column chunk's bytes while its row group is built, and what the footer needs to know about each chunk
 * and row group once written, packed; row groups of a part written apart, moved to their place.
 */

/** Small first slabs (a file of thousands of columns must not take megabytes per column). */
const FIRST_SLAB_BYTES = 256;
const MAX_SLAB_BYTES = 4 << 20;

/**
 * The closed pages of one column chunk, as a list of fixed-size slabs that are reused from one row group to
 * the next: appending never copies what is already held (a doubling buffer would copy the chunk again at
 * every growth, about a quarter of the writer's time), and the slabs live as long as the writer, so the
 * collector does not have to find short-lived large buffers.
 */
export class ChunkBytes {
  private readonly slabs: Uint8Array[] = [];
  /** Index of the slab being filled, and bytes used in it. */
  private slab = 0;
  private used = 0;
  length = 0;

  append(src: Uint8Array): void {
    let from = 0;
    while (from < src.length) {
      let target = this.slabs[this.slab];
      if (!target) {
        // Slabs grow with the chunk (a small file needs no megabytes per column), up to a cap.
        target = new Uint8Array(Math.min(MAX_SLAB_BYTES, Math.max(FIRST_SLAB_BYTES, this.length + from)));
        this.slabs.push(target);
      }
      const n = Math.min(src.length - from, target.length - this.used);
      target.set(n === src.length ? src : src.subarray(from, from + n), this.used);
      from += n;
      this.used += n;
      if (this.used === target.length) {
        this.slab++;
        this.used = 0;
      }
    }
    this.length += src.length;
  }

  /** The bytes held, as views on the slabs, in order; valid until {@link clear}. */
  views(): Uint8Array[] {
    const views: Uint8Array[] = [];
    for (let i = 0; i < this.slab; i++) views.push(this.slabs[i]!);
    if (this.used > 0) views.push(this.slabs[this.slab]!.subarray(0, this.used));
    return views;
  }

  /** Forgets the bytes, keeping the slabs for the next chunk. */
  clear(): void {
    this.slab = 0;
    this.used = 0;
    this.length = 0;
  }
}

/** What the footer needs to know about one written column chunk. */
export interface ChunkMeta {
  readonly offset: number;
  /** Where the first data page starts (after the dictionary page, when there is one). */
  readonly dataOffset: number;
  readonly hasDictionary: boolean;
  readonly encodings: number[];
  readonly numValues: number;
  readonly uncompressed: number;
  readonly compressed: number;
  readonly nulls: number;
  readonly bounds: Bounds | undefined;
}

/**
 * What the footer needs to know about one written row group, packed: a wide file's footer holds a chunk
 * per column per row group, and as objects (with their bounds' buffers) they took about half a KiB each.
 * Read it with {@link chunkAt}.
 */
export interface RowGroupMeta {
  readonly rows: number;
  readonly offset: number;
  /** Column chunks in the group. */
  readonly count: number;
  /** Per chunk, {@link NUMBERS} numbers: offset, dataOffset, numValues, uncompressed, compressed, nulls. */
  readonly numbers: Float64Array;
  /** Per chunk, CHUNK_* flag bits. */
  readonly flags: Uint8Array;
  /** Per chunk, the end in `bounds` of its minimum, then of its maximum (each starts where the last ended). */
  readonly boundEnds: Int32Array;
  readonly bounds: Uint8Array;
}

const NUMBERS = 6;
const CHUNK_DICTIONARY = 1;
const CHUNK_PLAIN_PAGES = 2;
const CHUNK_DICTIONARY_PAGES = 4;
const CHUNK_BOUNDS = 8;
const CHUNK_MAX = 16;
const CHUNK_MIN_EXACT = 32;
const CHUNK_MAX_EXACT = 64;

/** Builds a {@link RowGroupMeta} chunk by chunk, with no object per chunk. */
export class RowGroupPacker {
  private readonly numbers: Float64Array;
  private readonly flags: Uint8Array;
  private readonly boundEnds: Int32Array;
  private readonly bounds = new ByteBuffer(64);
  private count = 0;

  constructor(columns: number) {
    this.numbers = new Float64Array(columns * NUMBERS);
    this.flags = new Uint8Array(columns);
    this.boundEnds = new Int32Array(columns * 2);
  }

  add(c: ChunkMeta): void {
    const i = this.count++;
    const at = i * NUMBERS;
    const n = this.numbers;
    n[at] = c.offset;
    n[at + 1] = c.dataOffset;
    n[at + 2] = c.numValues;
    n[at + 3] = c.uncompressed;
    n[at + 4] = c.compressed;
    n[at + 5] = c.nulls;
    let f = c.hasDictionary ? CHUNK_DICTIONARY : 0;
    if (c.encodings.includes(Encoding.PLAIN)) f |= CHUNK_PLAIN_PAGES;
    if (c.encodings.includes(Encoding.PLAIN_DICTIONARY)) f |= CHUNK_DICTIONARY_PAGES;
    const b = c.bounds;
    const bounds = this.bounds;
    if (b) {
      f |= CHUNK_BOUNDS | (b.minExact ? CHUNK_MIN_EXACT : 0);
      bounds.append(b.min);
      this.boundEnds[2 * i] = bounds.pos;
      if (b.max) {
        f |= CHUNK_MAX | (b.maxExact ? CHUNK_MAX_EXACT : 0);
        bounds.append(b.max);
      }
    } else {
      this.boundEnds[2 * i] = bounds.pos;
    }
    this.boundEnds[2 * i + 1] = bounds.pos;
    this.flags[i] = f;
  }

  finish(rows: number, offset: number): RowGroupMeta {
    return {
      rows,
      offset,
      count: this.count,
      numbers: this.numbers,
      flags: this.flags,
      boundEnds: this.boundEnds,
      bounds: this.bounds.bytes.slice(0, this.bounds.pos),
    };
  }
}

/** Chunk `i` of a packed row group. */
export function chunkAt(group: RowGroupMeta, i: number): ChunkMeta {
  const n = group.numbers;
  const at = i * NUMBERS;
  const f = group.flags[i]!;
  const minStart = i === 0 ? 0 : group.boundEnds[2 * i - 1]!;
  const minEnd = group.boundEnds[2 * i]!;
  const maxEnd = group.boundEnds[2 * i + 1]!;
  const encodings = [];
  if (f & CHUNK_PLAIN_PAGES) encodings.push(Encoding.PLAIN);
  if (f & CHUNK_DICTIONARY_PAGES) encodings.push(Encoding.PLAIN_DICTIONARY);
  encodings.push(Encoding.RLE);
  return {
    offset: n[at]!,
    dataOffset: n[at + 1]!,
    numValues: n[at + 2]!,
    uncompressed: n[at + 3]!,
    compressed: n[at + 4]!,
    nulls: n[at + 5]!,
    hasDictionary: (f & CHUNK_DICTIONARY) !== 0,
    encodings,
    bounds:
      f & CHUNK_BOUNDS
        ? {
            min: group.bounds.subarray(minStart, minEnd),
            max: f & CHUNK_MAX ? group.bounds.subarray(minEnd, maxEnd) : undefined,
            minExact: (f & CHUNK_MIN_EXACT) !== 0,
            maxExact: (f & CHUNK_MAX_EXACT) !== 0,
          }
        : undefined,
  };
}

/**
 * What the footer needs of a part of a file written apart (with `part: true`, e.g. on another thread):
 * its row groups, whose offsets count from the part's first byte, and its size.
 */
export interface ParquetPart {
  readonly rows: number;
  readonly bytes: number;
  readonly rowGroups: readonly RowGroupMeta[];
}

/** A row group's metadata moved `by` bytes further into the file. */
export function shifted(group: RowGroupMeta, by: number): RowGroupMeta {
  const numbers = group.numbers.slice();
  for (let at = 0; at < numbers.length; at += NUMBERS) {
    numbers[at]! += by;
    numbers[at + 1]! += by;
  }
  return { ...group, offset: group.offset + by, numbers };
}
