import type { OutputFormat } from '../../lambdas/core/convert';

/**
 * The workflow's defaults that need no CDK: shared by the construct (see PIPELINE_DEFAULTS) and the local
 * runner, which loads aws-cdk-lib only when it synthesizes.
 */
export const WORKFLOW_DEFAULTS = {
  inputPrefix: '',
  outputPrefixes: { parquet: 'parquet/', avro: 'avro/' } as Record<OutputFormat, string>,
  formats: ['parquet', 'avro'] as readonly OutputFormat[],
  maxConcurrency: 50,
  maxRejects: 1000,
  toleratedFailedFiles: 0,
};
