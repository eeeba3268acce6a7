import { RejectSink } from './csv/rejects';
import type {
  ConversionSummary,
  ConvertOptions,
  ConvertTargets,
  OutputFormat,
  ReplayableSource,
} from './model/options';
import type { TableSchema } from './model/schema';
import { outputSchema, summaryColumns } from './model/table-layout';
import { checkOptions } from './model/validate';
import type { WriterStats } from './model/writer';
import type { RowSink } from './rows/value-rules';
import { passOptions } from './run/pass-options';
import { firstPass, writePass, type FirstPassResult } from './run/passes';
import { WriterPlan, type Outputs } from './writer-plan';

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

  const plan = new WriterPlan(source, formats, targets, options, pass);
  const split = plan.split;
  const splits = split !== undefined;

  let first: FirstPassResult | undefined;
  let outputs: Outputs | undefined;
  const open = (schema: TableSchema): RowSink => {
    options.onOpen?.(schema);
    // Only the first pass is cut in two: a second pass (after a type guess failed) reads on one thread.
    outputs = plan.open(schema, splits && first === undefined);
    return outputs.rows;
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
        plan.speculate
          ? {
              schemaFor: (headers, types) => outputSchema(headers, types, options.table, options.columnNames),
              open,
            }
          : undefined,
        splits ? split : undefined,
      );
    } catch (error) {
      await outputs?.discard();
      throw error;
    }
    inferred = performance.now();
    schema = outputSchema(first.headers, first.types, options.table, options.columnNames);
    rows = first.rows;
    if (!first.converted) {
      // The second part's blocks, if any, were written with the guess: they go.
      await split?.dispose();
      if (outputs) {
        await outputs.discard();
        for (const format of formats) await targets[format]!.reset!();
      }
      const sink = open(schema);
      try {
        rows = (await writePass(source.name, source.open(), pass, first, schema, sink)).rows;
      } catch (error) {
        await outputs!.discard();
        throw error;
      }
    }
    stats = await outputs!.close();
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
    ...(first.warnings.length > 0 ? { warnings: first.warnings } : {}),
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
