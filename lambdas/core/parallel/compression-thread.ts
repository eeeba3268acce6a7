import { Worker } from 'node:worker_threads';
import type { BlockCompressor } from '../avro/avro-container';
import type { AvroCodec } from '../model/options';
import type { FromWorker, ToWorker, WorkerData } from './messages';

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
