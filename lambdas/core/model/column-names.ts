/**
 * Output column names from header texts: kept exactly as written, except that an empty name becomes
 * `column_<n>` (1-based position) and a repeated name gets the first free suffix `_1`, `_2`, …
 */
export function columnNames(headers: readonly string[]): string[] {
  const taken = new Set<string>();
  const names: string[] = [];
  // Names written in the header keep priority over generated ones.
  for (const h of headers) if (h !== '') taken.add(h);
  const seen = new Set<string>();
  headers.forEach((header, index) => {
    let name = header === '' ? `column_${index + 1}` : header;
    if (seen.has(name) || (header === '' && taken.has(name))) {
      const base = name;
      let k = 1;
      while (taken.has(`${base}_${k}`) || seen.has(`${base}_${k}`)) k++;
      name = `${base}_${k}`;
    }
    seen.add(name);
    taken.add(name);
    names.push(name);
  });
  return names;
}

/** A lake name: what Glue, Athena, Spark and Avro all accept, lower case. */
export const LAKE_NAME = /^[a-z_][a-z0-9_]*$/u;

/** The lake name one header text reduces to before de-duplication (`''` when nothing is left of it). */
function lakeBase(header: string): string {
  const name = header
    .normalize('NFKD') // é → e + combining accent, ﬁ → fi, ² → 2
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/gu, '_')
    .replace(/^_+|_+$/gu, '');
  return /^[0-9]/u.test(name) ? `_${name}` : name;
}

/**
 * Output column names under `lake` naming (see `ColumnNaming` in schema.ts): one name valid in Glue, Athena,
 * Spark and Avro, used for the Parquet column and the Avro field alike. Accents are dropped (NFKD, then
 * combining marks removed), the text lower-cased, every run of characters outside `[a-z0-9_]` becomes one
 * `_`, leading and trailing `_` are trimmed and a leading digit gets a `_` prefix; a header with nothing
 * left is `column_<n>` (its 1-based position). A name already taken by an earlier column gets the first
 * free suffix `_2`, `_3`, … in header order; neither a suffix nor a `column_<n>` ever takes a name that
 * another header gives in its own right (`A, a, a_2` → `a, a_3, a_2`). Every name matches
 * {@link LAKE_NAME}; the same headers always give the same names.
 */
export function lakeColumnNames(headers: readonly string[]): string[] {
  const bases = headers.map(lakeBase);
  // Names written in the header keep priority over generated ones.
  const own = new Set(bases.filter((b) => b !== ''));
  const used = new Set<string>();
  return bases.map((base, index) => {
    let name = base === '' ? `column_${index + 1}` : base;
    if (used.has(name) || (base === '' && own.has(name))) {
      let k = 2;
      while (own.has(`${name}_${k}`) || used.has(`${name}_${k}`)) k++;
      name = `${name}_${k}`;
    }
    used.add(name);
    return name;
  });
}
