/** Names Avro forbids as field names in practice: they collide with primitive type names in many readers. */
const RESERVED = new Set([
  'null',
  'boolean',
  'int',
  'long',
  'float',
  'double',
  'bytes',
  'string',
  'record',
  'enum',
  'array',
  'map',
  'fixed',
]);

function sanitize(name: string): string {
  // Strip accents (é → e), then replace anything outside [A-Za-z0-9_] with _.
  let out = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9_]/g, '_');
  if (out === '' || /^[0-9]/.test(out)) out = `_${out}`;
  if (RESERVED.has(out)) out = `${out}_`;
  return out;
}

/**
 * Valid, unique Avro field names (`[A-Za-z_][A-Za-z0-9_]*`) for column names, derived deterministically:
 * accents are stripped, other invalid characters become `_`, a leading digit gets a `_` prefix, and
 * names that would collide (case-insensitively, since some readers fold case) get `_2`, `_3`, … in column
 * order. The same input always gives the same output.
 */
export function toAvroNames(names: readonly string[]): string[] {
  const used = new Set<string>();
  return names.map((name) => {
    const base = sanitize(name);
    let candidate = base;
    for (let k = 2; used.has(candidate.toLowerCase()); k++) candidate = `${base}_${k}`;
    used.add(candidate.toLowerCase());
    return candidate;
  });
}
