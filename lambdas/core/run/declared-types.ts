import type { CsvTokenizer } from '../csv/tokenizer';
import { quoted, SchemaMismatchError } from '../model/errors';
import type { SchemaFile } from '../model/options';
import type { ColumnType } from '../model/schema';
import { T_DECIMAL, T_STRING } from '../model/type-lattice';
import { classify } from '../rows/classify';
import { decimalValue } from '../rows/decimal-values';
import { TEXT_ONLY, type LocaleReader } from '../rows/locale';
import { classifyValue, noValue, type FieldRules } from '../rows/value-rules';

/*
 * The types a schema file declares: which column each names, and whether a row's values fit them (a
 * row that does not is rejected). Inference's helpers, apart so that inference.ts stays about inferring.
 */

/**
 * Whether column `c`'s own decimal (precision and scale in `shapes`) holds the value `b[s, e)` (in its
 * default spelling, with value options).
 */
export function fitsDecimal(
  b: Uint8Array,
  s: number,
  e: number,
  shapes: Uint8Array,
  c: number,
  locale: LocaleReader | undefined,
): boolean {
  if (locale !== undefined) {
    const n = locale.canonical(b, s, e);
    if (n === TEXT_ONLY) return false;
    if (n >= 0) return fitsDecimal(locale.out, 0, n, shapes, c, undefined);
  }
  const x = decimalValue(b, s, e, shapes[2 * c]!, shapes[2 * c + 1]!);
  return x === x;
}

/**
 * Per column, the declared type (or undefined when inferred). A schema names a column by its header text
 * or, when the file joins a table, by its lake name (`names`).
 */
export function resolveDeclared(
  name: string,
  headers: readonly string[],
  schema: SchemaFile | undefined,
  names?: readonly string[],
): (ColumnType | undefined)[] {
  if (!schema) return headers.map(() => undefined);
  const unknown = Object.keys(schema.columns).filter((c) => !headers.includes(c) && !names?.includes(c));
  if (unknown.length > 0) {
    throw new SchemaMismatchError(
      `${name}: the schema names column(s) ${unknown.map(quoted).join(', ')} that the file does not have ` +
        `(its columns: ${headers.map(quoted).join(', ')}); fix the schema file`,
      { column: unknown[0]! },
    );
  }
  const given = (key: string | undefined) =>
    key !== undefined && Object.prototype.hasOwnProperty.call(schema.columns, key)
      ? schema.columns[key]
      : undefined;
  return headers.map((h, c) => given(h) ?? given(names?.[c]));
}

/** The first declared column whose value does not fit its type, if any (a decimal: its own shape). */
export function firstMisfit(
  t: CsvTokenizer,
  first: number,
  declared: readonly (number | undefined)[],
  shapes: Uint8Array | undefined,
  rules: FieldRules,
): number | undefined {
  const b = t.buffer;
  const { tokens, locale } = rules;
  for (let c = 0; c < declared.length; c++) {
    const bit = declared[c];
    if (bit === undefined || bit === T_STRING) continue;
    const s = t.fieldStart[first + c]!;
    const e = t.fieldEnd[first + c]!;
    if (noValue(b, s, e, tokens)) continue;
    if (bit === T_DECIMAL) {
      if (!fitsDecimal(b, s, e, shapes!, c, locale)) return c;
    } else if (((locale === undefined ? classify(b, s, e) : classifyValue(locale, b, s, e)) & bit) === 0) {
      return c;
    }
  }
  return undefined;
}
