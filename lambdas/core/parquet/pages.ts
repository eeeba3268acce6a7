import { ByteBuffer, RETAINED_BYTES } from '../bytes/byte-buffer';
import type { ColumnVector } from '../model/column-batch';
import type { ParquetCompression } from '../model/options';
import type { Column } from '../model/schema';
import { ChunkBytes } from './chunks';
import {
  COMPRESS,
  DataPageHeader,
  DictionaryPageHeader,
  Encoding,
  PageHeader,
  fixedLengthOf,
  PageType,
} from './format';
import { appendPlain } from './plain-values';
import { encodeAllValid, encodeHybrid } from './rle-hybrid';
import { ChunkStatistics } from './statistics';
import { lookUpNumbers, NumberDictionary } from './number-dictionary';
import { StringDictionary } from './string-dictionary';
import { ThriftWriter } from './thrift';

/** First size of a column's page, values, levels and validity buffers (doubled as pages need). */
export const FIRST_BUFFER_BYTES = 64;
/** Dictionary indices of a column that has none yet (replaced when it grows, never written). */
const NO_INDICES = new Int32Array(0);
/**
 * Dictionary encoding stops when more than this share of a chunk's values (past 1,024) are distinct. Not
 * lower: a column of 20,000 dates has 68% distinct values in its first 16,384 and 10% over a chunk.
 */
const MAX_DISTINCT_SHARE = 0.75;
/**
 * A chunk whose first EARLY_VALUES values are more than EARLY_SHARE distinct is given up there: ids,
 * amounts and instants cost a few thousand lookups, not a batch's (those dates are 90% distinct there).
 */
const EARLY_VALUES = 4096;
const EARLY_SHARE = 0.95;
/** Values of a chunk after which the share of distinct values (and a string dictionary's gain) is judged. */
const DICTIONARY_TRIAL = 1024;
/**
 * Values of a chunk up to which (from DICTIONARY_TRIAL on) its dictionary may take up to {@link TRIAL_SLACK}
 * times the PLAIN bytes:
 * the entries come first, the gain later (those 20,000 dates: 1.12 times at 16,384 values, 0.93 at 32,768,
 * 0.64 over the chunk, where DuckDB has 2.55 MB against 4.0 PLAIN).
 */
const GAIN_TRIAL = 65536;
const TRIAL_SLACK = 1.25;
/** About what a dictionary page's header adds, counted against a dictionary's gain. */
const DICTIONARY_PAGE_OVERHEAD = 16;
/**
 * Most chunks a column that gave up its dictionary on a chunk's first values writes PLAIN before trying
 * it again (a trial of a distinct column costs about EARLY_VALUES lookups, and writes nothing else).
 */
const MAX_PLAIN_CHUNKS = 16;
/** Bytes per value of the fixed-width types that are dictionary-encoded (booleans are bit-packed). */
const DICTIONARY_WIDTH: Partial<Record<string, 4 | 8>> = {
  int32: 4,
  date: 4,
  int64: 8,
  timestamp: 8,
  double: 8,
};

/** The buffers a writer's columns assemble their pages in (see {@link ColumnChunkBuilder}). */
export interface PageScratch {
  readonly levels: ByteBuffer;
  /**
   * A page's definition levels as 32-bit words, while they are encoded (see `encodePage`): encodeHybrid
   * then only ever meets Int32Arrays, as dictionary indices are, and V8 does not compile it again at the
   * first page with a null ("wrong map"). The pages keep their levels as bytes: a sparse column's page
   * can hold a whole row group's rows.
   */
  readonly levelWords: { words: Int32Array };
  readonly page: ByteBuffer;
  /** Data page headers. */
  readonly header: ThriftWriter;
}

/**
 * The pages of one column in the row group being built, and the page being filled. String and numeric
 * columns (not booleans) start each chunk dictionary-encoded and fall back to PLAIN for the rest of the
 * chunk when the dictionary grows too large, too many values are distinct, or the dictionary and its
 * indices would take more bytes than the values PLAIN. A column that falls back on its chunk's first
 * values skips the dictionary for its next chunks (a CSV column's cardinality does not change much from one
 * row group to the next: ids, amounts and instants cost no lookups), trying it again after 1, 2, 4 … up to
 * {@link MAX_PLAIN_CHUNKS} chunks, so that a column that becomes repetitive later gets its dictionary back.
 */
export class ColumnChunkBuilder {
  /** A FIXED_LEN_BYTE_ARRAY column's bytes per value (a decimal of 19 to 38 digits), else 0. */
  private readonly fixedLength: number;
  private valid: Uint8Array = new Uint8Array(FIRST_BUFFER_BYTES);
  private rows = 0;
  /** Rows of the open page without a value: while 0, `valid` is not written (see appendLevels). */
  private nulls = 0;
  private readonly values = new ByteBuffer(FIRST_BUFFER_BYTES);
  private readonly chunk = new ChunkBytes();
  /** Boolean values in the open page. */
  private booleans = 0;
  /** The chunk's dictionary, undefined when given up on the chunk's first values (or for booleans). */
  private dictionary: StringDictionary | NumberDictionary | undefined;
  /** A new dictionary for the column (undefined when it never has one). */
  private readonly newDictionary: (() => StringDictionary | NumberDictionary) | undefined;
  /** Chunks to write PLAIN before the dictionary is tried again, and how many the next give-up skips. */
  private plainChunksLeft = 0;
  private plainGap = 0;
  /** Whether the open page holds dictionary indices (else PLAIN values). */
  private dictionaryMode: boolean;
  private indices = NO_INDICES;
  private indexCount = 0;
  /** Values of the chunk written as dictionary indices. */
  private dictionaryValues = 0;
  /** The PLAIN size of those values: what the dictionary must beat. */
  private dictionaryPlainBytes = 0;
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
    this.fixedLength = fixedLengthOf(column.type);
    this.stats = new ChunkStatistics(column.type);
    const width = DICTIONARY_WIDTH[column.type];
    if (dictionaryBytes > 0 && column.type === 'string')
      this.newDictionary = () => new StringDictionary(dictionaryBytes);
    else if (dictionaryBytes > 0 && width)
      this.newDictionary = () => new NumberDictionary(width, dictionaryBytes);
    this.dictionary = this.newDictionary?.();
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
    if (this.dictionaryMode) {
      const known = this.dictionary!.size;
      if (this.addIndices(v)) {
        this.addStatistics(v, known);
        this.appendLevels(v);
        if (4 * this.indexCount >= this.pageBytes) this.closePage();
        return;
      }
      // Give up the dictionary for the rest of the chunk: the values seen so far stay dictionary-encoded,
      // this batch and the next ones are PLAIN. On the chunk's first values, for the next chunks too.
      this.closePage();
      this.dictionaryMode = false;
      if (this.dictionaryValues === 0) {
        this.dictionary = undefined;
        this.plainGap = Math.min(MAX_PLAIN_CHUNKS, Math.max(1, 2 * this.plainGap));
        this.plainChunksLeft = this.plainGap;
      }
    }
    this.stats.add(v);
    this.appendLevels(v);
    this.booleans = appendPlain(v, this.fixedLength, this.booleans, this.values);
    if (this.values.pos >= this.pageBytes) this.closePage();
  }

  /**
   * The statistics of a batch whose values all went into the dictionary, which held `known` entries
   * before: a string chunk's bounds from the new entries alone (string bounds cost some 18 ns a value
   * compared one by one; numbers 2 ns, not worth it).
   */
  private addStatistics(v: ColumnVector, known: number): void {
    const dictionary = this.dictionary;
    if (dictionary instanceof StringDictionary) {
      const { bytes } = dictionary.plain;
      this.stats.addEntries(v, bytes, dictionary.starts, dictionary.lengths, known, dictionary.size);
    } else this.stats.add(v);
  }

  private appendLevels(v: ColumnVector): void {
    const n = v.length;
    // While the page has no nulls its levels are all ones: nothing to copy now nor scan at its close.
    if (this.nulls === 0 && v.count === n) {
      this.rows += n;
      return;
    }
    if (this.rows + n > this.valid.length) {
      const next = new Uint8Array(Math.max(this.valid.length * 2, this.rows + n));
      next.set(this.valid.subarray(0, this.rows));
      this.valid = next;
    }
    if (this.nulls === 0) this.valid.fill(1, 0, this.rows);
    this.valid.set(v.valid.subarray(0, n), this.rows);
    this.rows += n;
    this.nulls += n - v.count;
  }

  /**
   * Looks the batch's values up in the dictionary and appends their indices to the open page; false
   * (nothing appended) when the dictionary is full, when past {@link DICTIONARY_TRIAL} values more than
   * {@link MAX_DISTINCT_SHARE} of the chunk's values are distinct, or when the dictionary page and the
   * bit-packed indices would be larger than the values PLAIN (both uncompressed: a measured gain, per
   * chunk, rather than a rule per type). Strings are judged on their gain past DICTIONARY_TRIAL values
   * only (a small chunk of strings is dictionary-encoded, as it always was), numbers from the first.
   */
  private addIndices(v: ColumnVector): boolean {
    const dictionary = this.dictionary!;
    const count = v.count;
    if (this.indexCount + count > this.indices.length) {
      const next = new Int32Array(Math.max(this.indices.length * 2, this.indexCount + count));
      next.set(this.indices.subarray(0, this.indexCount));
      this.indices = next;
    }
    const values = this.dictionaryValues + count;
    // The share rules, checked as the batch goes (the size only grows): over a chunk's first
    // EARLY_VALUES values, then at the batch's end.
    const maxSize = values >= DICTIONARY_TRIAL ? MAX_DISTINCT_SHARE * values : Infinity;
    const early = Math.max(0, Math.min(count, EARLY_VALUES - this.dictionaryValues));
    const look = (from: number, to: number, at: number, max: number) =>
      dictionary instanceof StringDictionary
        ? dictionary.lookUp(v.bytes, v.offsets, from, to, this.indices, at, max)
        : lookUpNumbers(dictionary, v, from, to, this.indices, at, max);
    let found = this.indexCount;
    if (early > 0) found = look(0, early, found, Math.min(EARLY_SHARE * EARLY_VALUES, maxSize));
    if (found >= 0 && early < count) found = look(early, count, found, maxSize);
    if (dictionary instanceof StringDictionary) dictionary.forgetBatch();
    if (found < 0) return false;
    const plainBytes =
      this.dictionaryPlainBytes +
      (v.type === 'string'
        ? v.offsets[count]! - v.offsets[0]! + 4 * count
        : count * (v.type === 'int32' || v.type === 'date' ? 4 : 8));
    if (values >= DICTIONARY_TRIAL || v.type !== 'string') {
      const cost =
        dictionary.plain.pos +
        DICTIONARY_PAGE_OVERHEAD +
        Math.ceil((values * bitWidthOf(dictionary.size)) / 8);
      // The slack only once there are enough values to judge by (a first small batch is judged as it is).
      const slack = values >= DICTIONARY_TRIAL && values < GAIN_TRIAL ? TRIAL_SLACK : 1;
      if (cost >= plainBytes * slack) return false;
    }
    this.indexCount = found;
    this.dictionaryValues = values;
    this.dictionaryPlainBytes = plainBytes;
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
    if (this.nulls === 0) encodeAllValid(this.rows, levels);
    else {
      const held = this.scratch.levelWords;
      if (held.words.length < this.rows)
        held.words = new Int32Array(Math.max(this.rows, 2 * held.words.length));
      held.words.set(this.valid.subarray(0, this.rows));
      encodeHybrid(held.words, this.rows, 1, levels);
    }
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
      const bitWidth = bitWidthOf(this.dictionary!.size);
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
      .i32(PageHeader.type, PageType.DATA_PAGE)
      .i32(PageHeader.uncompressed_page_size, raw.length)
      .i32(PageHeader.compressed_page_size, body.length)
      .struct(PageHeader.data_page_header)
      .i32(DataPageHeader.num_values, this.rows)
      .i32(DataPageHeader.encoding, indexed ? Encoding.PLAIN_DICTIONARY : Encoding.PLAIN)
      .i32(DataPageHeader.definition_level_encoding, Encoding.RLE)
      .i32(DataPageHeader.repetition_level_encoding, Encoding.RLE)
      .end()
      .finish();
    this.uncompressed += header.length + raw.length;
    this.compressed += header.length + body.length;
    this.numValues += this.rows;
    this.rows = 0;
    this.nulls = 0;
    this.values.pos = 0;
    if (this.values.bytes.length > RETAINED_BYTES) {
      this.values.bytes = new Uint8Array(FIRST_BUFFER_BYTES);
      this.values.view.forget();
    }
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
      .i32(PageHeader.type, PageType.DICTIONARY_PAGE)
      .i32(PageHeader.uncompressed_page_size, raw.length)
      .i32(PageHeader.compressed_page_size, body.length)
      .struct(PageHeader.dictionary_page_header)
      .i32(DictionaryPageHeader.num_values, dictionary.size)
      .i32(DictionaryPageHeader.encoding, Encoding.PLAIN_DICTIONARY)
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
    if (this.plainPages) encodings.push(Encoding.PLAIN);
    if (this.dictionaryPages) encodings.push(Encoding.PLAIN_DICTIONARY);
    encodings.push(Encoding.RLE);
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
    this.dictionaryPlainBytes = 0;
    if (this.dictionary) {
      this.dictionary.clear();
      this.plainGap = 0;
    } else if (this.plainChunksLeft > 0) this.plainChunksLeft--;
    else this.dictionary = this.newDictionary?.();
    this.dictionaryMode = this.dictionary !== undefined;
  }
}

/** Bits per dictionary index for a dictionary of `size` entries (at least 1). */
function bitWidthOf(size: number): number {
  return size <= 2 ? 1 : 32 - Math.clz32(size - 1);
}
