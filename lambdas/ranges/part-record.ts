import type { RejectedRow } from '../core/csv/rejects';
import type { OutputFormat } from '../core/model/options';
import type { WriterStats } from '../core/model/writer';
import type { ParquetPart } from '../core/parquet/parquet-writer';
import type { RowGroupMeta } from '../core/parquet/chunks';

/*
 * What a range's conversion leaves for the join, as plain JSON (a record object beside the part's bytes
 * on S3, a message between threads locally).
 */

/** A Parquet part's footer material, JSON-safe: the packed row-group metadata, base64. */
export interface StoredParquetPart {
  readonly rows: number;
  readonly bytes: number;
  readonly rowGroups: readonly {
    readonly rows: number;
    readonly offset: number;
    readonly count: number;
    readonly numbers: string;
    readonly flags: string;
    readonly boundEnds: string;
    readonly bounds: string;
  }[];
}

/** A range's part: where its bytes are and what the join needs to place them. */
export interface PartOutput {
  /** The part object's key (S3) or path (local). */
  readonly key: string;
  /** Its ETag, so that the join copies exactly this version (`x-amz-copy-source-if-match`). */
  readonly etag?: string;
  /** Bytes of the object. */
  readonly bytes: number;
  /**
   * Bytes before the first row group in the object: 4 (`PAR1`) for part 0 of a Parquet file, else 0; part
   * 0 of an Avro file holds the container header (its blocks need no offsets).
   */
  readonly prefixBytes: number;
  readonly parquet?: StoredParquetPart;
  readonly avro?: WriterStats;
  /**
   * The fingerprint of the columns the part was written with (lambdas/lake/dataset-schema.ts): a range item
   * converts with its dataset's stored schema as the floor, which another file may widen while a key's
   * ranges convert, so the join checks every part's against its own. Absent in records of older versions.
   */
  readonly schema?: string;
}

/** Everything one range's conversion found (lines count from the range's first line, 1). */
export interface PartRecord {
  readonly index: number;
  /** 1: with the head's type guess; 2: again, with the file's final types (a column was widened). */
  readonly round: 1 | 2;
  readonly format: OutputFormat;
  /** Where the range's first row starts (speculative unless `exactStart`), and where its rows ended. */
  readonly start: number;
  readonly end?: number;
  /** The start was given (the previous range's end), not found by the speculative scan. */
  readonly exactStart: boolean;
  /** Line terminators read, to shift the next ranges' line numbers. */
  readonly lines?: number;
  readonly rows?: number;
  readonly rejects?: readonly RejectedRow[];
  readonly masks?: readonly number[];
  readonly seen?: readonly number[];
  /** Every value fitted the types converted with, so the part is complete (see `output`). */
  readonly held?: boolean;
  readonly bytesIn?: number;
  /** Milliseconds the range's conversion took (its part written): what the join's time estimate reads. */
  readonly durationMs?: number;
  /** Present when `held`. */
  readonly output?: PartOutput;
  /** A data error of the range (its line numbers count from the range's first line). */
  readonly error?: { readonly name: string; readonly message: string };
}

const b64 = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
function typed<T>(text: string, make: (buffer: ArrayBuffer) => T): T {
  const bytes = Buffer.from(text, 'base64');
  // Copied to a fresh, aligned buffer: a typed array view needs its element alignment.
  return make(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

/** A Parquet part's metadata as JSON-safe data. */
export function storeParquetPart(part: ParquetPart): StoredParquetPart {
  return {
    rows: part.rows,
    bytes: part.bytes,
    rowGroups: part.rowGroups.map((g) => ({
      rows: g.rows,
      offset: g.offset,
      count: g.count,
      numbers: b64(g.numbers),
      flags: b64(g.flags),
      boundEnds: b64(g.boundEnds),
      bounds: b64(g.bounds),
    })),
  };
}

/** Back from {@link storeParquetPart}. */
export function loadParquetPart(stored: StoredParquetPart): ParquetPart {
  return {
    rows: stored.rows,
    bytes: stored.bytes,
    rowGroups: stored.rowGroups.map((g): RowGroupMeta => ({
      rows: g.rows,
      offset: g.offset,
      count: g.count,
      numbers: typed(g.numbers, (b) => new Float64Array(b)),
      flags: typed(g.flags, (b) => new Uint8Array(b)),
      boundEnds: typed(g.boundEnds, (b) => new Int32Array(b)),
      bounds: typed(g.bounds, (b) => new Uint8Array(b)),
    })),
  };
}
