/* eslint-disable @typescript-eslint/no-explicit-any -- ASL documents and templates are untyped JSON */
import { App } from 'aws-cdk-lib';
import type { OutputFormat } from '../../lambdas/core/convert';
import { PipelineStack } from '../pipeline-stack';
import { substitute, SUBSTITUTIONS } from '../workflow/definition';

/** Local names the runner gives the deployed resources. */
export const LOCAL_FUNCTIONS = {
  parquet: 'arn:aws:lambda:us-east-1:000000000000:function:csv2lake-parquet',
  avro: 'arn:aws:lambda:us-east-1:000000000000:function:csv2lake-avro',
  reduce: 'arn:aws:lambda:us-east-1:000000000000:function:csv2lake-reduce',
} as const;

/** What the runner needs to know to synthesize the definition. */
export interface LocalSettings {
  readonly inputBucket: string;
  readonly outputBucket: string;
  readonly inputPrefix: string;
  readonly formats: readonly OutputFormat[];
  readonly maxConcurrency: number;
  readonly outputPrefixes?: Partial<Record<OutputFormat, string>>;
}

type Asl = Record<string, any>;

/** What the synthesized stack configures for a function the state machine calls. */
export interface LocalFunction {
  /** The function's timeout, which bounds each local invocation's remaining time. */
  readonly timeoutSeconds: number;
  /** Its environment variables that are plain strings (the ones naming deployed resources are left out). */
  readonly environment: Readonly<Record<string, string>>;
}

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
export function synthesizedWorkflow(settings: LocalSettings): {
  definition: Asl;
  functions: Record<string, LocalFunction>;
} {
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

/** Features the interpreter would ignore or run differently: refused before anything runs. */
export function refuseUnsupported(definition: Asl, where = 'definition'): void {
  if (definition.QueryLanguage === 'JSONata')
    throw new Error(`local runner: ${where} uses JSONata, which it cannot run faithfully`);
  for (const [name, state] of Object.entries<Asl>(definition.States ?? {})) {
    if (state.QueryLanguage === 'JSONata') throw new Error(`local runner: state ${name} uses JSONata`);
    if (state.Type === 'Task' && state.Resource !== 'arn:aws:states:::lambda:invoke') {
      throw new Error(
        `local runner: state ${name} uses ${state.Resource}; only lambda:invoke tasks run locally`,
      );
    }
    if (state.Type === 'Map' && state.ItemProcessor?.ProcessorConfig?.Mode === 'DISTRIBUTED') {
      for (const field of [
        'ItemsPath',
        'InputPath',
        'Parameters',
        'OutputPath',
        'ResultSelector',
        'Retry',
        'Catch',
        'MaxConcurrencyPath',
        'ToleratedFailureCountPath',
        'ToleratedFailurePercentagePath',
        'Label',
      ]) {
        if (field in state)
          throw new Error(
            `local runner: Distributed Map ${name} uses ${field}, which the emulation does not support`,
          );
      }
      const readerConfig = Object.keys(state.ItemReader?.ReaderConfig ?? {}).filter((k) => k !== 'InputType');
      if (readerConfig.length > 0)
        throw new Error(
          `local runner: Distributed Map ${name} uses ItemReader.ReaderConfig.${readerConfig[0]}`,
        );
      if (state.ResultWriter && (state.ResultWriter.WriterConfig || !state.ResultWriter.Parameters))
        throw new Error(
          `local runner: Distributed Map ${name} has a ResultWriter the emulation does not write (WriterConfig)`,
        );
      refuseUnsupported(state.ItemProcessor, `the item processor of ${name}`);
    }
    if (state.Type === 'Parallel')
      for (const b of state.Branches) refuseUnsupported(b, `a branch of ${name}`);
  }
}

/**
 * Replaces each Distributed Map by a Task of the same name (the local handler does the Map's work) and
 * returns the Map definitions by name, and which function each Lambda task state calls.
 */
export function localize(definition: Asl): { machine: Asl; maps: Record<string, Asl> } {
  refuseUnsupported(definition);
  // A JSON copy, not structuredClone: objects from another realm (as under jest) fail the interpreter's plain-object checks.
  const machine = JSON.parse(JSON.stringify(definition)) as Asl;
  const maps: Record<string, Asl> = {};
  for (const [name, state] of Object.entries<Asl>(machine.States)) {
    if (state.Type !== 'Map' || state.ItemProcessor?.ProcessorConfig?.Mode !== 'DISTRIBUTED') continue;
    maps[name] = state;
    machine.States[name] = {
      Type: 'Task',
      Resource: `arn:aws:lambda:us-east-1:000000000000:function:csv2lake-map-${name}`,
      ...(state.ResultPath !== undefined ? { ResultPath: state.ResultPath } : {}),
      TimeoutSeconds: 86400,
      ...(state.Next ? { Next: state.Next } : { End: true }),
    };
  }
  return { machine, maps };
}

/** Every Lambda task state in a definition (nested too), with the function it calls. */
export function lambdaStates(definition: Asl, out: Record<string, string> = {}): Record<string, string> {
  for (const [name, state] of Object.entries<Asl>(definition.States ?? {})) {
    if (state.Type === 'Task' && state.Resource === 'arn:aws:states:::lambda:invoke')
      out[name] = state.Parameters.FunctionName;
    if (state.Type === 'Parallel') for (const b of state.Branches) lambdaStates(b, out);
    if (state.Type === 'Map') lambdaStates(state.ItemProcessor ?? state.Iterator, out);
  }
  return out;
}
