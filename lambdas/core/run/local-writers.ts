import type { AvroContainerOptions } from '../avro/avro-container';
import { createAvroWriter } from '../avro/avro-writer';
import type { ColumnBatch } from '../model/column-batch';
import { CONVERT_DEFAULTS } from '../model/defaults';
import type { ConvertOptions, ConvertTargets, OutputFormat } from '../model/options';
import type { TableSchema } from '../model/schema';
import type { ByteSink } from '../model/sink';
import type { FormatWriter, WriterStats } from '../model/writer';
import { createParquetWriter, type ParquetWriterOptions } from '../parquet/parquet-writer';

/** Writer options a worker thread can receive (plain data). */
export type WriterOptions = Pick<
  ConvertOptions,
  'parquetCompression' | 'avroCodec' | 'rowGroupBytes' | 'avroBlockBytes'
>;

/** The Parquet writer's options of a conversion, defaults applied. */
export function parquetOptions(options: WriterOptions): ParquetWriterOptions {
  return {
    compression: options.parquetCompression ?? CONVERT_DEFAULTS.parquetCompression,
    rowGroupBytes: options.rowGroupBytes ?? CONVERT_DEFAULTS.rowGroupBytes,
  };
}

/** The Avro container's options of a conversion, defaults applied. */
export function avroOptions(options: WriterOptions): AvroContainerOptions {
  return {
    codec: options.avroCodec ?? CONVERT_DEFAULTS.avroCodec,
    blockBytes: options.avroBlockBytes ?? CONVERT_DEFAULTS.avroBlockBytes,
  };
}

/** Creates the writer of one format. */
export function createFormatWriter(
  format: OutputFormat,
  schema: TableSchema,
  sink: ByteSink,
  options: WriterOptions,
): FormatWriter {
  return format === 'parquet'
    ? createParquetWriter(schema, sink, parquetOptions(options))
    : createAvroWriter(schema, sink, avroOptions(options));
}

/** The writers of one conversion: every batch goes to each requested format. */
export interface WriterSet {
  write(batch: ColumnBatch): Promise<void>;
  close(): Promise<Partial<Record<OutputFormat, WriterStats>>>;
  /** Stops without finishing (the caller resets or discards the sinks). */
  discard(): Promise<void>;
}

/** Writers on the converting thread. */
export function localWriters(
  schema: TableSchema,
  formats: readonly OutputFormat[],
  targets: ConvertTargets,
  options: WriterOptions,
): WriterSet {
  const writers = formats.map((format) => ({
    format,
    writer: createFormatWriter(format, schema, targets[format]!, options),
  }));
  return {
    async write(batch) {
      for (const { writer } of writers) await writer.write(batch);
    },
    async close() {
      const stats: Partial<Record<OutputFormat, WriterStats>> = {};
      for (const { format, writer } of writers) stats[format] = await writer.close();
      return stats;
    },
    async discard() {},
  };
}
