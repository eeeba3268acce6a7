import { CONVERT_DEFAULTS } from '../../lambdas/core/model/defaults';
import type { OutputFormat } from '../../lambdas/core/model/options';
import { DEFAULT_DATASET_PATTERN } from '../../lambdas/lake/layout';

/**
 * The workflow's defaults that need no CDK: shared by the construct (see PIPELINE_DEFAULTS) and the local
 * runner, which loads aws-cdk-lib only when it synthesizes.
 */
export const WORKFLOW_DEFAULTS = {
  inputPrefix: '',
  outputPrefixes: { parquet: 'parquet/', avro: 'avro/' } as Record<OutputFormat, string>,
  formats: CONVERT_DEFAULTS.formats,
  maxConcurrency: 50,
  maxRejects: CONVERT_DEFAULTS.maxRejects,
  toleratedFailedFiles: 0,
  /** Input keys below the configured prefix → datasets and partitions (see lambdas/lake/layout.ts). */
  datasetPattern: DEFAULT_DATASET_PATTERN,
};

/**
 * The output prefixes a run carries: those of the formats it writes, and only those, so that every reader of
 * the run context (the reducer's accounting and cost estimate) knows which formats each file must have.
 */
export function runOutputPrefixes(
  formats: readonly OutputFormat[],
  prefixes: Readonly<Record<OutputFormat, string>>,
): Partial<Record<OutputFormat, string>> {
  return Object.fromEntries(formats.map((format) => [format, prefixes[format]]));
}
