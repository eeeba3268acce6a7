import { s3ObjectStore } from '../io/s3-store';
import { planRun } from '../lake/plan';
import { converterConfig, ENV, s3ClientConfig } from '../shared/config';
import { logger } from '../shared/observability';
import type { PlanEvent, PlanResult } from '../shared/payloads';
import type { ObjectStore } from '../io/object-store';
import { CONVERTER_VERSION } from './convert-item';

/** What the planner handler needs; injected in tests and by the local runner. */
export interface PlanHandlerDeps {
  readonly store?: ObjectStore;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => Date;
}

/**
 * Builds the planner handler: lists the run's prefix, leaves out the keys whose outputs are current (see
 * lambdas/lake/plan.ts) and answers where the items to convert are. Its environment carries the converters'
 * options (set by the construct as on the converters), which their skip-unchanged compares.
 * @throws Error at once when that environment is invalid, naming the variable
 */
export function createPlanHandler(deps: PlanHandlerDeps = {}): (event: PlanEvent) => Promise<PlanResult> {
  const env = deps.env ?? process.env;
  // The format is not part of the options hash: the converters' parser is reused as it is.
  const config = converterConfig({ ...env, [ENV.FORMAT]: 'parquet' });
  const clientConfig = s3ClientConfig(env);
  const memoryMb = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? 1024);
  let store = deps.store;
  return async (event) => {
    store ??= s3ObjectStore(clientConfig);
    logger.appendKeys({ runId: event.run.runId });
    try {
      const summary = await planRun(
        {
          store,
          config,
          converterVersion: CONVERTER_VERSION,
          memoryMb,
          ...(deps.now ? { now: deps.now } : {}),
        },
        event.run,
      );
      logger.info('run planned', { ...summary, reasons: summary.reasons });
      return {
        itemsKey: summary.itemsKey,
        listed: summary.listed,
        planned: summary.planned,
        unchanged: summary.unchanged,
        ignored: summary.ignored,
        split: summary.split,
        joinsKey: summary.joinsKey,
      };
    } finally {
      logger.removeKeys(['runId']);
    }
  };
}

/** The planner Lambda. */
export const handler = createPlanHandler();
