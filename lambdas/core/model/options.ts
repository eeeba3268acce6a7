import type { ColumnNaming, ColumnType, TableLayout, TableSchema } from './schema';
import type { ByteSink } from './sink';

/*
 * The core's vocabulary: what a conversion is asked (options, where the outputs go) and what it answers
 * (the summary). Defaults are in defaults.ts, the checks in validate.ts.
 */

/** Output formats. */
export type OutputFormat = 'parquet' | 'avro';
export type ParquetCompression = 'snappy' | 'zstd' | 'gzip' | 'none';
export type AvroCodec = 'null' | 'deflate' | 'snappy';
export type TextEncoding = 'utf-8' | 'latin1' | 'windows-1252';

/** The Parquet compressions a conversion writes with, the default first. */
export const PARQUET_COMPRESSIONS: readonly ParquetCompression[] = ['snappy', 'zstd', 'gzip', 'none'];
/** The column namings a conversion writes with, the default first (see {@link ColumnNaming}). */
export const COLUMN_NAMINGS: readonly ColumnNaming[] = ['lake', 'exact'];
/** The Avro codecs a conversion writes with, the default first. */
export const AVRO_CODECS: readonly AvroCodec[] = ['snappy', 'deflate', 'null'];

/**
 * How a file writes its values when not as csv2lake reads them by default (spreadsheet and locale
 * exports). Each option says how the file IS written; none is guessed (see rows/locale.ts). A value the
 * options make ambiguous is text: with a decimal comma, `1.5` and `1.200` are no numbers (unless `.` is the
 * thousands separator: then `1.200` is 1200). Text columns keep their text as written.
 */
export interface ValueOptions {
  /** The decimal separator of numbers: `.` or `,`. @default '.' */
  readonly decimalSeparator?: string;
  /**
   * The thousands separator, one character other than the decimal separator (`,` `.` space, `'`, NBSP,
   * `_`): allowed between groups of three digits of a number. @default none
   */
  readonly thousandsSeparator?: string;
  /**
   * Dates in a strftime-like format as DuckDB's `dateformat` (`%d.%m.%Y`, `%m/%d/%Y`; see `compileFormat`),
   * besides ISO `YYYY-MM-DD`. @default ISO only
   */
  readonly dateFormat?: string;
  /**
   * Timestamps in a strftime-like format as DuckDB's `timestampformat` (`%d.%m.%Y %H:%M`,
   * `%m/%d/%Y %I:%M %p`), besides ISO 8601; without `%z`, UTC. @default ISO 8601 only
   */
  readonly timestampFormat?: string;
  /** Words read as true (ASCII case ignored), besides `true`. @default [] */
  readonly trueValues?: readonly string[];
  /** Words read as false (ASCII case ignored), besides `false`. @default [] */
  readonly falseValues?: readonly string[];
}

/** The keys of {@link ValueOptions} and the type of each. */
export const VALUE_OPTION_KEYS = {
  decimalSeparator: 'string',
  thousandsSeparator: 'string',
  dateFormat: 'string',
  timestampFormat: 'string',
  trueValues: 'string[]',
  falseValues: 'string[]',
} as const satisfies Record<keyof ValueOptions, 'string' | 'string[]'>;

/**
 * The schema file (`--schema`, and the workflow's schema location): overrides inference per column.
 * `{ "columns": { "<header name>": "<type>" }, "options": { <ValueOptions> } }` where type is one of
 * {@link ColumnType} (a decimal written `decimal(p,s)`). Columns it does not name are inferred. Naming a
 * column the file does not have is an error. Its `options` say how the values are written, over the
 * conversion's own (the workflow's `datasets.<name>` entries thus give one dataset its own).
 */
export interface SchemaFile {
  readonly columns: Readonly<Record<string, ColumnType>>;
  /** @default none: the conversion's */
  readonly options?: ValueOptions;
}

/** Options of one conversion. Everything has a default. */
export interface ConvertOptions extends ValueOptions {
  /** @default ['parquet', 'avro'] */
  readonly formats?: readonly OutputFormat[];
  /** One character (or `\t`). @default sniffed among `,` `;` tab `|` */
  readonly delimiter?: string;
  /**
   * Whether the first row (after {@link skipRows} and comment lines) holds column names; `false` names the
   * columns `column_1…column_n`. @default sniffed: the first row is data when its values fit the types of
   * the rows after it, as DuckDB decides
   */
  readonly header?: boolean;
  /**
   * The quote character; `''` turns quoting off, so that every byte is data (TSVs whose `"` is a plain
   * character). @default '"'
   */
  readonly quote?: string;
  /**
   * The character that escapes a quote inside a quoted field: the quote itself (`""`, RFC 4180) or another
   * one, such as `\\` (`\"` is then a quote and `\\` a backslash). @default the quote
   */
  readonly escape?: string;
  /** Lines whose first character is this one are skipped, like blank lines. @default none */
  readonly comment?: string;
  /** Physical lines skipped before the header (title lines). @default sniffed */
  readonly skipRows?: number;
  /** @default 'utf-8' (validated) */
  readonly encoding?: TextEncoding;
  /** Unquoted or quoted field values read as null, besides the empty unquoted field. @default [] */
  readonly nullTokens?: readonly string[];
  readonly schema?: SchemaFile;
  /**
   * How header texts become column names (see {@link ColumnNaming}): `lake`, one name valid in Glue,
   * Athena, Spark and Avro that both formats carry (`Order ID` → `order_id`); `exact`, the header text
   * kept in Parquet, the Avro field names then derived apart (an Avro name cannot hold a space). A schema
   * file may name a column by its header text or its lake name. A table implies `lake`. @default 'lake'
   */
  readonly columnNames?: ColumnNaming;
  /**
   * The table (dataset) this file joins: its columns and types are the floor this file's types widen from,
   * and its column order the output's (see {@link TableLayout}). Implies `lake` naming.
   * @default undefined: the file stands alone
   */
  readonly table?: TableLayout;
  /**
   * Called with the schema each time the writers are opened (the first pass's guess, then the final schema
   * when a second pass is needed), before they write a byte: an object store that must know what it stores
   * when an upload starts (S3 metadata) reads it here. @default none
   */
  readonly onOpen?: (schema: TableSchema) => void;
  /** @default 'snappy' */
  readonly parquetCompression?: ParquetCompression;
  /** @default 'snappy' */
  readonly avroCodec?: AvroCodec;
  /** Rejected rows tolerated before the conversion fails. @default 1000 */
  readonly maxRejects?: number;
  /**
   * Largest field (one value) in bytes, as in the file. A longer one fails the conversion with a
   * `MalformedCsvError` naming its line and column, as soon as it is read that far: it is almost always a
   * quote that is never closed, and a value is held several times over (input buffer, column vector,
   * Parquet page, Avro block). With a 16 MiB value a conversion to both formats peaks at about 200 MB of
   * RSS (Node included); raise this limit only with the memory to match. @default 16 MiB
   */
  readonly maxFieldBytes?: number;
  /**
   * Largest row in bytes, as in the file; a longer one fails the conversion like a long field. Memory
   * follows the row's size: a 32 MiB row takes about 250-270 MB. @default 16 MiB, or `maxFieldBytes`
   * when that is larger
   */
  readonly maxRowBytes?: number;
  /**
   * Most columns a file may have: a row (header included) with more fields fails the conversion with a
   * `MalformedCsvError`, before any per-column memory is taken (a data row with more fields fails too,
   * rather than being rejected). 4,096 is MySQL's hard limit and Oracle's with wide tables (PostgreSQL
   * and Redshift stop at 1,600, BigQuery at 10,000); a long file of 4,096 columns peaks at 225-250 MB of
   * RSS, one of 10,000 at 255-275 MB. @default 4096
   */
  readonly maxColumns?: number;
  /**
   * Uncompressed bytes at which a Parquet row group is flushed; less past 1,024 columns, in proportion to
   * the width, down to 8 MiB (a wide table's row group is held uncompressed). @default 32 MiB
   */
  readonly rowGroupBytes?: number;
  /** Uncompressed bytes at which an Avro block is flushed. @default 1 MiB */
  readonly avroBlockBytes?: number;
  /**
   * With a writer worker script, an input of at least this many bytes (its size on disk: compressed, for a
   * .gz) converts on two threads: one format alone from an uncompressed local file is cut at a row
   * boundary near its middle and each half converted on its own thread; otherwise encoding and compression
   * move to the writer thread. A smaller input converts on one thread: a second thread costs more to start
   * (0.1-0.2 s on a busy 2-vCPU machine) than it saves. On a 2-vCPU VM, one thread against two: 40 MB of
   * CSV to Parquet 0.62 s vs 0.63 cut and 0.67 with the writer thread, to Avro 0.41 vs 0.48; 64 MB to
   * Parquet 0.76 vs 0.71 cut, both formats 1.00 vs 0.99; 255 MB both formats 2.70 vs 2.14. @default 64 MiB
   */
  readonly secondThreadMinBytes?: number;
  /**
   * The bundled writer worker script (`dist/writer-worker.cjs`). When given, encoding and compression run
   * on a second thread while this one tokenizes (Avro alone: compression only, rows are encoded here; one
   * format from a large local file: the other thread converts the second half), for an input of at least
   * `secondThreadMinBytes`. @default undefined: everything on the calling thread
   */
  readonly writerWorkerPath?: string;
}

/** The options that say how to read the CSV text: one set for the CLI, the workflow and the construct. */
export type CsvDialectOptions = Pick<
  ConvertOptions,
  'delimiter' | 'header' | 'encoding' | 'quote' | 'escape' | 'comment' | 'skipRows'
> &
  ValueOptions;

/** The keys of {@link CsvDialectOptions} and the JavaScript type of each. */
export const CSV_DIALECT_KEYS = {
  delimiter: 'string',
  header: 'boolean',
  encoding: 'string',
  quote: 'string',
  escape: 'string',
  comment: 'string',
  skipRows: 'number',
  ...VALUE_OPTION_KEYS,
} as const satisfies Record<keyof CsvDialectOptions, 'string' | 'boolean' | 'number' | 'string[]'>;

/** The text encodings a conversion reads. */
export const TEXT_ENCODINGS: readonly TextEncoding[] = ['utf-8', 'latin1', 'windows-1252'];

/**
 * An input that can be read from the start more than once (inference reads it once, conversion again).
 * A local file re-opens; a network stream is spooled to a local file on the first read.
 */
export interface ReplayableSource {
  /** A short description for error messages, e.g. the file path or `s3://bucket/key`. */
  readonly name: string;
  open(): AsyncIterable<Uint8Array>;
  /**
   * The input's path when it is a local file that other threads may read too (it lets a large Avro
   * conversion split the file between two threads). @default undefined
   */
  readonly localPath?: string;
  /** The input's size in bytes, when known. @default undefined */
  readonly size?: number;
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
  /**
   * The output's columns, in output order, with their final types; with a table, each column of the file
   * also has its header text (`sourceName`), which a table column the file lacks has not.
   */
  readonly columns: readonly {
    readonly name: string;
    readonly type: ColumnType;
    readonly sourceName?: string;
  }[];
  readonly dialect: {
    readonly delimiter: string;
    /** Whether the first row was read as the header (given, or sniffed). */
    readonly header: boolean;
    /** Physical lines skipped above the header (given, or sniffed: title lines, a block of `#` lines). */
    readonly skipRows: number;
    /** The comment character (given, or `#` when sniffed), if any. */
    readonly comment?: string;
    readonly encoding: TextEncoding;
    readonly gzip: boolean;
    /** Whether the input was zstd-compressed. */
    readonly zstd: boolean;
  };
  /** When most rows were rejected: what to try (the dialect read with is most likely not the file's). */
  readonly advice?: string;
  /**
   * What the user should know about how values were read, each one line naming the option to pass: a
   * column kept as text because its numbers are ambiguous (`1.200` in a file of decimal commas).
   * @default absent: nothing to say
   */
  readonly warnings?: readonly string[];
  /** Bytes read from the source (compressed size when gzip or zstd). */
  readonly bytesIn: number;
  readonly bytesOut: Partial<Record<OutputFormat | 'rejects', number>>;
  /** 1 when the first pass's type guess held and the file was read once; 2 when it was read again. */
  readonly passes: 1 | 2;
  /**
   * 2 when the file was converted on two threads (one format): cut in two, or in three when the first
   * thread took the end of the file off a second thread that lagged (parallel/split-run.ts); else 1.
   */
  readonly parts: 1 | 2;
  /** Milliseconds per phase: `inferMs` the first pass (which also converts when `passes` is 1). */
  readonly timings: { readonly inferMs: number; readonly writeMs: number; readonly totalMs: number };
}
