/* The writer thread (see workerWriters): encodes and compresses batches, sends the bytes back. */
import { parentPort, workerData } from 'node:worker_threads';
import { ColumnBatch, vectorFromData } from './column-batch';
import type { FormatWriter } from './format-writer';
import type { OutputFormat } from './convert';
import { createFormatWriter, type FromWorker, type ToWorker, type WorkerData } from './writer-set';

const port = parentPort!;
const { schema, formats, options } = workerData as WorkerData;
const writers: { format: OutputFormat; writer: FormatWriter }[] = formats.map((format) => ({
  format,
  writer: createFormatWriter(
    format,
    schema,
    {
      // The writer reuses its buffers once write returns: send a copy, transferred.
      write(chunk: Uint8Array) {
        const bytes = new Uint8Array(chunk.length);
        bytes.set(chunk);
        port.postMessage({ kind: 'chunk', format, bytes } satisfies FromWorker, [bytes.buffer]);
      },
    },
    options,
  ),
}));

let queue: Promise<void> = Promise.resolve();
port.on('message', (message: ToWorker) => {
  queue = queue
    .then(async () => {
      if (message.kind === 'batch') {
        const columns = message.columns.map((data, c) => vectorFromData(schema.columns[c]!.type, data));
        const batch = new ColumnBatch(schema, 0, columns);
        for (const { writer } of writers) await writer.write(batch);
        port.postMessage({ kind: 'written' } satisfies FromWorker);
      } else {
        const stats: Partial<Record<OutputFormat, Awaited<ReturnType<FormatWriter['close']>>>> = {};
        for (const { format, writer } of writers) stats[format] = await writer.close();
        port.postMessage({ kind: 'closed', stats } satisfies FromWorker);
      }
    })
    .catch((error: Error) => {
      port.postMessage({ kind: 'error', name: error.name, message: error.message } satisfies FromWorker);
    });
});
