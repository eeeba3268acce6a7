import { AvroRowWriter } from './rows/avro-rows';
import {
  compressionThread,
  localWriters,
  workerWriters,
  type WriterSet,
} from './writer-set';
import { firstPass, writePass, type FirstPassResult } from './run/passes';
import { passOptions } from './run/pass-options';
import { batchRows } from './rows/column-sink';
import type { RowSink } from './rows/value-rules';
import { SplitRun } from './split-pass';
import { createParquetWriter } from './parquet/parquet-writer';
import type { WriterStats } from './model/writer';
import { RejectSink } from './csv/rejects';
import { readFileChunks } from './bytes/file-chunks';
import type { TableSchema } from './model/schema';
import { outputSchema, summaryColumns } from './model/table-layout';
import { checkOptions } from './model/validate';
import { CONVERT_DEFAULTS } from './model/defaults';
import type {
  ConversionSummary,
  ConvertOptions,
  ConvertTargets,
  OutputFormat,
  ReplayableSource,
} from './model/options';

/** The output schema of a file that stands alone (see table-layout.ts). */
export { tableSchema } from './model/table-layout';
export * from './model/options';
export { CONVERT_DEFAULTS } from './model/defaults';
export { checkDialect } from './model/validate';

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
  const formats = checkOptions(options, targets);
  const started = performance.now();
  const pass = passOptions(options);
  const rejects = new RejectSink(targets.rejects);
  const sinks = formats.map((format) => targets[format]!);

  const alone = formats.length === 1 ? formats[0]! : undefined;
  const codec = options.avroCodec ?? CONVERT_DEFAULTS.avroCodec;
  const blockBytes = options.avroBlockBytes ?? CONVERT_DEFAULTS.avroBlockBytes;
  // Converting during the first pass needs sinks that can start over when the type guess fails.
  const speculate = sinks.every((sink) => typeof sink.reset === 'function');
  // One format from a large local file, with a second thread: each thread converts half of the file,
  // each with row groups of half the size, so that the two together hold no more than one thread would.
  const halfRowGroup = Math.ceil((options.rowGroupBytes ?? CONVERT_DEFAULTS.rowGroupBytes) / 2);
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
            const tail = first?.converted ? split?.avroTail : undefined;
            if (tail) {
              const counts = { rows: tail.rows, chunks: tail.blocks, bytesWritten: tail.bytes };
              await avro.appendBlocks(readFileChunks(tail.path, { reuse: true }), counts);
            }
            return await avro.close();
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
        compression: options.parquetCompression ?? CONVERT_DEFAULTS.parquetCompression,
        rowGroupBytes: halfRowGroup,
      });
      writers = {
        async close() {
          // The second part's row groups belong to the first pass's output only.
          const tail = first?.converted ? split?.parquetTail : undefined;
          if (tail) await parquet.appendRowGroups(readFileChunks(tail.path, { reuse: true }), tail.parquet);
          return { parquet: await parquet.close() };
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
