import type { ByteSink } from './sink';
import type { ColumnType } from './schema';

/** Output formats. */
export type OutputFormat = 'parquet' | 'avro';
export type ParquetCompression = 'snappy' | 'zstd' | 'gzip' | 'none';
export type AvroCodec = 'null' | 'deflate' | 'snappy';
export type TextEncoding = 'utf-8' | 'latin1' | 'windows-1252';

/**
 * The schema file (`--schema`, and the workflow's schema location): overrides inference per column.
 * `{ "columns": { "<header name>": "<type>" } }` where type is one of {@link ColumnType}.
 * Columns it does not name are inferred. Naming a column the file does not have is an error.
 */
export interface SchemaFile {
  readonly columns: Readonly<Record<string, ColumnType>>;
}

/** Options of one conversion. Everything has a default. */
export interface ConvertOptions {
  /** @default ['parquet', 'avro'] */
  readonly formats?: readonly OutputFormat[];
  /** One character (or `\t`). @default sniffed among `,` `;` tab `|` */
  readonly delimiter?: string;
  /** Whether the first row holds column names. @default true */
  readonly header?: boolean;
  /** @default 'utf-8' (validated) */
  readonly encoding?: TextEncoding;
  /** Unquoted or quoted field values read as null, besides the empty unquoted field. @default [] */
  readonly nullTokens?: readonly string[];
  readonly schema?: SchemaFile;
  /** @default 'snappy' */
  readonly parquetCompression?: ParquetCompression;
  /** @default 'snappy' */
  readonly avroCodec?: AvroCodec;
  /** Rejected rows tolerated before the conversion fails. @default 1000 */
  readonly maxRejects?: number;
  /** Uncompressed bytes at which a Parquet row group is flushed. @default 64 MiB */
  readonly rowGroupBytes?: number;
  /** Uncompressed bytes at which an Avro block is flushed. @default 1 MiB */
  readonly avroBlockBytes?: number;
}

/**
 * An input that can be read from the start more than once (inference reads it once, conversion again).
 * A local file re-opens; a network stream is spooled to a local file on the first read.
 */
export interface ReplayableSource {
  /** A short description for error messages, e.g. the file path or `s3://bucket/key`. */
  readonly name: string;
  open(): AsyncIterable<Uint8Array>;
}

/** Where the outputs go. A sink is asked for only when its format is requested / rows are rejected. */
export interface ConvertTargets {
  readonly parquet?: ByteSink;
  readonly avro?: ByteSink;
  /** Called at most once, on the first rejected row. */
  readonly rejects: () => ByteSink;
}

/** What a conversion did. */
export interface ConversionSummary {
  readonly rows: number;
  readonly rejectedRows: number;
  readonly columns: readonly { readonly name: string; readonly type: ColumnType }[];
  readonly dialect: {
    readonly delimiter: string;
    readonly header: boolean;
    readonly encoding: TextEncoding;
    readonly gzip: boolean;
  };
  /** Bytes read from the source (compressed size when gzip). */
  readonly bytesIn: number;
  readonly bytesOut: Partial<Record<OutputFormat | 'rejects', number>>;
  /** Milliseconds per phase. */
  readonly timings: { readonly inferMs: number; readonly writeMs: number; readonly totalMs: number };
}
