/**
 * The JSONPath subset the csv2lake definition uses in the fields the local runner evaluates itself
 * (Distributed Map ItemReader Parameters and ItemSelector): `$`, `$.a.b`, `$$.Map.Item.Value.X`,
 * `$$.Execution.Name`. Anything else is refused loudly rather than evaluated wrongly.
 */
export function queryPath(path: string, input: unknown, context: unknown): unknown {
  const match = /^(\$\$?)((?:\.[A-Za-z_][A-Za-z0-9_-]*)*)$/.exec(path);
  if (!match)
    throw new Error(`local runner: unsupported JSONPath ${JSON.stringify(path)} (only $.a.b and $$.a.b)`);
  let value: unknown = match[1] === '$$' ? context : input;
  for (const key of match[2]!.split('.').slice(1)) {
    if (value === null || typeof value !== 'object' || !(key in (value as object))) {
      const error = new Error(`The JSONPath ${path} could not be found in the input`);
      error.name = 'States.Runtime';
      throw error;
    }
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Evaluates a Parameters/ItemSelector template: keys ending in `.$` take the value at their path. */
export function evaluateTemplate(template: unknown, input: unknown, context: unknown): unknown {
  if (Array.isArray(template)) return template.map((t) => evaluateTemplate(t, input, context));
  if (template === null || typeof template !== 'object') return template;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$')) {
      if (typeof value !== 'string' || value.startsWith('States.')) {
        throw new Error(`local runner: intrinsic functions are not supported in ${key}`);
      }
      out[key.slice(0, -2)] = queryPath(value, input, context);
    } else {
      out[key] = evaluateTemplate(value, input, context);
    }
  }
  return out;
}
