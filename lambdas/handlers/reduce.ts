import type { ObjectStore } from '../io/object-store';
import { createS3Client, S3ObjectStore } from '../io/s3-object-store';
import { jsonEnv, s3ClientConfig } from '../shared/config';
import { logger, metrics } from '../shared/observability';
import type { ReduceEvent, ReduceResult, RunContext } from '../shared/payloads';
import { buildRunReport, DEFAULT_PRICES, writeRunReport } from './run-report';

/** Environment of the reducer. */
export const REDUCER_ENV = {
  /** JSON of the run defaults (RunContext without runId), for events from the execution-status rule. */
  DEFAULT_RUN: 'CSV2LAKE_DEFAULT_RUN',
  /** Converter memory in MB, for the cost estimate. */
  CONVERTER_MEMORY_MB: 'CSV2LAKE_CONVERTER_MEMORY_MB',
  /** Optional JSON overriding unit prices (see DEFAULT_PRICES). */
  PRICES: 'CSV2LAKE_PRICES',
} as const;

/** What the reducer needs; injected in tests and by the local runner. */
export interface ReducerDeps {
  readonly store?: ObjectStore;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => Date;
}

/** The run of an event: given by the state machine, or rebuilt from the execution-status rule's event. */
export function runOf(event: ReduceEvent, env: NodeJS.ProcessEnv): RunContext {
  if (event.run) return event.run;
  if (!event.detail) throw new Error('reduce: the event has neither "run" nor an execution status "detail"');
  const defaults = jsonEnv<Omit<RunContext, 'runId'>>(env, REDUCER_ENV.DEFAULT_RUN);
  if (!defaults?.outputBucket)
    throw new Error(
      `reduce: ${REDUCER_ENV.DEFAULT_RUN} (the run defaults, with outputBucket) is needed for execution status events`,
    );
  const input = event.detail.input ? (JSON.parse(event.detail.input) as Record<string, string>) : {};
  return {
    ...defaults,
    ...(input.bucket ? { inputBucket: input.bucket } : {}),
    ...(input.prefix !== undefined ? { inputPrefix: input.prefix } : {}),
    ...(input.outputBucket ? { outputBucket: input.outputBucket } : {}),
    runId: event.detail.name,
  };
}

/**
 * Builds the reducer handler: aggregates the run's records and map results into report.json / report.md
 * under `_runs/<runId>/`, emits metrics and returns a small summary. Invoked by the state machine after each
 * map, and by the rule on a FAILED, TIMED_OUT or ABORTED execution so that such a run still gets a report.
 */
export function createReduceHandler(deps: ReducerDeps = {}): (event: ReduceEvent) => Promise<ReduceResult> {
  const env = deps.env ?? process.env;
  // Read once per container; a malformed value fails the first invocation loudly, naming the variable.
  const prices = { ...DEFAULT_PRICES, ...jsonEnv<Partial<typeof DEFAULT_PRICES>>(env, REDUCER_ENV.PRICES) };
  const lambdaMemoryMb = Number(env[REDUCER_ENV.CONVERTER_MEMORY_MB] ?? 1769);
  if (!(lambdaMemoryMb > 0))
    throw new Error(`${REDUCER_ENV.CONVERTER_MEMORY_MB} must be a positive number of MB`);
  const clientConfig = s3ClientConfig(env);
  let store = deps.store;
  return async (event) => {
    store ??= new S3ObjectStore(createS3Client(clientConfig));
    const run = runOf(event, env);
    logger.appendKeys({ runId: run.runId });
    try {
      const report = await buildRunReport(
        store,
        run,
        event.mapResults ?? [],
        { lambdaMemoryMb, prices },
        (deps.now ?? (() => new Date()))(),
      );
      if (event.detail && event.detail.status !== 'SUCCEEDED') report.status = 'FAILED';
      const result = await writeRunReport(store, run, report);
      metrics.addMetric('FilesConverted', 'Count', report.items.converted);
      metrics.addMetric('FilesSkipped', 'Count', report.items.skipped);
      metrics.addMetric('FilesFailed', 'Count', report.items.failed);
      metrics.addMetric('RowsConverted', 'Count', report.rows);
      metrics.addMetric('RejectedRows', 'Count', report.rejectedRows);
      metrics.addMetric('BytesIn', 'Bytes', report.bytesIn);
      logger.info('run report written', { ...result });
      return result;
    } finally {
      metrics.publishStoredMetrics();
      logger.removeKeys(['runId']);
    }
  };
}

/** The reducer Lambda. */
export const handler = createReduceHandler();
