/* A converter thread of the local runner: runs the converter handlers for items sent by the pool. */
import { parentPort, workerData } from 'node:worker_threads';
import type { OutputFormat } from '../../lambdas/core/model/options';
import { createConverterHandler } from '../../lambdas/handlers/converter-handler';
import { type FunctionSettings, invocationContext } from './invocation';
import { localS3Client, storesFor, type Location } from './stores';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const data = workerData as { input: Location; output: Location; endpoint?: string };
// Built before the first message arrives: the runner starts its threads while it synthesizes the stack.
const store = storesFor(data, data.endpoint);
const s3 = localS3Client(data.endpoint);
type Handler = ReturnType<typeof createConverterHandler>;
let handlers: Record<OutputFormat, { handle: Handler; timeoutMs: number }> | undefined;

type Message =
  | { configure: Record<OutputFormat, FunctionSettings> }
  | { id: number; format: OutputFormat; payload: never };

parentPort!.on('message', (message: Message) => {
  if ('configure' in message) {
    const { parquet, avro } = message.configure;
    handlers = {
      parquet: {
        handle: createConverterHandler('parquet', { store, s3, env: parquet.env }),
        timeoutMs: parquet.timeoutMs,
      },
      avro: {
        handle: createConverterHandler('avro', { store, s3, env: avro.env }),
        timeoutMs: avro.timeoutMs,
      },
    };
    return;
  }
  const { id, format, payload } = message;
  // Each invocation gets its own context, built here: a function cannot cross to this thread.
  const { handle, timeoutMs } = handlers![format];
  handle(payload, invocationContext(timeoutMs)).then(
    (result) => parentPort!.postMessage({ id, result }),
    (error: Error) => parentPort!.postMessage({ id, error: { name: error.name, message: error.message } }),
  );
});
