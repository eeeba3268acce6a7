import { fieldText } from '../csv/fields';
import { fillerByte, PreambleBlanker, type QuotingBytes } from '../csv/dialect';
import { CsvTokenizer } from '../csv/tokenizer';
import { lakeColumnNames } from '../model/column-names';
import { narrowestType, T_ANY, T_STRING, typeBit } from '../model/type-lattice';
import { classify } from '../rows/classify';
import type { LocaleReader } from '../rows/locale';
import { classifyValue, noValue } from '../rows/value-rules';

/** What {@link sniffHeader} reads the sample with. */
export interface HeaderSniffOptions extends QuotingBytes {
  readonly delimiter: number;
  readonly skipRows: number;
  readonly nullTokens: readonly Uint8Array[];
  /** How the values are written, when not by default (see rows/locale.ts). @default undefined */
  readonly locale?: LocaleReader;
  /** Column names a schema gives: a first row that holds them all is the header, whatever the types. */
  readonly names?: readonly string[];
  /** Whether {@link names} may also be the lake names of the first row's values (a file joining a table). */
  readonly lakeNames?: boolean;
}

/**
 * Whether the first row of a sample (after `skipRows` lines) holds column names, decided as DuckDB does:
 * the first row is data when each of its values fits the type the rest of the sample gives its column,
 * and at least one of them is a value of a column that is not text (so it has that type too). A
 * row of text over text columns is therefore a header, like any row with a value that does not fit
 * (`id` over integers). An empty value (or a null token) fits any column and proves nothing, and repeated
 * or empty names do not count either way: the types decide. With no row after the first (a one-row
 * file) the row is data when one of its values is not text (`1,2`), a header otherwise (`a,b`).
 * Rows of another width than the first, or with broken quoting, are left out.
 */
export function sniffHeader(sample: Uint8Array, complete: boolean, options: HeaderSniffOptions): boolean {
  let first: { masks: Uint8Array; present: Uint8Array } | undefined;
  let masks = new Uint8Array(0);
  let seen = new Uint8Array(0);
  let broken = false;
  let named = false;
  const tokens = options.nullTokens;
  const locale = options.locale;
  const kind = (b: Uint8Array, s: number, e: number) =>
    locale === undefined ? classify(b, s, e) : classifyValue(locale, b, s, e);
  const tokenizer = new CsvTokenizer(
    { delimiter: options.delimiter, quote: options.quote, escape: options.escape, comment: options.comment },
    (t) => {
      const b = t.buffer;
      for (let r = 0; r < t.rowCount; r++) {
        if (t.rowLine[r]! <= options.skipRows) continue;
        const n = t.rowFieldCount[r]!;
        const f0 = t.rowFirstField[r]!;
        if (first === undefined) {
          broken = t.rowBroken[r] !== 0;
          if (options.names !== undefined && options.names.length > 0) {
            const values = new Set<string>();
            for (let c = 0; c < n; c++) values.add(fieldText(t, f0 + c));
            if (options.lakeNames) for (const name of lakeColumnNames([...values])) values.add(name);
            named = options.names.every((name) => values.has(name));
          }
          first = { masks: new Uint8Array(n), present: new Uint8Array(n) };
          for (let c = 0; c < n; c++) {
            const s = t.fieldStart[f0 + c]!;
            const e = t.fieldEnd[f0 + c]!;
            if (noValue(b, s, e, tokens)) continue;
            first.masks[c] = kind(b, s, e);
            first.present[c] = 1;
          }
          masks = new Uint8Array(n).fill(T_ANY);
          seen = new Uint8Array(n);
          continue;
        }
        if (n !== masks.length || t.rowBroken[r] !== 0) continue;
        for (let c = 0; c < n; c++) {
          const s = t.fieldStart[f0 + c]!;
          const e = t.fieldEnd[f0 + c]!;
          if (masks[c] === T_STRING || noValue(b, s, e, tokens)) continue;
          masks[c]! &= kind(b, s, e);
          seen[c] = 1;
        }
      }
    },
  );
  tokenizer.push(new PreambleBlanker(options.skipRows, fillerByte(options.delimiter, options)).apply(sample));
  if (complete) tokenizer.end();
  if (first === undefined || broken || named) return true;
  const rest = seen.some((s) => s === 1);
  let evidence = false;
  for (let c = 0; c < masks.length; c++) {
    if (first.present[c] === 0) continue;
    const value = first.masks[c]!;
    if (!rest) {
      if (narrowestType(value, true) !== 'string') evidence = true;
      continue;
    }
    const type = narrowestType(masks[c]!, seen[c] === 1);
    if (type === 'string') continue;
    if ((value & typeBit(type)) === 0) return true;
    evidence = true;
  }
  return !evidence;
}
