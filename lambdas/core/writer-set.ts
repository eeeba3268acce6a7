import { Worker } from 'node:worker_threads';
import { buffersOf, ColumnBatch, handOver, type VectorData } from './model/column-batch';
import { createAvroWriter } from './avro/avro-writer';
import type { BlockCompressor } from './avro/avro-container';
import type { RangeJob, RangeOutcome } from './split-pass';
import { CONVERT_DEFAULTS } from './model/defaults';
import type { AvroCodec, ConvertOptions, ConvertTargets, OutputFormat } from './model/options';
import type { FormatWriter, WriterStats } from './model/writer';
import { createParquetWriter } from './parquet/parquet-writer';
import type { TableSchema } from './model/schema';
import type { ByteSink } from './model/sink';

/** Writer options a worker thread can receive (plain data). */
export type WriterOptions = Pick<
  ConvertOptions,
  'parquetCompression' | 'avroCodec' | 'rowGroupBytes' | 'avroBlockBytes'
>;

/** Creates the writer of one format. */
export function createFormatWriter(
  format: OutputFormat,
  schema: TableSchema,
  sink: ByteSink,
  options: WriterOptions,
): FormatWriter {
  return format === 'parquet'
    ? createParquetWriter(schema, sink, {
        compression: options.parquetCompression ?? CONVERT_DEFAULTS.parquetCompression,
        rowGroupBytes: options.rowGroupBytes ?? CONVERT_DEFAULTS.rowGroupBytes,
      })
    : createAvroWriter(schema, sink, {
        codec: options.avroCodec ?? CONVERT_DEFAULTS.avroCodec,
        blockBytes: options.avroBlockBytes ?? CONVERT_DEFAULTS.avroBlockBytes,
      });
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

/** Messages between the converting thread and the writer thread. */
export type ToWorker =
  | { kind: 'batch'; columns: VectorData[] }
  | { kind: 'close' }
  | { kind: 'compress'; id: number; bytes: Uint8Array }
  | { kind: 'range'; job: RangeJob };
export type FromWorker =
  | { kind: 'chunk'; format: OutputFormat; bytes: Uint8Array }
  | { kind: 'written'; columns: VectorData[] }
  | { kind: 'closed'; stats: Partial<Record<OutputFormat, WriterStats>> }
  | { kind: 'compressed'; id: number; bytes: Uint8Array; raw: Uint8Array }
  | { kind: 'range'; outcome: RangeOutcome }
  | { kind: 'error'; name: string; message: string };

/**
 * What a writer worker is started with: writers to run, a codec to compress blocks with, or range mode:
 * it then waits for the second part of a file to convert (a `range` message, see split-pass.ts).
 */
export type WorkerData =
  | { schema: TableSchema; formats: OutputFormat[]; options: WriterOptions }
  | { compress: AvroCodec }
  | { range: true };

/** A {@link BlockCompressor} on another thread, and the means to stop it. */
export interface CompressionThread extends BlockCompressor {
  close(): Promise<void>;
}

/**
 * Avro block compression on a second thread (the writer worker script, started in compression mode): each
 * block buffer is transferred to the thread (no copy) and comes back with the compressed bytes, to be
 * reused for a later block, so the converting thread encodes while the other compresses. A failure of the
 * thread rejects the blocks in flight.
 *
 * @param workerPath the bundled writer worker script (`writer-worker.cjs` beside the CLI bundle)
 */
export function compressionThread(workerPath: string, codec: AvroCodec): CompressionThread {
  const worker = new Worker(workerPath, { workerData: { compress: codec } satisfies WorkerData });
  const waiting = new Map<number, { resolve: (bytes: Uint8Array) => void; reject: (error: Error) => void }>();
  const free: Uint8Array[] = [];
  let next = 0;
  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    for (const w of waiting.values()) w.reject(failure);
    waiting.clear();
  };
  worker.on('message', (message: FromWorker) => {
    if (message.kind === 'compressed') {
      free.push(new Uint8Array(message.raw.buffer));
      waiting.get(message.id)?.resolve(message.bytes);
      waiting.delete(message.id);
    } else if (message.kind === 'error') {
      const error = new Error(message.message);
      error.name = message.name;
      fail(error);
    }
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the compression thread stopped (exit code ${code})`)));
  return {
    takesBuffers: true,
    compress(data) {
      if (failure) return Promise.reject(failure);
      const id = next++;
      worker.postMessage({ kind: 'compress', id, bytes: data } satisfies ToWorker, [
        data.buffer as ArrayBuffer,
      ]);
      return new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
    },
    reclaim: () => free.pop(),
    async close() {
      worker.removeAllListeners('exit');
      await worker.terminate();
    },
  };
}

/** Batches sent to the worker and not yet written: enough to keep both threads busy, little memory. */
const IN_FLIGHT = 2;

/**
 * Writers on a second thread: the converting thread hands each batch's buffers over (transferred, not
 * copied; the vectors go on in buffers that came back from earlier batches); the worker encodes and
 * compresses, sends the output bytes back, which are written to the sinks here in order, and returns the
 * batch's buffers. Tokenizing and encoding then run at the same time on two cores.
 *
 * @param workerPath the bundled writer worker script (`writer-worker.cjs` beside the CLI bundle)
 */
export function workerWriters(
  workerPath: string,
  schema: TableSchema,
  formats: readonly OutputFormat[],
  targets: ConvertTargets,
  options: WriterOptions,
): WriterSet {
  // Only the writer options: the rest of a conversion's options may hold functions, which a worker cannot take.
  const { parquetCompression, avroCodec, rowGroupBytes, avroBlockBytes } = options;
  const writerOptions = { parquetCompression, avroCodec, rowGroupBytes, avroBlockBytes };
  const data = { schema, formats: [...formats], options: writerOptions } satisfies WorkerData;
  const worker = new Worker(workerPath, { workerData: data });
  const spares: VectorData[][] = [];
  let inFlight = 0;
  let failure: Error | undefined;
  let sinkChain: Promise<void> = Promise.resolve();
  const waiters: (() => void)[] = [];
  let onClosed: ((stats: Partial<Record<OutputFormat, WriterStats>>) => void) | undefined;
  const wake = () => {
    for (const w of waiters.splice(0)) w();
  };
  worker.on('message', (message: FromWorker) => {
    switch (message.kind) {
      case 'chunk': {
        const sink = targets[message.format]!;
        sinkChain = sinkChain
          .then(() => sink.write(message.bytes))
          .catch((error: Error) => {
            failure ??= error;
            wake();
          });
        break;
      }
      case 'written':
        // The batch's buffers, back for reuse.
        message.columns.forEach((data, c) => (spares[c] ??= []).push(data));
        inFlight--;
        wake();
        break;
      case 'closed':
        onClosed?.(message.stats);
        break;
      case 'error': {
        const error = new Error(message.message);
        error.name = message.name;
        failure ??= error;
        wake();
      }
    }
  });
  worker.on('error', (error) => {
    failure ??= error;
    wake();
  });
  worker.on('exit', (code) => {
    if (code !== 0) failure ??= new Error(`the writer thread stopped (exit code ${code})`);
    wake();
  });
  const check = () => {
    if (failure) throw failure;
  };
  return {
    async write(batch) {
      check();
      const columns = batch.columns.map((v, c) => handOver(v, spares[c]?.pop()));
      worker.postMessage({ kind: 'batch', columns } satisfies ToWorker, columns.flatMap(buffersOf));
      inFlight++;
      while (inFlight > IN_FLIGHT && !failure) await new Promise<void>((resolve) => waiters.push(resolve));
      check();
    },
    async close() {
      check();
      const stats = await new Promise<Partial<Record<OutputFormat, WriterStats>>>((resolve, reject) => {
        onClosed = resolve;
        waiters.push(() => failure && reject(failure));
        worker.postMessage({ kind: 'close' } satisfies ToWorker);
      });
      await sinkChain;
      check();
      await worker.terminate();
      return stats;
    },
    async discard() {
      await worker.terminate();
      await sinkChain;
    },
  };
}
