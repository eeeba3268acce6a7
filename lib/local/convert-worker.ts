/* A converter thread of the local runner: runs the converter handlers for items sent by the pool. */
import { parentPort, workerData } from 'node:worker_threads';
import type { OutputFormat } from '../../lambdas/core/convert';
import { createConverterHandler } from '../../lambdas/handlers/converter-handler';
import { storesFor, type Location } from './stores';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const data = workerData as { input: Location; output: Location; endpoint?: string; env: NodeJS.ProcessEnv };
const store = storesFor(data, data.endpoint);
const handlers = new Map<OutputFormat, ReturnType<typeof createConverterHandler>>();

parentPort!.on('message', (message: { id: number; format: OutputFormat; payload: never }) => {
  let handler = handlers.get(message.format);
  if (!handler)
    handlers.set(
      message.format,
      (handler = createConverterHandler(message.format, { store, env: data.env })),
    );
  handler(message.payload).then(
    (result) => parentPort!.postMessage({ id: message.id, result }),
    (error: Error) =>
      parentPort!.postMessage({ id: message.id, error: { name: error.name, message: error.message } }),
  );
});
