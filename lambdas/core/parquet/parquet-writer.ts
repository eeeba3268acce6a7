import type { ColumnBatch, ColumnVector } from '../model/column-batch';
import { readFileChunks } from '../bytes/file-chunks';
import { gzip, snappy, zstd } from '../bytes/codecs';
import { CONVERT_DEFAULTS } from '../model/defaults';
import type { ParquetCompression } from '../model/options';
import type { FormatWriter, WriterStats } from '../model/writer';
import type { Column, ColumnType, TableSchema } from '../model/schema';
import type { ByteSink } from '../model/sink';
import { ByteBuffer, RETAINED_BYTES } from '../bytes/byte-buffer';
import { encodeHybrid } from './rle-hybrid';
import { StringDictionary } from './string-dictionary';
import { ThriftWriter, TType } from './thrift';

/** Options of {@link createParquetWriter}. */
export interface ParquetWriterOptions {
  readonly compression: ParquetCompression;
  /**
   * Buffered bytes after which a row group is written: the uncompressed size of its pages (for
   * dictionary-encoded pages, of the indices) plus the dictionaries. Past 1,024 columns it shrinks in
   * proportion to the width, down to 8 MiB (see {@link rowGroupBudget}). @default the conversion's, 32 MiB
   */
  readonly rowGroupBytes?: number;
  /** Uncompressed bytes of values after which a data page is closed. @default 1 MiB */
  readonly pageBytes?: number;
  /**
   * Dictionary-encode string columns while their dictionary stays small: at most this many bytes of
   * distinct values per column chunk (capped at 16 MiB), and at most one distinct value per two values.
   * 0 turns it off. @default 1 MiB
   */
  readonly dictionaryBytes?: number;
  /**
   * The second part of a file (see split-pass.ts): no leading magic and no footer; finish with
   * {@link ParquetWriter.closePart}. @default false
   */
  readonly part?: boolean;
}

// Parquet enums (parquet.thrift).
const PHYSICAL = { BOOLEAN: 0, INT32: 1, INT64: 2, DOUBLE: 5, BYTE_ARRAY: 6 } as const;
const CODEC: Record<ParquetCompression, number> = { none: 0, snappy: 1, gzip: 2, zstd: 6 };
const COMPRESS: Record<ParquetCompression, (data: Uint8Array) => Uint8Array> = {
  none: (data) => data,
  snappy,
  gzip,
  zstd,
};
const ENCODING_PLAIN = 0;
/** The encoding of dictionary pages and of dictionary-encoded data pages in v1 files (as DuckDB writes). */
const ENCODING_PLAIN_DICTIONARY = 2;
const ENCODING_RLE = 3;
const PAGE_DATA = 0;
const PAGE_DICTIONARY = 2;
/** Dictionary encoding stops when more than this share of a chunk's values (past 1,024) are distinct. */
const MAX_DISTINCT_SHARE = 0.5;
const REPETITION_OPTIONAL = 1;
const CONVERTED_UTF8 = 0;
const CONVERTED_DATE = 6;
const CONVERTED_TIMESTAMP_MICROS = 10;
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

const PHYSICAL_OF: Record<ColumnType, number> = {
  boolean: PHYSICAL.BOOLEAN,
  int32: PHYSICAL.INT32,
  date: PHYSICAL.INT32,
  int64: PHYSICAL.INT64,
  timestamp: PHYSICAL.INT64,
  double: PHYSICAL.DOUBLE,
  string: PHYSICAL.BYTE_ARRAY,
};

/** Small first allocations per column (a file of thousands of columns must not take megabytes each). */
const FIRST_SLAB_BYTES = 256;
const MAX_SLAB_BYTES = 4 << 20;
/** First size of a column's page, values, levels and validity buffers (doubled as pages need). */
const FIRST_BUFFER_BYTES = 64;
/** Dictionary indices of a column that has none yet (replaced when it grows, never written). */
const NO_INDICES = new Int32Array(0);

/**
 * The closed pages of one column chunk, as a list of fixed-size slabs that are reused from one row group to
 * the next: appending never copies what is already held (a doubling buffer would copy the chunk again at
 * every growth, about a quarter of the writer's time), and the slabs live as long as the writer, so the
 * collector does not have to find short-lived large buffers.
 */
class ChunkBytes {
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
class ChunkStatistics {
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

  constructor(private readonly type: ColumnType) {}

  add(v: ColumnVector): void {
    const count = v.count;
    this.nulls += v.length - count;
    if (count === 0) return;
    const first = this.values === 0;
    this.values += count;
    switch (this.type) {
      case 'boolean':
      case 'int32':
      case 'date':
      case 'double': {
        // NaN never compares below or above: doubles' bounds ignore it.
        let min = this.minNumber;
        let max = this.maxNumber;
        const a = this.type === 'double' ? v.f64 : v.i32;
        for (let k = 0; k < count; k++) {
          const x = a[k]!;
          if (x < min) min = x;
          if (x > max) max = x;
        }
        this.minNumber = min;
        this.maxNumber = max;
        break;
      }
      case 'int64':
      case 'timestamp': {
        const w = v.i64;
        let k0 = 0;
        if (first) {
          this.minLo = this.maxLo = w[0]!;
          this.minHi = this.maxHi = w[1]!;
          k0 = 1;
        }
        for (let k = k0; k < count; k++) {
          const lo = w[2 * k]! >>> 0;
          const hi = w[2 * k + 1]!;
          if (hi < this.minHi || (hi === this.minHi && lo < this.minLo >>> 0)) {
            this.minHi = hi;
            this.minLo = lo;
          }
          if (hi > this.maxHi || (hi === this.maxHi && lo > this.maxLo >>> 0)) {
            this.maxHi = hi;
            this.maxLo = lo;
          }
        }
        break;
      }
      default: {
        const bytes = v.bytes;
        const offsets = v.offsets;
        // The first byte decides most comparisons (an empty string counts as -1, below every byte).
        let minK = 0;
        let maxK = 0;
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
            minK = k;
            minFirst = first;
          }
          if (
            first >= maxFirst &&
            (first > maxFirst || compareBytes(bytes, s, e, bytes, offsets[maxK]!, offsets[maxK + 1]!) > 0)
          ) {
            maxK = k;
            maxFirst = first;
          }
        }
        // Only a prefix of a long bound is kept: the footer gets MAX_STRING_STAT bytes of it at most, and
        // values that share the kept prefix give the same truncated bound whichever is kept.
        const ms = offsets[minK]!;
        const me = offsets[minK + 1]!;
        if (!this.minBytes || compareBytes(bytes, ms, me, this.minBytes, 0, this.minBytes.length) < 0)
          this.minBytes = bytes.slice(ms, Math.min(me, ms + KEPT_STAT_BYTES));
        const xs = offsets[maxK]!;
        const xe = offsets[maxK + 1]!;
        if (!this.maxBytes || compareBytes(bytes, xs, xe, this.maxBytes, 0, this.maxBytes.length) > 0)
          this.maxBytes = bytes.slice(xs, Math.min(xe, xs + KEPT_STAT_BYTES));
      }
    }
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
  let n = limit;
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

/** The buffers a writer's columns assemble their pages in (see {@link ColumnChunkBuilder}). */
interface PageScratch {
  readonly levels: ByteBuffer;
  readonly page: ByteBuffer;
  /** Data page headers. */
  readonly header: ThriftWriter;
}

/**
 * The pages of one column in the row group being built, and the page being filled. String columns start
 * each chunk dictionary-encoded and fall back to PLAIN for the rest of the chunk when the dictionary grows
 * too large or too many values are distinct; a column that falls back on its chunk's first values is
 * PLAIN for good (a CSV column's cardinality does not change much from one row group to the next).
 */
class ColumnChunkBuilder {
  readonly physical: number;
  private valid: Uint8Array = new Uint8Array(FIRST_BUFFER_BYTES);
  private rows = 0;
  private readonly values = new ByteBuffer(FIRST_BUFFER_BYTES);
  private readonly chunk = new ChunkBytes();
  /** Boolean values in the open page. */
  private booleans = 0;
  /** The chunk's dictionary (string columns), undefined once dictionary encoding is given up. */
  private dictionary: StringDictionary | undefined;
  /** Whether the open page holds dictionary indices (else PLAIN values). */
  private dictionaryMode: boolean;
  private indices = NO_INDICES;
  private indexCount = 0;
  /** Values of the chunk written as dictionary indices. */
  private dictionaryValues = 0;
  /** Whether any page of the chunk is PLAIN / dictionary-encoded. */
  private plainPages = false;
  private dictionaryPages = false;
  stats: ChunkStatistics;
  uncompressed = 0;
  compressed = 0;
  numValues = 0;

  /**
   * @param scratch where pages are assembled before compression: one for all the columns of a writer
   *   (pages are compressed as they close), so that a wide file does not keep a page's size per column
   */
  constructor(
    readonly column: Column,
    private readonly compression: ParquetCompression,
    private readonly pageBytes: number,
    dictionaryBytes: number,
    private readonly scratch: PageScratch,
  ) {
    this.physical = PHYSICAL_OF[column.type];
    this.stats = new ChunkStatistics(column.type);
    if (column.type === 'string' && dictionaryBytes > 0)
      this.dictionary = new StringDictionary(dictionaryBytes);
    this.dictionaryMode = this.dictionary !== undefined;
  }

  /** Uncompressed bytes held (closed pages, the open one and the dictionary). */
  get bufferedBytes(): number {
    return (
      this.uncompressed +
      this.values.pos +
      4 * this.indexCount +
      this.rows +
      (this.dictionary?.plain.pos ?? 0)
    );
  }

  add(v: ColumnVector): void {
    this.stats.add(v);
    if (this.dictionaryMode) {
      if (this.addIndices(v)) {
        this.appendLevels(v);
        if (4 * this.indexCount >= this.pageBytes) this.closePage();
        return;
      }
      // Give up the dictionary for the rest of the chunk (and the chunks after it): the values seen so
      // far stay dictionary-encoded, this batch and the next ones are PLAIN.
      this.closePage();
      this.dictionaryMode = false;
      if (this.dictionaryValues === 0) this.dictionary = undefined;
    }
    this.appendLevels(v);
    const out = this.values;
    const count = v.count;
    switch (v.type) {
      case 'string': {
        const bytes = v.bytes;
        const offsets = v.offsets;
        out.ensure(offsets[count]! - offsets[0]! + 4 * count);
        const d = out.bytes;
        let p = out.pos;
        for (let k = 0; k < count; k++) {
          const s = offsets[k]!;
          const len = offsets[k + 1]! - s;
          d[p] = len & 0xff;
          d[p + 1] = (len >>> 8) & 0xff;
          d[p + 2] = (len >>> 16) & 0xff;
          d[p + 3] = len >>> 24;
          p += 4;
          if (len > 32) d.set(bytes.subarray(s, s + len), p);
          else for (let j = 0; j < len; j++) d[p + j] = bytes[s + j]!;
          p += len;
        }
        out.pos = p;
        break;
      }
      case 'boolean': {
        // PLAIN booleans are bit-packed, least significant bit first, across the whole page.
        const a = v.i32;
        out.ensure((count >>> 3) + 2);
        for (let k = 0; k < count; k++) {
          const bit = this.booleans + k;
          const at = bit >>> 3;
          if ((bit & 7) === 0) out.bytes[at] = 0;
          if (a[k] === 1) out.bytes[at]! |= 1 << (bit & 7);
        }
        this.booleans += count;
        out.pos = (this.booleans + 7) >>> 3;
        break;
      }
      case 'double':
        out.append(new Uint8Array(v.f64.buffer, v.f64.byteOffset, count * 8));
        break;
      case 'int64':
      case 'timestamp':
        out.append(new Uint8Array(v.i64.buffer, v.i64.byteOffset, count * 8));
        break;
      default:
        out.append(new Uint8Array(v.i32.buffer, v.i32.byteOffset, count * 4));
    }
    if (this.values.pos >= this.pageBytes) this.closePage();
  }

  private appendLevels(v: ColumnVector): void {
    const n = v.length;
    if (this.rows + n > this.valid.length) {
      const next = new Uint8Array(Math.max(this.valid.length * 2, this.rows + n));
      next.set(this.valid.subarray(0, this.rows));
      this.valid = next;
    }
    this.valid.set(v.valid.subarray(0, n), this.rows);
    this.rows += n;
  }

  /**
   * Looks the batch's strings up in the dictionary and appends their indices to the open page; false
   * (nothing appended) when the dictionary is full or the chunk's values are mostly distinct.
   */
  private addIndices(v: ColumnVector): boolean {
    const dictionary = this.dictionary!;
    const count = v.count;
    if (this.indexCount + count > this.indices.length) {
      const next = new Int32Array(Math.max(this.indices.length * 2, this.indexCount + count));
      next.set(this.indices.subarray(0, this.indexCount));
      this.indices = next;
    }
    const indices = this.indices;
    const bytes = v.bytes;
    const offsets = v.offsets;
    let at = this.indexCount;
    for (let k = 0; k < count; k++) {
      const index = dictionary.indexOf(bytes, offsets[k]!, offsets[k + 1]!);
      if (index < 0) return false;
      indices[at++] = index;
    }
    const values = this.dictionaryValues + count;
    if (values >= 1024 && dictionary.size > MAX_DISTINCT_SHARE * values) return false;
    this.indexCount = at;
    this.dictionaryValues = values;
    return true;
  }

  /** Compresses the open page and adds it to the chunk. */
  closePage(): void {
    const page = this.encodePage();
    if (page) for (const part of page) this.chunk.append(part);
  }

  /**
   * Compresses the open page and returns it (header, body) instead of adding it to the chunk: the
   * chunk's last page, to be written right after {@link pages}; valid until the next page is encoded.
   * A wide file's chunks are mostly one page each: they then need no slabs at all.
   */
  lastPage(): Uint8Array[] {
    return this.encodePage() ?? [];
  }

  /** The open page compressed, as header and body (undefined when it has no rows); the page is reset. */
  private encodePage(): [Uint8Array, Uint8Array] | undefined {
    if (this.rows === 0) return undefined;
    const levels = this.scratch.levels;
    levels.pos = 4;
    levels.ensure(4);
    encodeHybrid(this.valid, this.rows, 1, levels);
    const levelBytes = levels.pos - 4;
    levels.bytes[0] = levelBytes & 0xff;
    levels.bytes[1] = (levelBytes >>> 8) & 0xff;
    levels.bytes[2] = (levelBytes >>> 16) & 0xff;
    levels.bytes[3] = levelBytes >>> 24;
    // Levels and values are assembled in a reused buffer: a fresh one per page is garbage that the
    // collector is slow to return (it is memory outside the JS heap).
    const page = this.scratch.page;
    page.pos = 0;
    page.append(levels.bytes.subarray(0, levels.pos));
    // A page of nulls only has no values to encode: PLAIN says that as well, with no dictionary needed.
    const indexed = this.dictionaryMode && this.indexCount > 0;
    if (indexed) {
      const size = this.dictionary!.size;
      const bitWidth = size <= 2 ? 1 : 32 - Math.clz32(size - 1);
      page.ensure(1);
      page.bytes[page.pos++] = bitWidth;
      encodeHybrid(this.indices, this.indexCount, bitWidth, page);
      this.dictionaryPages = true;
    } else {
      page.append(this.values.bytes.subarray(0, this.values.pos));
      this.plainPages = true;
    }
    const raw = page.bytes.subarray(0, page.pos);
    const body = this.compression === 'none' ? raw : COMPRESS[this.compression](raw);
    // The header is written (or copied into the chunk) before the next page's: one writer serves them all.
    const header = this.scratch.header
      .reset()
      .i32(1, PAGE_DATA)
      .i32(2, raw.length)
      .i32(3, body.length)
      .struct(5)
      .i32(1, this.rows)
      .i32(2, indexed ? ENCODING_PLAIN_DICTIONARY : ENCODING_PLAIN)
      .i32(3, ENCODING_RLE)
      .i32(4, ENCODING_RLE)
      .end()
      .finish();
    this.uncompressed += header.length + raw.length;
    this.compressed += header.length + body.length;
    this.numValues += this.rows;
    this.rows = 0;
    this.values.pos = 0;
    if (this.values.bytes.length > RETAINED_BYTES) this.values.bytes = new Uint8Array(FIRST_BUFFER_BYTES);
    if (page.bytes.length > RETAINED_BYTES) page.bytes = new Uint8Array(FIRST_BUFFER_BYTES);
    this.booleans = 0;
    this.indexCount = 0;
    // Pages closed before the last are copied into reused slabs: kept as separate objects until the row
    // group is written, they would live long enough to need a full collection to be freed.
    return [header, body];
  }

  /**
   * The dictionary page (header and compressed entries) when the chunk has dictionary-encoded pages; its
   * sizes are added to the chunk's. Call after {@link lastPage}.
   */
  dictionaryPage(): Uint8Array | undefined {
    if (!this.dictionaryPages) return undefined;
    const dictionary = this.dictionary!;
    const raw = dictionary.plain.bytes.subarray(0, dictionary.plain.pos);
    const body = this.compression === 'none' ? raw : COMPRESS[this.compression](raw);
    const header = new ThriftWriter()
      .i32(1, PAGE_DICTIONARY)
      .i32(2, raw.length)
      .i32(3, body.length)
      .struct(7)
      .i32(1, dictionary.size)
      .i32(2, ENCODING_PLAIN_DICTIONARY)
      .end()
      .finish();
    const pageBytes = new Uint8Array(header.length + body.length);
    pageBytes.set(header);
    pageBytes.set(body, header.length);
    this.uncompressed += header.length + raw.length;
    this.compressed += pageBytes.length;
    return pageBytes;
  }

  /** The encodings of the chunk's pages (definition levels are RLE). */
  encodings(): number[] {
    const encodings = [];
    if (this.plainPages) encodings.push(ENCODING_PLAIN);
    if (this.dictionaryPages) encodings.push(ENCODING_PLAIN_DICTIONARY);
    encodings.push(ENCODING_RLE);
    return encodings;
  }

  /** The closed pages of the chunk, in order; valid until {@link resetChunk}. */
  pages(): Uint8Array[] {
    return this.chunk.views();
  }

  resetChunk(): void {
    this.chunk.clear();
    this.stats = new ChunkStatistics(this.column.type);
    this.uncompressed = 0;
    this.compressed = 0;
    this.numValues = 0;
    this.plainPages = false;
    this.dictionaryPages = false;
    this.dictionaryValues = 0;
    this.dictionary?.clear();
    this.dictionaryMode = this.dictionary !== undefined;
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
class RowGroupPacker {
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
    if (c.encodings.includes(ENCODING_PLAIN)) f |= CHUNK_PLAIN_PAGES;
    if (c.encodings.includes(ENCODING_PLAIN_DICTIONARY)) f |= CHUNK_DICTIONARY_PAGES;
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
function chunkAt(group: RowGroupMeta, i: number): ChunkMeta {
  const n = group.numbers;
  const at = i * NUMBERS;
  const f = group.flags[i]!;
  const minStart = i === 0 ? 0 : group.boundEnds[2 * i - 1]!;
  const minEnd = group.boundEnds[2 * i]!;
  const maxEnd = group.boundEnds[2 * i + 1]!;
  const encodings = [];
  if (f & CHUNK_PLAIN_PAGES) encodings.push(ENCODING_PLAIN);
  if (f & CHUNK_DICTIONARY_PAGES) encodings.push(ENCODING_PLAIN_DICTIONARY);
  encodings.push(ENCODING_RLE);
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
 * The row groups of a file's second part, written on another thread (see split-pass.ts) to `path`: its
 * offsets count from the part's first byte.
 */
export interface ParquetPart {
  readonly path: string;
  readonly rows: number;
  readonly bytes: number;
  readonly rowGroups: readonly RowGroupMeta[];
}

/** A row group's metadata moved `by` bytes further into the file. */
function shifted(group: RowGroupMeta, by: number): RowGroupMeta {
  const numbers = group.numbers.slice();
  for (let at = 0; at < numbers.length; at += NUMBERS) {
    numbers[at]! += by;
    numbers[at + 1]! += by;
  }
  return { ...group, offset: group.offset + by, numbers };
}

const MAGIC = Buffer.from('PAR1', 'latin1');
/** Columns up to which a row group gets the whole configured budget. */
const FULL_BUDGET_COLUMNS = 1024;
const MIN_WIDE_ROW_GROUP_BYTES = 8 << 20;

/**
 * The row-group budget for a table of `columns` columns: `configured` up to 1,024 columns, then
 * `configured * 1024 / columns`, not below 8 MiB (nor above `configured`). A wide table's columns each
 * get less than a page per row group, so every page stays open until the group is written: the group is
 * held uncompressed, with per-column buffers on top (4,096 columns at 32 MiB: 255-285 MB of RSS, at
 * 8 MiB about 225 MB). Not lower: the footer lists every column chunk of every row group, so small row
 * groups of a wide table make it large (about 65 bytes per chunk, in memory too until the file ends).
 */
export function rowGroupBudget(configured: number, columns: number): number {
  if (columns <= FULL_BUDGET_COLUMNS) return configured;
  const scaled = Math.floor((configured * FULL_BUDGET_COLUMNS) / columns);
  return Math.min(configured, Math.max(MIN_WIDE_ROW_GROUP_BYTES, scaled));
}

/** A Parquet file writer: see {@link createParquetWriter}. */
export class ParquetWriter implements FormatWriter {
  private readonly builders: ColumnChunkBuilder[];
  private readonly rowGroupBytes: number;
  private readonly rowGroups: RowGroupMeta[] = [];
  private groupRows = 0;
  private rows = 0;
  private offset = 0;

  constructor(
    private readonly schema: TableSchema,
    private readonly sink: ByteSink,
    private readonly options: ParquetWriterOptions,
  ) {
    const pageBytes = options.pageBytes ?? 1 << 20;
    // At most 16 MiB: 4 Mi entries of 4+ bytes, so indices fit the hybrid encoder's 24-bit limit.
    const dictionaryBytes = Math.min(options.dictionaryBytes ?? 1 << 20, 16 << 20);
    const scratch = {
      levels: new ByteBuffer(FIRST_BUFFER_BYTES),
      page: new ByteBuffer(FIRST_BUFFER_BYTES),
      header: new ThriftWriter(),
    };
    this.builders = schema.columns.map(
      (c) => new ColumnChunkBuilder(c, options.compression, pageBytes, dictionaryBytes, scratch),
    );
    this.rowGroupBytes = rowGroupBudget(options.rowGroupBytes ?? CONVERT_DEFAULTS.rowGroupBytes, schema.columns.length);
  }

  private async emit(chunk: Uint8Array): Promise<void> {
    this.offset += chunk.length;
    await this.sink.write(chunk);
  }

  async write(batch: ColumnBatch): Promise<void> {
    if (this.offset === 0 && !this.options.part) await this.emit(MAGIC);
    let buffered = 0;
    batch.columns.forEach((v, c) => {
      const builder = this.builders[c]!;
      builder.add(v);
      buffered += builder.bufferedBytes;
    });
    this.groupRows += batch.length;
    this.rows += batch.length;
    if (buffered >= this.rowGroupBytes) await this.flushRowGroup();
  }

  private async flushRowGroup(): Promise<void> {
    if (this.groupRows === 0) return;
    const offset = this.offset;
    // Chunks are packed as they are written: objects kept for the whole row group would outlive the
    // young generation, and a wide file makes one per column.
    const packer = new RowGroupPacker(this.builders.length);
    for (const builder of this.builders) {
      const last = builder.lastPage();
      const start = this.offset;
      const dictionaryPage = builder.dictionaryPage();
      if (dictionaryPage) await this.emit(dictionaryPage);
      const dataOffset = this.offset;
      for (const bytes of builder.pages()) await this.emit(bytes);
      for (const bytes of last) await this.emit(bytes);
      packer.add({
        offset: start,
        dataOffset,
        hasDictionary: dictionaryPage !== undefined,
        encodings: builder.encodings(),
        numValues: builder.numValues,
        uncompressed: builder.uncompressed,
        compressed: builder.compressed,
        nulls: builder.stats.nulls,
        bounds: builder.stats.bounds(),
      });
      builder.resetChunk();
    }
    this.rowGroups.push(packer.finish(this.groupRows, offset));
    this.groupRows = 0;
  }

  private footer(): Uint8Array {
    const t = new ThriftWriter();
    const columns = this.schema.columns;
    t.i32(1, 1);
    t.list(2, TType.Struct, columns.length + 1);
    t.element().binary(4, 'schema').i32(5, columns.length).end();
    for (const c of columns) {
      t.element().i32(1, PHYSICAL_OF[c.type]).i32(3, REPETITION_OPTIONAL).binary(4, c.name);
      switch (c.type) {
        case 'string':
          t.i32(6, CONVERTED_UTF8).struct(10).struct(1).end().end();
          break;
        case 'date':
          t.i32(6, CONVERTED_DATE).struct(10).struct(6).end().end();
          break;
        case 'timestamp':
          t.i32(6, CONVERTED_TIMESTAMP_MICROS)
            .struct(10)
            .struct(8)
            .bool(1, true)
            .struct(2)
            .struct(2)
            .end()
            .end()
            .end()
            .end();
          break;
      }
      t.end();
    }
    t.i64(3, this.rows);
    t.list(4, TType.Struct, this.rowGroups.length);
    for (const group of this.rowGroups) {
      t.element();
      t.list(1, TType.Struct, group.count);
      let total = 0;
      let compressed = 0;
      for (let i = 0; i < group.count; i++) {
        const chunk = chunkAt(group, i);
        const column = columns[i]!;
        total += chunk.uncompressed;
        compressed += chunk.compressed;
        t.element().i64(2, chunk.offset).struct(3);
        t.i32(1, PHYSICAL_OF[column.type]);
        t.list(2, TType.I32, chunk.encodings.length);
        for (const encoding of chunk.encodings) t.i32Element(encoding);
        t.list(3, TType.Binary, 1).binaryElement(column.name);
        t.i32(4, CODEC[this.options.compression]);
        t.i64(5, chunk.numValues)
          .i64(6, chunk.uncompressed)
          .i64(7, chunk.compressed)
          .i64(9, chunk.dataOffset);
        if (chunk.hasDictionary) t.i64(11, chunk.offset);
        t.struct(12).i64(3, chunk.nulls);
        const bounds = chunk.bounds;
        if (bounds) {
          if (bounds.max) t.binary(5, bounds.max);
          t.binary(6, bounds.min);
          if (bounds.max) t.bool(7, bounds.maxExact);
          t.bool(8, bounds.minExact);
        }
        t.end();
        t.end().end();
      }
      t.i64(2, total).i64(3, group.rows).i64(5, group.offset).i64(6, compressed);
      t.end();
    }
    t.list(5, TType.Struct, 1);
    t.element()
      .binary(1, 'csv2lake.columns')
      .binary(
        2,
        JSON.stringify(columns.map((c) => ({ name: c.name, sourceName: c.sourceName, type: c.type }))),
      )
      .end();
    t.binary(6, 'csv2lake');
    // TYPE_ORDER for every column: without a column order, readers must ignore min_value/max_value.
    t.list(7, TType.Struct, columns.length);
    for (let i = 0; i < columns.length; i++) t.element().struct(1).end().end();
    return t.finish();
  }

  /**
   * Writes the rest of the file: the last row group, then the blocks of `part` (the file's second part,
   * converted on another thread with the same schema), then the footer over both.
   */
  async close(part?: ParquetPart): Promise<WriterStats> {
    if (this.offset === 0) await this.emit(MAGIC);
    await this.flushRowGroup();
    if (part) {
      const base = this.offset;
      for await (const chunk of readFileChunks(part.path, { reuse: true })) await this.emit(chunk);
      for (const group of part.rowGroups) this.rowGroups.push(shifted(group, base));
      this.rows += part.rows;
    }
    const footer = this.footer();
    await this.emit(footer);
    const tail = new Uint8Array(8);
    new DataView(tail.buffer).setUint32(0, footer.length, true);
    tail.set(MAGIC, 4);
    await this.emit(tail);
    return { rows: this.rows, bytesWritten: this.offset, chunks: this.rowGroups.length };
  }

  /** With `part`: writes the last row group, no footer, and returns what the first part's footer needs. */
  async closePart(path: string): Promise<ParquetPart> {
    await this.flushRowGroup();
    return { path, rows: this.rows, bytes: this.offset, rowGroups: this.rowGroups };
  }
}

/**
 * A Parquet writer, written by hand for speed: flat schema of OPTIONAL columns with logical types
 * (STRING, DATE, TIMESTAMP(µs, UTC)); v1 data pages of about `pageBytes`, compressed one by one, with RLE
 * definition levels and PLAIN values, or dictionary indices for string columns with few distinct values;
 * column statistics (null count, min and max, strings over 64 bytes truncated and flagged inexact); row
 * groups written as soon as their buffered bytes reach `rowGroupBytes`, so memory is bounded by one row
 * group. The batches' buffers are copied: the caller may reuse them once `write` resolves.
 */
export function createParquetWriter(
  schema: TableSchema,
  sink: ByteSink,
  options: ParquetWriterOptions,
): ParquetWriter {
  return new ParquetWriter(schema, sink, options);
}
