/*
 * The writer thread (see worker-writers.ts): encodes and compresses batches, sends the bytes back. Started
 * with a codec only (see compression-thread.ts), it compresses Avro blocks instead; started in range mode
 * (see split-run.ts), it waits for the second part of a file to convert. Bundled as `writer-worker.cjs`
 * from lambdas/core/writer-worker.ts, which only imports this module.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { inlineCompressor, type BlockCompressor } from '../avro/avro-container';
import { ColumnBatch } from '../model/column-batch';
import type { OutputFormat } from '../model/options';
import type { FormatWriter } from '../model/writer';
import { createFormatWriter } from '../run/local-writers';
import { markReady } from './claims';
import type { FromWorker, ToWorker, WorkerData } from './messages';
import { convertPart } from './part-job';
import { buffersOf, vectorFromData } from './transfer';

const port = parentPort!;
const data = workerData as WorkerData;

function fail(error: Error): void {
  port.postMessage({ kind: 'error', name: error.name, message: error.message } satisfies FromWorker);
}

/** Compression mode: each block comes back compressed, with its buffer for reuse, both transferred. */
function compressBlocks({ compress }: BlockCompressor): void {
  port.on('message', (message: ToWorker) => {
    if (message.kind !== 'compress') return;
    const raw = message.bytes;
    Promise.resolve(compress(raw))
      .then((body) => {
        const bytes =
          body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? body : body.slice();
        port.postMessage({ kind: 'compressed', id: message.id, bytes, raw } satisfies FromWorker, [
          bytes.buffer as ArrayBuffer,
          raw.buffer as ArrayBuffer,
        ]);
      })
      .catch(fail);
  });
}

/** Writer mode: batches in, encoded and compressed output chunks out. */
function writeBatches({ schema, formats, options }: Extract<WorkerData, { schema: unknown }>): void {
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
          const columns = message.columns.map((d, c) => vectorFromData(schema.columns[c]!.type, d));
          const batch = new ColumnBatch(schema, 0, columns);
          for (const { writer } of writers) await writer.write(batch);
          // Written: the buffers go back to be filled again.
          port.postMessage(
            { kind: 'written', columns: message.columns } satisfies FromWorker,
            message.columns.flatMap(buffersOf),
          );
        } else if (message.kind === 'close') {
          const stats: Partial<Record<OutputFormat, Awaited<ReturnType<FormatWriter['close']>>>> = {};
          for (const { format, writer } of writers) stats[format] = await writer.close();
          port.postMessage({ kind: 'closed', stats } satisfies FromWorker);
        }
      })
      .catch(fail);
  });
}

if ('compress' in data) compressBlocks(inlineCompressor(data.compress));
else if ('range' in data) {
  port.once('message', (message: ToWorker) => {
    if (message.kind === 'range')
      convertPart(message.job, data.claims)
        .then((outcome) => port.postMessage({ kind: 'range', outcome } satisfies FromWorker))
        .catch(fail);
  });
  if (data.claims) markReady(data.claims);
} else writeBatches(data);
