/** A valid Avro name (of a record or a field). */
export const AVRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/u;

/**
 * Names kept out of field names: the Avro spec allows them, but they are the primitive type names and some
 * readers and code generators trip over a field called `null` or `string`.
 */
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

/** Latin letters that Unicode decomposition does not reduce to ASCII, spelled as people usually do. */
const TRANSLITERATIONS: Readonly<Record<string, string>> = {
  ß: 'ss',
  ẞ: 'SS',
  æ: 'ae',
  Æ: 'AE',
  œ: 'oe',
  Œ: 'OE',
  ø: 'o',
  Ø: 'O',
  ł: 'l',
  Ł: 'L',
  đ: 'd',
  Đ: 'D',
  ð: 'd',
  Ð: 'D',
  þ: 'th',
  Þ: 'Th',
  ı: 'i',
};

/** The readable, valid Avro name for one column name, before de-duplication. */
function sanitize(name: string): string {
  let out = name
    .normalize('NFKD') // é → e + combining accent, ﬁ → fi, ² → 2
    .replace(/\p{M}/gu, '')
    .replace(/[^A-Za-z0-9_]/gu, (ch) => TRANSLITERATIONS[ch] ?? '_');
  if (out === '' || /^[0-9]/.test(out)) out = `_${out}`;
  if (RESERVED.has(out)) out = `${out}_`;
  return out;
}

/**
 * Valid, unique Avro field names (`[A-Za-z_][A-Za-z0-9_]*`) for column names, derived deterministically:
 *
 * - accents are stripped (`Prénom` → `Prenom`) and a few letters transliterated (`Straße` → `Strasse`);
 *   every other character outside `[A-Za-z0-9_]` becomes one `_` per code point (`数量` → `__`);
 * - an empty name becomes `_`, a leading digit gets a `_` prefix (`2024` → `_2024`), and a primitive type
 *   name gets a `_` suffix (`null` → `null_`);
 * - a name that collides with an earlier one, compared case-insensitively since some readers fold case,
 *   gets the first free suffix `_2`, `_3`, … in column order; suffixes never take a name that another
 *   column has in its own right (`a, a, a_2` → `a, a_3, a_2`).
 *
 * The same input always gives the same output.
 */
export function toAvroNames(names: readonly string[]): string[] {
  const bases = names.map(sanitize);
  const own = new Set(bases.map((b) => b.toLowerCase()));
  const used = new Set<string>();
  return bases.map((base) => {
    let candidate = base;
    if (used.has(base.toLowerCase())) {
      let k = 2;
      while (own.has(`${base}_${k}`.toLowerCase()) || used.has(`${base}_${k}`.toLowerCase())) k++;
      candidate = `${base}_${k}`;
    }
    used.add(candidate.toLowerCase());
    return candidate;
  });
}
