/*
 * The workflow a local run executes: the definition `cdk synth` produces (or the bundle's cached copy of
 * it), validated once, with its top level localized and its Distributed Maps set apart; and what each
 * function the definition calls runs with locally.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import type { FunctionSettings } from './invocation';
import { type Asl, type LocalFunction, type LocalSettings, localize } from './local-definition';
import { SynthCache } from './synth-cache';

/** The synthesized definition, its functions, and its localized top level and Distributed Maps. */
export interface PreparedWorkflow {
  readonly definition: Asl;
  readonly functions: Readonly<Record<string, LocalFunction>>;
  readonly machine: Asl;
  readonly maps: Readonly<Record<string, Asl>>;
}

/**
 * The workflow for `settings`, synthesized and validated, or read from the cache beside the bundle
 * (`bundle`: the running module's file; see SynthCache).
 */
export async function prepareWorkflow(settings: LocalSettings, bundle: string): Promise<PreparedWorkflow> {
  const cache = SynthCache.beside(bundle, settings);
  let workflow = cache?.read();
  if (!workflow) {
    // aws-cdk-lib is loaded here only: a run whose definition is cached never loads it (~0.35 s).
    workflow = (await import('./synth')).synthesizedWorkflow(settings);
    // Validated once, whole, Distributed Maps included; the machines built from it (the localized top
    // level, each child) skip validation, which would otherwise compile asl-validator's schema again for
    // each of them (~0.2-0.4 s apiece).
    new StateMachine(workflow.definition as never, {
      validationOptions: { checkArn: false, checkPaths: false },
    });
    cache?.write(workflow);
  }
  const { definition, functions } = workflow;
  const { machine, maps } = localize(definition);
  return { definition, functions, machine, maps };
}

/**
 * What a function runs with locally: the environment the template gives the deployed function, then
 * the user's own `CSV2LAKE_*` variables (to tune a local run as one would tune the Lambda), then the run's
 * settings; and its timeout, which bounds each invocation's remaining time.
 */
export function functionSettings(fn: LocalFunction | undefined, run: NodeJS.ProcessEnv): FunctionSettings {
  const mine = Object.entries(process.env).filter(([k]) => k.startsWith('CSV2LAKE_'));
  return {
    env: { ...fn?.environment, ...Object.fromEntries(mine), ...run },
    timeoutMs: (fn?.timeoutSeconds ?? 900) * 1000,
  };
}
