import { InvalidOptionsError } from './errors';
import { AvroRowWriter } from './avro/avro-row-writer';
import {
  compressionThread,
  localWriters,
  workerWriters,
  WRITER_DEFAULTS,
  type WriterSet,
} from './writer-set';
import { firstPass, LIMIT_DEFAULTS, passOptions, writePass, type FirstPassResult } from './passes';
import { batchRows, type RowSink } from './row-sink';
import { SplitRun } from './split-pass';
import { createParquetWriter } from './parquet/parquet-writer';
import type { WriterStats } from './format-writer';
import { RejectSink } from './rejects';
import type { ByteSink } from './sink';
import type { ColumnType, TableLayout, TableSchema } from './schema';
import { checkTable, outputSchema, summaryColumns } from './table-layout';

/** The output schema of a file that stands alone (see table-layout.ts). */
export { tableSchema } from './table-layout';

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
   * One format alone from a local file at least this large, with a writer worker script: the file is cut
   * at a row boundary near its middle and each half converted on its own thread. @default 32 MiB
   */
  readonly splitMinBytes?: number;
  /**
   * The bundled writer worker script (`dist/writer-worker.cjs`). When given, encoding and compression run
   * on a second thread while this one tokenizes (Avro alone: compression only, rows are encoded here; one
   * format from a large local file: the other thread converts the second half, see `splitMinBytes`).
   * @default undefined: everything on the calling thread
   */
  readonly writerWorkerPath?: string;
}

/** The options that say how to read the CSV text: one set for the CLI, the workflow and the construct. */
export type CsvDialectOptions = Pick<
  ConvertOptions,
  'delimiter' | 'header' | 'encoding' | 'quote' | 'escape' | 'comment' | 'skipRows'
>;

/** The keys of {@link CsvDialectOptions} and the JavaScript type of each. */
export const CSV_DIALECT_KEYS = {
  delimiter: 'string',
  header: 'boolean',
  encoding: 'string',
  quote: 'string',
  escape: 'string',
  comment: 'string',
  skipRows: 'number',
} as const satisfies Record<keyof CsvDialectOptions, 'string' | 'boolean' | 'number'>;

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
  /** Bytes read from the source (compressed size when gzip or zstd). */
  readonly bytesIn: number;
  readonly bytesOut: Partial<Record<OutputFormat | 'rejects', number>>;
  /** 1 when the first pass's type guess held and the file was read once; 2 when it was read again. */
  readonly passes: 1 | 2;
  /** 2 when the file was cut in two and each part converted on its own thread (one format), else 1. */
  readonly parts: 1 | 2;
  /** Milliseconds per phase: `inferMs` the first pass (which also converts when `passes` is 1). */
  readonly timings: { readonly inferMs: number; readonly writeMs: number; readonly totalMs: number };
}

/** Default options, as documented on {@link ConvertOptions}. */
export const CONVERT_DEFAULTS = {
  formats: ['parquet', 'avro'] as readonly OutputFormat[],
  maxRejects: 1000,
  ...LIMIT_DEFAULTS,
  ...WRITER_DEFAULTS,
} as const;

const VALID_DELIMITERS = /^[^"\r\n]$/u;
const VALID_CHARACTERS = /^[^\r\n]$/u;

/**
 * Checks the options that say how to read the CSV text (every boundary that takes them calls it: the
 * conversion, the CLI, the converters' configuration).
 *
 * @throws InvalidOptionsError naming the option and what it must be
 */
export function checkDialect(options: CsvDialectOptions): void {
  if (options.encoding !== undefined && !TEXT_ENCODINGS.includes(options.encoding))
    throw new InvalidOptionsError(
      `encoding ${JSON.stringify(options.encoding)} is not one of ${TEXT_ENCODINGS.join(', ')}`,
    );
  const delimiter = options.delimiter;
  if (delimiter !== undefined && (!VALID_DELIMITERS.test(delimiter) || Buffer.byteLength(delimiter) !== 1)) {
    throw new InvalidOptionsError(
      `delimiter ${JSON.stringify(delimiter)} is not usable: give one single-byte character other than a quote or newline`,
    );
  }
  for (const option of ['quote', 'escape', 'comment'] as const) {
    const value = options[option];
    if (value === undefined || (option === 'quote' && value === '')) continue;
    if (!VALID_CHARACTERS.test(value) || Buffer.byteLength(value) !== 1 || value === options.delimiter)
      throw new InvalidOptionsError(
        `${option} ${JSON.stringify(value)} is not usable: give one single-byte character other than a newline` +
          `${option === 'quote' ? " (or '' for no quoting)" : ''} and other than the delimiter`,
      );
  }
  if (options.escape !== undefined && options.quote === '')
    throw new InvalidOptionsError(
      `escape ${JSON.stringify(options.escape)} needs quoting: it escapes quotes`,
    );
  if (options.skipRows !== undefined && !(Number.isSafeInteger(options.skipRows) && options.skipRows >= 0))
    throw new InvalidOptionsError(`skip rows must be a whole number >= 0, not ${options.skipRows}`);
}

function validate(options: ConvertOptions, targets: ConvertTargets): readonly OutputFormat[] {
  const formats = options.formats ?? CONVERT_DEFAULTS.formats;
  if (formats.length === 0)
    throw new InvalidOptionsError('no output format requested; use parquet, avro or both');
  for (const format of formats) {
    if (!targets[format]) throw new InvalidOptionsError(`no sink given for the ${format} output`);
  }
  checkDialect(options);
  if (
    options.maxRejects !== undefined &&
    !(Number.isInteger(options.maxRejects) && options.maxRejects >= 0)
  ) {
    throw new InvalidOptionsError(`max rejects must be a whole number >= 0, not ${options.maxRejects}`);
  }
  if (options.table !== undefined) checkTable(options.table);
  for (const [option, label] of [
    ['maxFieldBytes', 'max field bytes'],
    ['maxRowBytes', 'max row bytes'],
    ['maxColumns', 'max columns'],
  ] as const) {
    const value = options[option];
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0))
      throw new InvalidOptionsError(`${label} must be a whole number > 0, not ${value}`);
  }
  return formats;
}

/**
 * Converts one CSV input to Parquet and/or Avro, streaming, with types inferred from EVERY row.
 *
 * The first pass sniffs the dialect, rejects malformed rows and infers each column's type; it also
 * converts as it reads, with types guessed from the first MiB and checked on every value. When the guess
 * holds (the usual case) the file is read once. When a later value needs a wider type, the sinks are reset
 * and a second pass writes with the final types. Sinks without `reset` always get two passes. Memory is
 * bounded by the row group / block sizes, not by the input size.
 *
 * @throws EmptyInputError, UnsupportedEncodingError, MalformedCsvError, SchemaMismatchError,
 *   InvalidOptionsError — data errors: no retry will fix them.
 */
export async function convert(
  source: ReplayableSource,
  targets: ConvertTargets,
  options: ConvertOptions = {},
): Promise<ConversionSummary> {
  const formats = validate(options, targets);
  const started = performance.now();
  const pass = passOptions(options);
  const rejects = new RejectSink(targets.rejects);
  const sinks = formats.map((format) => targets[format]!);

  const alone = formats.length === 1 ? formats[0]! : undefined;
  const codec = options.avroCodec ?? WRITER_DEFAULTS.avroCodec;
  const blockBytes = options.avroBlockBytes ?? WRITER_DEFAULTS.avroBlockBytes;
  // Converting during the first pass needs sinks that can start over when the type guess fails.
  const speculate = sinks.every((sink) => typeof sink.reset === 'function');
  // One format from a large local file, with a second thread: each thread converts half of the file,
  // each with row groups of half the size, so that the two together hold no more than one thread would.
  const halfRowGroup = Math.ceil((options.rowGroupBytes ?? WRITER_DEFAULTS.rowGroupBytes) / 2);
  const split =
    alone && speculate && options.writerWorkerPath && source.localPath && source.size !== undefined
      ? new SplitRun(
          source.name,
          source.localPath,
          source.size,
          options.writerWorkerPath,
          pass,
          alone,
          {
            parquetCompression: options.parquetCompression,
            rowGroupBytes: halfRowGroup,
            avroCodec: options.avroCodec,
            avroBlockBytes: options.avroBlockBytes,
          },
          options.splitMinBytes,
        )
      : undefined;
  const splits = split?.splits === true;

  let first: FirstPassResult | undefined;
  let writers: Pick<WriterSet, 'close' | 'discard'> | undefined;
  const open = (schema: TableSchema): RowSink => {
    options.onOpen?.(schema);
    // Only the first pass is cut in two: a second pass (after a type guess failed) reads on one thread.
    const cutting = splits && first === undefined;
    if (alone === 'avro') {
      // A row format alone: rows are encoded straight from the CSV bytes; with a worker script, blocks are
      // compressed on the second thread, unless that thread converts the file's second half.
      const thread =
        options.writerWorkerPath && codec !== 'null' && !cutting
          ? compressionThread(options.writerWorkerPath, codec)
          : undefined;
      const avro = new AvroRowWriter(schema, targets.avro!, {
        codec,
        blockBytes,
        ...(thread ? { compressor: thread } : {}),
      });
      writers = {
        async close() {
          try {
            // The second part's blocks belong to the first pass's output only.
            return await avro.close(first?.converted ? split?.avroTail : undefined);
          } finally {
            await thread?.close();
          }
        },
        async discard() {
          await avro.discard();
          await thread?.close();
        },
      };
      return avro;
    }
    if (alone === 'parquet' && cutting) {
      // The second thread converts the file's second half: this one encodes its own row groups.
      const parquet = createParquetWriter(schema, targets.parquet!, {
        compression: options.parquetCompression ?? WRITER_DEFAULTS.parquetCompression,
        rowGroupBytes: halfRowGroup,
      });
      writers = {
        async close() {
          return { parquet: await parquet.close(first?.converted ? split?.parquetTail : undefined) };
        },
        async discard() {},
      };
      return batchRows(schema, (batch) => parquet.write(batch));
    }
    const set = options.writerWorkerPath
      ? workerWriters(options.writerWorkerPath, schema, formats, targets, options)
      : localWriters(schema, formats, targets, options);
    writers = set;
    return batchRows(schema, (batch) => set.write(batch));
  };

  let inferred: number;
  let schema: TableSchema;
  let rows: number;
  let stats: Partial<Record<OutputFormat, WriterStats>>;
  try {
    try {
      first = await firstPass(
        source.name,
        splits ? split!.chunks() : source.open(),
        pass,
        rejects,
        speculate
          ? { schemaFor: (headers, types) => outputSchema(headers, types, options.table), open }
          : undefined,
        splits ? split : undefined,
      );
    } catch (error) {
      await writers?.discard();
      throw error;
    }
    inferred = performance.now();
    schema = outputSchema(first.headers, first.types, options.table);
    rows = first.rows;
    if (!first.converted) {
      // The second part's blocks, if any, were written with the guess: they go.
      await split?.dispose();
      if (writers) {
        await writers.discard();
        for (const sink of sinks) await sink.reset!();
      }
      const sink = open(schema);
      try {
        rows = (await writePass(source.name, source.open(), pass, first, schema, sink)).rows;
      } catch (error) {
        await writers!.discard();
        throw error;
      }
    }
    stats = await writers!.close();
  } finally {
    await split?.dispose();
  }
  const bytesOut: Partial<Record<OutputFormat | 'rejects', number>> = {};
  for (const format of formats) bytesOut[format] = stats[format]!.bytesWritten;
  if (rejects.count > 0) bytesOut.rejects = rejects.bytes;
  const finished = performance.now();

  return {
    rows,
    rejectedRows: rejects.count,
    columns: summaryColumns(schema),
    dialect: {
      delimiter: first.delimiter,
      header: first.dialect.header,
      skipRows: first.dialect.skipRows,
      ...(first.dialect.comment >= 0 ? { comment: String.fromCharCode(first.dialect.comment) } : {}),
      encoding: pass.encoding,
      gzip: first.info.gzip,
      zstd: first.info.zstd === true,
    },
    ...(first.advice !== undefined ? { advice: first.advice } : {}),
    bytesIn: first.info.bytesIn,
    bytesOut,
    passes: first.converted ? 1 : 2,
    parts: first.converted && split?.kept ? 2 : 1,
    timings: {
      inferMs: Math.round(inferred - started),
      writeMs: Math.round(finished - inferred),
      totalMs: Math.round(finished - started),
    },
  };
}
