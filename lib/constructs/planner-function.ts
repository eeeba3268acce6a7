import { Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { converterEnvironment, type ConverterOptions } from './converter-function';
import { grantPlanner, type PipelineLocations } from './pipeline-permissions';
import { functionProps, PipelineFunction, type PipelineFunctionProps } from './pipeline-function';

/** Props of {@link PlannerFunction}. */
export interface PlannerFunctionProps
  extends Omit<PipelineFunctionProps, 'entry' | 'environment'>, ConverterOptions {
  /** Where the pipeline reads and writes. */
  readonly locations: PipelineLocations;
}

/**
 * Defaults of {@link PlannerFunctionProps}: it lists the input prefix and compares each key with the
 * inventory, a streaming merge-join (a page, a line, a few write buffers): 1,024 MB for the CPU of parsing a
 * million lines, 15 minutes for a million keys' listing (~1,000 LIST pages).
 */
export const PLANNER_FUNCTION_DEFAULTS = { memoryMb: 1024, timeout: Duration.minutes(15) };

/**
 * The planner (`plan.ts`): lists the input prefix and leaves out the keys whose outputs are current
 * (lambdas/lake/plan.ts). It is given the converters' options, whose hash it compares as they do, and may
 * list the input, read the inventory, the dataset schemas and the schema file, and write its plan files.
 */
export class PlannerFunction extends PipelineFunction {
  constructor(scope: Construct, id: string, props: PlannerFunctionProps) {
    super(scope, id, {
      ...functionProps(props),
      entry: 'plan.ts',
      environment: converterEnvironment(props),
      memoryMb: props.memoryMb ?? PLANNER_FUNCTION_DEFAULTS.memoryMb,
      timeout: props.timeout ?? PLANNER_FUNCTION_DEFAULTS.timeout,
    });
    grantPlanner(this, props.locations, props.schemaLocation);
  }
}
