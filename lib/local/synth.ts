/* eslint-disable @typescript-eslint/no-explicit-any -- templates are untyped JSON */
/* The synthesis of the stack for the local runner: the one module of it that loads aws-cdk-lib. */
import { App } from 'aws-cdk-lib';
import { PipelineStack } from '../pipeline-stack';
import { substitute, SUBSTITUTIONS } from '../workflow/definition';
import {
  type Asl,
  type LocalFunction,
  LOCAL_FUNCTIONS,
  type LocalSettings,
  type SynthesizedWorkflow,
} from './local-definition';

/** The Glue database a local run's `_catalog/` is written for: the default deployment's. */
export const LOCAL_GLUE_DATABASE = 'csv2lake';

/**
 * The state machine exactly as `cdk synth` produces it from the same construct (bundling skipped: no code
 * runs from the assets), with its DefinitionSubstitutions resolved to local names.
 */
export function synthesizedDefinition(settings: LocalSettings): Asl {
  return synthesizedWorkflow(settings).definition;
}

/**
 * {@link synthesizedDefinition}, and the timeout and environment of each function it calls (by local
 * function name), as the same template gives them to the deployed Lambdas.
 */
export function synthesizedWorkflow(settings: LocalSettings): SynthesizedWorkflow {
  const app = new App({
    // The template is not deployed from here: CloudFormation's own validation (seconds of WebAssembly
    // start-up) is the infrastructure tests' business, not every local run's.
    builtinCloudFormationValidation: false,
    context: {
      '@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2': true,
      'aws:cdk:bundling-stacks': [],
    },
  });
  const stack = new PipelineStack(app, 'Csv2LakeLocal', {
    inputBucketName: settings.inputBucket,
    outputBucketName: settings.outputBucket,
    inputPrefix: settings.inputPrefix,
    formats: settings.formats,
    maxConcurrency: settings.maxConcurrency,
    ...(settings.outputPrefixes ? { outputPrefixes: settings.outputPrefixes } : {}),
    ...(settings.datasetPattern ? { datasetPattern: settings.datasetPattern } : {}),
    // The name the default deployment (stack Csv2Lake) gives its database, so that `_catalog/` reads the same.
    glueDatabaseName: LOCAL_GLUE_DATABASE,
    schedule: { enabled: false },
  });
  const template = app.synth().getStackByName(stack.stackName).template as { Resources: Record<string, any> };
  const machines = Object.values(template.Resources).filter(
    (r) => r.Type === 'AWS::StepFunctions::StateMachine',
  );
  if (machines.length !== 1)
    throw new Error(`expected one state machine in the synthesized stack, found ${machines.length}`);
  const props = machines[0].Properties;
  const definition = JSON.parse(props.DefinitionString) as Asl;
  const localValues: Record<string, string> = {
    [SUBSTITUTIONS.parquetFunction]: LOCAL_FUNCTIONS.parquet,
    [SUBSTITUTIONS.avroFunction]: LOCAL_FUNCTIONS.avro,
    [SUBSTITUTIONS.reduceFunction]: LOCAL_FUNCTIONS.reduce,
    [SUBSTITUTIONS.planFunction]: LOCAL_FUNCTIONS.plan,
    [SUBSTITUTIONS.inputBucket]: settings.inputBucket,
    [SUBSTITUTIONS.outputBucket]: settings.outputBucket,
  };
  const functions: Record<string, LocalFunction> = {};
  for (const [key, value] of Object.entries<any>(props.DefinitionSubstitutions ?? {})) {
    if (!(key in localValues)) throw new Error(`local runner: no local value for the substitution ${key}`);
    const fn = template.Resources[value?.['Fn::GetAtt']?.[0]];
    if (fn?.Type !== 'AWS::Lambda::Function') continue;
    const environment = Object.fromEntries(
      Object.entries<unknown>(fn.Properties.Environment?.Variables ?? {}).filter(
        (e): e is [string, string] => typeof e[1] === 'string',
      ),
    );
    functions[localValues[key]!] = { timeoutSeconds: fn.Properties.Timeout ?? 3, environment };
  }
  return { definition: substitute(definition, localValues), functions };
}
