/*
 * The state machine definition of a synthesized template, with CloudFormation's intrinsic functions and the
 * DefinitionSubstitutions resolved to local names: what the local runner (or a test) executes.
 */
import { substitute } from './definition';

/** A synthesized CloudFormation template (only what is read here). */
export interface SynthesizedTemplate {
  readonly Resources: Readonly<Record<string, { readonly Type: string; readonly Properties?: unknown }>>;
}

/**
 * Local names, looked up in this order for each token:
 * - a DefinitionSubstitutions key (e.g. `ParquetFunctionArn`, see SUBSTITUTIONS) gives that substitution;
 * - `LogicalId.Attribute` gives an `Fn::GetAtt`, `LogicalId` a `Ref` (or any `Fn::GetAtt` of it);
 * - `AWS::Partition`, `AWS::Region`, `AWS::AccountId`, `AWS::URLSuffix` default to local values.
 */
export type LocalNames = Readonly<Record<string, string>>;

const PSEUDO_DEFAULTS: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'us-east-1',
  'AWS::AccountId': '000000000000',
  'AWS::URLSuffix': 'amazonaws.com',
};

/** Thrown when a template holds no single state machine, or a token has no local name. */
export class DefinitionResolutionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DefinitionResolutionError';
  }
}

/** Resolves a CloudFormation value made of strings, `Fn::Join`, `Ref` and `Fn::GetAtt`. */
export function resolveIntrinsic(value: unknown, names: LocalNames): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  const v = (value ?? {}) as Record<string, unknown>;
  if (Array.isArray(v['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => resolveIntrinsic(part, names)).join(separator);
  }
  if (typeof v.Ref === 'string') {
    const name = names[v.Ref] ?? PSEUDO_DEFAULTS[v.Ref];
    if (name === undefined) throw new DefinitionResolutionError(`no local name for Ref ${v.Ref}`);
    return name;
  }
  if (Array.isArray(v['Fn::GetAtt'])) {
    const [id, attribute] = v['Fn::GetAtt'] as [string, string];
    const name = names[`${id}.${attribute}`] ?? names[id];
    if (name === undefined)
      throw new DefinitionResolutionError(`no local name for Fn::GetAtt ${id}.${attribute}`);
    return name;
  }
  throw new DefinitionResolutionError(`cannot resolve ${JSON.stringify(value)} locally`);
}

/**
 * The ASL definition of the one state machine in a synthesized template, as the service would run it:
 * DefinitionString (a string or an `Fn::Join`) resolved, then its DefinitionSubstitutions applied, each
 * from `names` by substitution key or by resolving its CloudFormation value.
 */
export function resolvedDefinition(
  template: SynthesizedTemplate,
  names: LocalNames,
): Record<string, unknown> {
  const machines = Object.entries(template.Resources).filter(
    ([, resource]) => resource.Type === 'AWS::StepFunctions::StateMachine',
  );
  if (machines.length !== 1) {
    throw new DefinitionResolutionError(
      `expected one state machine in the template, found ${machines.length}`,
    );
  }
  const properties = machines[0]![1].Properties as {
    DefinitionString: unknown;
    DefinitionSubstitutions?: Record<string, unknown>;
  };
  const definition = JSON.parse(resolveIntrinsic(properties.DefinitionString, names)) as unknown;
  const values = Object.fromEntries(
    Object.entries(properties.DefinitionSubstitutions ?? {}).map(([key, value]) => [
      key,
      names[key] ?? resolveIntrinsic(value, names),
    ]),
  );
  return substitute(definition, values);
}
