import { Duration, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { OutputFormat } from '../../lambdas/core/model/options';
import type { DatasetLayout } from '../../lambdas/lake/layout';
import { REDUCER_ENV } from '../../lambdas/shared/config';
import { converterEnvironment, type ConverterOptions } from './converter-function';
import type { LakeCatalog } from './lake-catalog';
import { grantReducer, type PipelineLocations } from './pipeline-permissions';
import { functionProps, PipelineFunction, type PipelineFunctionProps } from './pipeline-function';

/** Props of {@link ReducerFunction}. */
export interface ReducerFunctionProps
  extends Omit<PipelineFunctionProps, 'entry' | 'environment'>, ConverterOptions {
  /** Where the pipeline reads and writes. */
  readonly locations: PipelineLocations;
  /** The output prefix of each format written, and only those (see `runOutputPrefixes`). */
  readonly outputPrefixes: Partial<Record<OutputFormat, string>>;
  /** The dataset layout of the configured input prefix. */
  readonly layout: DatasetLayout;
  /** The converters' memory, for the report's cost estimate. */
  readonly converterMemoryMb: number;
  /** The Glue database whose tables it keeps. @default none: it registers no table */
  readonly catalog?: LakeCatalog;
}

/** Defaults of {@link ReducerFunctionProps}. */
export const REDUCER_FUNCTION_DEFAULTS = { memoryMb: 1024, timeout: Duration.minutes(15) };

/**
 * The reducer (`reduce.ts`): writes the run report and the inventory and keeps the Glue tables. Its
 * environment carries the run's defaults (for the execution-status rule's events, which carry no run) and
 * the converters' options, whose hash it records as what the outputs were written with.
 */
export class ReducerFunction extends PipelineFunction {
  constructor(scope: Construct, id: string, props: ReducerFunctionProps) {
    const { inputBucket, inputPrefix, outputBucket } = props.locations;
    super(scope, id, {
      ...functionProps(props),
      entry: 'reduce.ts',
      environment: {
        [REDUCER_ENV.CONVERTER_MEMORY_MB]: String(props.converterMemoryMb),
        [REDUCER_ENV.DEFAULT_RUN]: Stack.of(scope).toJsonString({
          inputBucket: inputBucket.bucketName,
          inputPrefix,
          outputBucket: outputBucket.bucketName,
          outputPrefixes: props.outputPrefixes,
          layout: props.layout,
        }),
        ...(props.catalog ? { [REDUCER_ENV.GLUE_DATABASE]: props.catalog.databaseName } : {}),
        ...converterEnvironment(props),
      },
      memoryMb: props.memoryMb ?? REDUCER_FUNCTION_DEFAULTS.memoryMb,
      timeout: props.timeout ?? REDUCER_FUNCTION_DEFAULTS.timeout,
    });
    grantReducer(this, props.locations, props.catalog, props.schemaLocation);
  }
}
