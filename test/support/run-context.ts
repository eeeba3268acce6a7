/* The run an execution's items carry, for tests of what the handlers do with it. */
import type { DatasetLayout } from '../../lambdas/lake/layout';
import type { RunContext } from '../../lambdas/shared/payloads';

/** The lake layout the tests of datasets use: each dataset a folder under `landing/`. */
export const LANDING_LAYOUT: DatasetLayout = { root: 'landing/', pattern: '{dataset}/**/{file}' };

/**
 * A run `runId` from bucket `in` under `landing/` to bucket `out` in both formats (`parquet/`, `avro/`),
 * without a layout; `overrides` replace whole fields. A new object at each call, so a test may spread it
 * without touching another's.
 */
export function runContext(runId: string, overrides: Partial<Omit<RunContext, 'runId'>> = {}): RunContext {
  return {
    runId,
    inputBucket: 'in',
    inputPrefix: 'landing/',
    outputBucket: 'out',
    outputPrefixes: { parquet: 'parquet/', avro: 'avro/' },
    ...overrides,
  };
}
