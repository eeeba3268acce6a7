/* eslint-disable @typescript-eslint/no-explicit-any -- ASL documents and templates are untyped JSON */
import type { OutputFormat } from '../../lambdas/core/model/options';

/** Local names the runner gives the deployed resources. */
export const LOCAL_FUNCTIONS = {
  parquet: 'arn:aws:lambda:us-east-1:000000000000:function:csv2lake-parquet',
  avro: 'arn:aws:lambda:us-east-1:000000000000:function:csv2lake-avro',
  reduce: 'arn:aws:lambda:us-east-1:000000000000:function:csv2lake-reduce',
  plan: 'arn:aws:lambda:us-east-1:000000000000:function:csv2lake-plan',
} as const;

/** What the runner needs to know to synthesize the definition. */
export interface LocalSettings {
  readonly inputBucket: string;
  readonly outputBucket: string;
  readonly inputPrefix: string;
  readonly formats: readonly OutputFormat[];
  readonly maxConcurrency: number;
  readonly outputPrefixes?: Partial<Record<OutputFormat, string>>;
  /** @default DEFAULT_DATASET_PATTERN */
  readonly datasetPattern?: string;
}

export type Asl = Record<string, any>;

/** What the synthesized stack configures for a function the state machine calls. */
export interface LocalFunction {
  /** The function's timeout, which bounds each local invocation's remaining time. */
  readonly timeoutSeconds: number;
  /** Its environment variables that are plain strings (the ones naming deployed resources are left out). */
  readonly environment: Readonly<Record<string, string>>;
}

/** The synthesized definition, and the timeout and environment of each function it calls (by local name). */
export interface SynthesizedWorkflow {
  readonly definition: Asl;
  readonly functions: Readonly<Record<string, LocalFunction>>;
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

/**
 * Whether `value` matches a Choice rule's `StringMatches` pattern as Step Functions matches it: `*` is any
 * run of characters, line breaks included, `\*` a literal `*` and `\\` a literal `\`.
 */
export function stringMatches(pattern: string, value: string): boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && (pattern[i + 1] === '*' || pattern[i + 1] === '\\')) source += `\\${pattern[++i]}`;
    else if (c === '*') source += '.*';
    else source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  // `s`: a `.` matches line breaks too, which is what the interpreter's matcher (wildcard-match) leaves out.
  return new RegExp(`^${source}$`, 's').test(value);
}

/** Line terminators, which a regular expression's `.` does not match without the `s` flag. */
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;

/**
 * The item processor to run for one child input. aws-local-stepfunctions matches `StringMatches` with
 * wildcard-match, whose `*` stops at a line break, so a key `a\nb.csv` failed the `IsCsv` Choice and was
 * reported "ignored, not CSV", where Step Functions converts it. For an input holding a line break, the
 * `StringMatches` rules of the processor's first state (the only ones whose input is the child's own) are
 * decided here, as Step Functions decides them, and handed to the interpreter as rules of the same outcome
 * (`IsPresent` on the same variable, negated for a miss). Any other input gets the processor unchanged.
 */
export function processorFor(processor: Asl, input: unknown): Asl {
  const first = processor.States?.[processor.StartAt];
  if (first?.Type !== 'Choice' || !LINE_TERMINATOR.test(JSON.stringify(input).replace(/\\[nr]/g, '\n')))
    return processor;
  const decide = (rule: Asl): Asl => {
    if (typeof rule.StringMatches === 'string' && typeof rule.Variable === 'string') {
      const value = valueAt(rule.Variable, input);
      if (typeof value !== 'string') return rule;
      const present = { Variable: rule.Variable, IsPresent: true };
      return stringMatches(rule.StringMatches, value) ? present : { Not: present };
    }
    const out: Asl = { ...rule };
    for (const field of ['And', 'Or'] as const)
      if (Array.isArray(rule[field])) out[field] = rule[field].map(decide);
    if (rule.Not) out.Not = decide(rule.Not);
    return out;
  };
  return {
    ...processor,
    States: {
      ...processor.States,
      [processor.StartAt]: {
        ...first,
        Choices: first.Choices.map((c: Asl) => ({ ...decide(c), Next: c.Next })),
      },
    },
  };
}

/** The value at a `$.a.b` path of the input, or undefined (the interpreter then decides as before). */
function valueAt(path: string, input: unknown): unknown {
  if (!/^\$(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(path)) return undefined;
  let value: unknown = input;
  for (const key of path.split('.').slice(1)) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
