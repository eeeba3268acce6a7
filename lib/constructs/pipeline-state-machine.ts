import { Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { OutputFormat } from '../../lambdas/core/model/options';
import { buildDefinition } from '../workflow/definition';
import { SUBSTITUTIONS } from '../workflow/names';
import type { WorkflowSettings } from '../workflow/settings';
import { grantStateMachine, type PipelineLocations } from './pipeline-permissions';
import { PIPELINE_FUNCTION_DEFAULTS } from './pipeline-function';

/** The functions the state machine invokes. */
export interface PipelineStateMachineFunctions {
  /** The converter of each format written. */
  readonly converters: Partial<Record<OutputFormat, lambda.IFunction>>;
  readonly planner: lambda.IFunction;
  readonly reducer: lambda.IFunction;
}

/** Props of {@link PipelineStateMachine}. */
export interface PipelineStateMachineProps {
  /** What shapes the definition (lib/workflow/definition.ts). */
  readonly workflow: WorkflowSettings;
  readonly functions: PipelineStateMachineFunctions;
  /** Where the pipeline reads and writes. */
  readonly locations: PipelineLocations;
  /**
   * The state machine's name, fixed so that its own ARN can be granted without a cycle.
   * @default the stack name and the scope's id (`Csv2Lake-Pipeline`), each character other than
   *   `[A-Za-z0-9-_]` as `-`, at most 80 characters
   */
  readonly stateMachineName?: string;
  /** Retention of its log group. @default one month */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The csv2lake state machine: STANDARD, the definition written once (lib/workflow/definition.ts) with the
 * functions and buckets substituted, X-Ray tracing, ERROR-level logs in a sibling log group under
 * `/aws/vendedlogs/states/`, and the permissions of lib/constructs/pipeline-permissions.ts.
 */
export class PipelineStateMachine extends sfn.StateMachine {
  constructor(scope: Construct, id: string, props: PipelineStateMachineProps) {
    const name =
      props.stateMachineName ??
      `${Stack.of(scope).stackName}-${scope.node.id}`.replace(/[^A-Za-z0-9-_]/g, '-').slice(0, 80);
    const { converters, planner, reducer } = props.functions;
    const { inputBucket, outputBucket } = props.locations;
    super(scope, id, {
      stateMachineName: name,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(buildDefinition(props.workflow))),
      definitionSubstitutions: {
        [SUBSTITUTIONS.parquetFunction]: converters.parquet?.functionArn ?? 'unused',
        [SUBSTITUTIONS.avroFunction]: converters.avro?.functionArn ?? 'unused',
        [SUBSTITUTIONS.reduceFunction]: reducer.functionArn,
        [SUBSTITUTIONS.planFunction]: planner.functionArn,
        [SUBSTITUTIONS.inputBucket]: inputBucket.bucketName,
        [SUBSTITUTIONS.outputBucket]: outputBucket.bucketName,
      },
      tracingEnabled: true,
      logs: {
        // A sibling of the state machine (the id it had before this construct, so deployed logs are kept).
        destination: new logs.LogGroup(scope, `${id}Logs`, {
          // Under /aws/vendedlogs/: CreateStateMachine adds a CloudWatch Logs resource policy statement for
          // any other name, and fails once the account's policy is full (5,120 characters).
          logGroupName: `/aws/vendedlogs/states/${name}`,
          retention: props.logRetention ?? PIPELINE_FUNCTION_DEFAULTS.logRetention,
        }),
        level: sfn.LogLevel.ERROR,
        includeExecutionData: false,
      },
    });
    grantStateMachine(this, name, [...Object.values(converters), planner, reducer], props.locations);
  }
}
