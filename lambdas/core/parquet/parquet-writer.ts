import { ByteBuffer } from '../bytes/byte-buffer';
import type { ColumnBatch } from '../model/column-batch';
import { CONVERT_DEFAULTS } from '../model/defaults';
import type { ParquetCompression } from '../model/options';
import type { TableSchema } from '../model/schema';
import type { ByteSink } from '../model/sink';
import type { FormatWriter, WriterStats } from '../model/writer';
import { RowGroupPacker, shifted, type ParquetPart, type RowGroupMeta } from './chunks';
import { encodeFooter } from './footer';
import { MAGIC } from './format';
import { ColumnChunkBuilder, FIRST_BUFFER_BYTES } from './pages';
import { ThriftWriter } from './thrift';

export type { ParquetPart } from './chunks';

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
   * A part of a file, to be appended to another writer's row groups (see
   * {@link ParquetWriter.appendRowGroups}): no leading magic and no footer; finish with
   * {@link ParquetWriter.closePart}. @default false
   */
  readonly part?: boolean;
}

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
      levelWords: { words: new Int32Array(FIRST_BUFFER_BYTES) },
      page: new ByteBuffer(FIRST_BUFFER_BYTES),
      header: new ThriftWriter(),
    };
    this.builders = schema.columns.map(
      (c) => new ColumnChunkBuilder(c, options.compression, pageBytes, dictionaryBytes, scratch),
    );
    this.rowGroupBytes = rowGroupBudget(
      options.rowGroupBytes ?? CONVERT_DEFAULTS.rowGroupBytes,
      schema.columns.length,
    );
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

  /**
   * Appends the row groups of a part of the file written apart (by a writer with `part: true`, the same
   * schema and options, e.g. on another thread) after this writer's own: `bytes` are the part's bytes,
   * `part` what that writer's {@link closePart} returned. Call after the last {@link write}, then
   * {@link close}, whose footer lists both writers' row groups. The writer reads no file: the caller
   * hands the bytes over.
   */
  async appendRowGroups(bytes: AsyncIterable<Uint8Array>, part: ParquetPart): Promise<void> {
    if (this.offset === 0) await this.emit(MAGIC);
    await this.flushRowGroup();
    const base = this.offset;
    for await (const chunk of bytes) await this.emit(chunk);
    for (const group of part.rowGroups) this.rowGroups.push(shifted(group, base));
    this.rows += part.rows;
  }

  /** Writes the rest of the file: the last row group, then the footer over every row group. */
  async close(): Promise<WriterStats> {
    if (this.offset === 0) await this.emit(MAGIC);
    await this.flushRowGroup();
    const footer = encodeFooter(this.schema.columns, this.rows, this.rowGroups, this.options.compression);
    await this.emit(footer);
    const tail = new Uint8Array(8);
    new DataView(tail.buffer).setUint32(0, footer.length, true);
    tail.set(MAGIC, 4);
    await this.emit(tail);
    return { rows: this.rows, bytesWritten: this.offset, chunks: this.rowGroups.length };
  }

  /** With `part`: writes the last row group, no footer, and returns what the first part's footer needs. */
  async closePart(): Promise<ParquetPart> {
    await this.flushRowGroup();
    return { rows: this.rows, bytes: this.offset, rowGroups: this.rowGroups };
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
