/* A converter thread of the local runner: runs the converter handlers for items sent by the pool. */
import { parentPort, workerData } from 'node:worker_threads';
import type { OutputFormat } from '../../lambdas/core/convert';
import { createConverterHandler } from '../../lambdas/handlers/converter-handler';
import { storesFor, type Location } from './stores';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const data = workerData as { input: Location; output: Location; endpoint?: string; env: NodeJS.ProcessEnv };
const store = storesFor(data, data.endpoint);
// Built before the first item arrives: the runner starts its threads while it synthesizes the stack.
const handlers: Record<OutputFormat, ReturnType<typeof createConverterHandler>> = {
  parquet: createConverterHandler('parquet', { store, env: data.env }),
  avro: createConverterHandler('avro', { store, env: data.env }),
};

parentPort!.on('message', (message: { id: number; format: OutputFormat; payload: never }) => {
  handlers[message.format](message.payload).then(
    (result) => parentPort!.postMessage({ id: message.id, result }),
    (error: Error) =>
      parentPort!.postMessage({ id: message.id, error: { name: error.name, message: error.message } }),
  );
});
