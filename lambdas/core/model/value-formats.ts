/*
 * Date and timestamp formats of the value options (see ValueOptions): compiled once, here, for the one
 * validator (validate.ts) and the value rules that read them (rows/locale.ts).
 */

/** One piece of a date or timestamp format. */
export type FormatPart =
  | { readonly literal: number }
  | { readonly field: 'Y' | 'y' | 'm' | 'd' | 'H' | 'I' | 'M' | 'S' | 'f' | 'p' | 'z' };

const FIELDS = new Set(['Y', 'y', 'm', 'd', 'H', 'I', 'M', 'S', 'f', 'p', 'z']);

/**
 * Compiles a strftime-like format (DuckDB's `dateformat`/`timestampformat` subset): `%Y` four-digit year,
 * `%y` two-digit year (69-99 → 19xx, 00-68 → 20xx, as POSIX), `%m` month, `%d` day, `%H` hour (0-23),
 * `%I` hour (1-12) with `%p` AM/PM, `%M` minute, `%S` second, `%f` fraction of a second (1-6 digits),
 * `%z` offset (`Z`, `+HH`, `+HHMM`, `+HH:MM`), `%%` a percent sign; numbers of one or two digits; any
 * other character is itself. Undefined when the format uses a directive outside this list.
 */
export function compileFormat(format: string): FormatPart[] | undefined {
  const parts: FormatPart[] = [];
  const bytes = Buffer.from(format, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0x25) {
      parts.push({ literal: bytes[i]! });
      continue;
    }
    const directive = String.fromCharCode(bytes[++i] ?? 0);
    if (directive === '%') parts.push({ literal: 0x25 });
    else if (FIELDS.has(directive)) parts.push({ field: directive as 'Y' });
    else return undefined;
  }
  return parts;
}

/** Whether a compiled format has a time of day (a timestamp format) rather than a date alone. */
export function hasTime(parts: readonly FormatPart[]): boolean {
  return parts.some((p) => 'field' in p && 'HIMSfpz'.includes(p.field));
}

/**
 * What is wrong with a date (`time` false) or timestamp format, or undefined when it is usable: known
 * directives, a year, a month and a day, each once; a timestamp's hour (`%H`, or `%I` with `%p`), a date's
 * none.
 */
export function formatProblem(format: string, time: boolean): string | undefined {
  const parts = compileFormat(format);
  if (parts === undefined) return 'uses a directive other than %Y %y %m %d %H %I %M %S %f %p %z %%';
  const fields = parts.flatMap((p) => ('field' in p ? [p.field] : []));
  const count = (f: string) => fields.filter((x) => x === f).length;
  if (count('Y') + count('y') !== 1 || count('m') !== 1 || count('d') !== 1)
    return 'needs one year (%Y or %y), one month (%m) and one day (%d)';
  if (new Set(fields).size !== fields.length) return 'has a directive twice';
  if (!time && hasTime(parts)) return 'is a date format with a time of day: give it as the timestamp format';
  if (time && count('H') + count('I') !== 1) return 'needs one hour (%H, or %I with %p)';
  if (count('I') !== count('p')) return 'needs %p with %I (and %I with %p)';
  return undefined;
}
