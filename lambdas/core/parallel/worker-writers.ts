import { Worker } from 'node:worker_threads';
import type { ConvertTargets, OutputFormat } from '../model/options';
import type { TableSchema } from '../model/schema';
import type { WriterStats } from '../model/writer';
import type { WriterOptions, WriterSet } from '../run/local-writers';
import type { FromWorker, ToWorker, WorkerData } from './messages';
import { buffersOf, handOver, type VectorData } from './transfer';

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
