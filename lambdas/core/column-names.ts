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
