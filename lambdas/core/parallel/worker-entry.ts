/*
 * The writer thread (see worker-writers.ts): encodes and compresses batches, sends the bytes back. Started
 * with a codec only (see compression-thread.ts), it compresses Avro blocks instead; started in range mode
 * (see split-run.ts), it waits for the second part of a file to convert. Bundled as `writer-worker.cjs`
 * from lambdas/core/writer-worker.ts, which only imports this module.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { inlineCompressor, type BlockCompressor } from '../avro/avro-container';
import { readFileChunks } from '../bytes/file-chunks';
import { ColumnBatch } from '../model/column-batch';
import type { OutputFormat } from '../model/options';
import type { TableSchema } from '../model/schema';
import { outputSchema } from '../model/table-layout';
import type { FormatWriter } from '../model/writer';
import { createParquetWriter } from '../parquet/parquet-writer';
import { AvroRowWriter } from '../rows/avro-rows';
import { batchRows } from '../rows/column-sink';
import type { RowSink } from '../rows/value-rules';
import { avroOptions, createFormatWriter, parquetOptions } from '../run/local-writers';
import type { FromWorker, PartOutput, RangeJob, ToWorker, WorkerData } from './messages';
import { rangePass } from './range-pass';
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

/** Range mode: the second part of a file to Avro blocks or Parquet row groups in a temporary file. */
async function convertRange(job: RangeJob): Promise<void> {
  const fd = openSync(job.outPath, 'w');
  let written = 0;
  const sink = {
    write(chunk: Uint8Array) {
      for (let at = 0; at < chunk.length;) at += writeSync(fd, chunk, at, chunk.length - at, written + at);
      written += chunk.length;
    },
  };
  try {
    let finish: (() => Promise<PartOutput>) | undefined;
    const open = (schema: TableSchema): RowSink => {
      if (job.format === 'avro') {
        const avro = new AvroRowWriter(schema, sink, { ...avroOptions(job.writer), headerless: true });
        finish = async () => ({ format: 'avro', avro: (await avro.close()).avro });
        return avro;
      }
      const parquet = createParquetWriter(schema, sink, { ...parquetOptions(job.writer), part: true });
      finish = async () => ({ format: 'parquet', parquet: await parquet.closePart() });
      return batchRows(schema, (batch) => parquet.write(batch));
    };
    const chunks = readFileChunks(job.path, { start: job.start, reuse: true });
    const result = await rangePass(job.name, chunks, job.pass, job.context, {
      // The same output schema as the first part's: with the file's table, in the table's order.
      schemaFor: (headers, types) => outputSchema(headers, types, job.pass.table),
      open,
    });
    const tail = result.held && finish ? await finish() : undefined;
    port.postMessage({ kind: 'range', outcome: { result, tail } } satisfies FromWorker);
  } finally {
    closeSync(fd);
  }
}

if ('compress' in data) compressBlocks(inlineCompressor(data.compress));
else if ('range' in data)
  port.once('message', (message: ToWorker) => {
    if (message.kind === 'range') convertRange(message.job).catch(fail);
  });
else writeBatches(data);
