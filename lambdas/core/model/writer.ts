import type { ColumnBatch } from './column-batch';
import type { ByteSink } from './sink';
import type { TableSchema } from './schema';

/** Figures a writer reports when it closes. */
export interface WriterStats {
  readonly rows: number;
  readonly bytesWritten: number;
  /** Parquet: row groups; Avro: blocks. */
  readonly chunks: number;
}

/**
 * A streaming writer for one output format. `write` is called with successive batches (each batch's
 * arrays may be reused by the caller once `write` resolves); `close` writes the trailer and returns stats.
 * A writer flushes bounded pieces (row groups, blocks) to its sink as they fill, so memory does not grow
 * with the input.
 */
export interface FormatWriter {
  write(batch: ColumnBatch): Promise<void>;
  close(): Promise<WriterStats>;
}

/** What a writer factory takes. */
export type FormatWriterFactory<Options> = (
  schema: TableSchema,
  sink: ByteSink,
  options: Options,
) => FormatWriter;
