import { CONVERT_DEFAULTS } from '../model/defaults';
import type { ValueOptions } from '../model/options';
import { compileFormat, hasTime, type FormatPart } from '../model/value-formats';
import { T_DOUBLE } from '../model/type-lattice';
import { classify } from './classify';
import { isDigit } from './digits';

/*
 * How a file's values are written when they are not written as csv2lake reads them by default (exports of
 * spreadsheets and European or US locales): a decimal comma, thousands separators, dates and timestamps in
 * a strftime-like format, words for booleans. A value written so is turned into the default spelling
 * (`1.234,56` → `1234.56`, `31.12.2024` → `2024-12-31`, `ja` → `true`), which the value rules then read as
 * any other value; a column that stays text keeps its text as written. Nothing here is guessed: the
 * options say how the file is written, and a value that the options make ambiguous is text (`1.200` in a
 * file read with a decimal comma is no 1.2: see {@link LocaleReader.canonical}).
 */

/** {@link LocaleReader.canonical}: the value is read as written (its default spelling is itself). */
export const AS_WRITTEN = -1;
/** {@link LocaleReader.canonical}: the value is text only, whatever the default rules would read. */
export const TEXT_ONLY = -2;
/** A value that is text by the default rules: what a {@link TEXT_ONLY} value is classified as. */
export const NO_NUMBER = Uint8Array.of(0x78);

const MINUS = 0x2d;
const PLUS = 0x2b;
const D0 = 0x30;

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** A format's reader: `b[s, e)` as ISO text (`YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS.ffffff±HH:MM`), or undefined. */
function readFormat(
  parts: readonly FormatPart[],
  time: boolean,
  b: Uint8Array,
  s: number,
  e: number,
): string | undefined {
  let i = s;
  let year = -1;
  let month = -1;
  let day = -1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let micros = 0;
  let pm = -1;
  let twelve = false;
  let offset = '';
  const number = (min: number, max: number): number => {
    const start = i;
    let v = 0;
    while (i < e && i - start < max && isDigit(b[i])) v = v * 10 + (b[i++]! - D0);
    return i - start >= min ? v : -1;
  };
  for (const part of parts) {
    if ('literal' in part) {
      if (b[i] !== part.literal) return undefined;
      i++;
      continue;
    }
    switch (part.field) {
      case 'Y':
        year = number(4, 4);
        break;
      case 'y': {
        const yy = number(2, 2);
        year = yy < 0 ? -1 : yy < 69 ? 2000 + yy : 1900 + yy;
        break;
      }
      case 'm':
        month = number(1, 2);
        break;
      case 'd':
        day = number(1, 2);
        break;
      case 'H':
        hour = number(1, 2);
        break;
      case 'I':
        hour = number(1, 2);
        twelve = true;
        if (hour < 1 || hour > 12) return undefined;
        break;
      case 'M':
        minute = number(1, 2);
        break;
      case 'S':
        second = number(1, 2);
        break;
      case 'f': {
        const start = i;
        const v = number(1, 6);
        if (v < 0 || (i < e && isDigit(b[i]))) return undefined; // beyond microseconds: not a value of this format
        micros = v * 10 ** (6 - (i - start));
        break;
      }
      case 'p': {
        const a = (b[i]! | 0x20) === 0x61;
        if (!(a || (b[i]! | 0x20) === 0x70) || (b[i + 1]! | 0x20) !== 0x6d) return undefined;
        pm = a ? 0 : 1;
        i += 2;
        break;
      }
      case 'z': {
        if (b[i] === 0x5a || b[i] === 0x7a) {
          offset = 'Z';
          i++;
          break;
        }
        const sign = b[i];
        if (sign !== PLUS && sign !== MINUS) return undefined;
        i++;
        const oh = number(2, 2);
        if (b[i] === 0x3a) i++;
        const om = i < e && isDigit(b[i]) ? number(2, 2) : 0;
        if (oh < 0 || om < 0) return undefined;
        offset = `${sign === PLUS ? '+' : '-'}${pad(oh, 2)}:${pad(om, 2)}`;
        break;
      }
    }
  }
  if (i !== e || year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return undefined;
  if (twelve) {
    if (pm < 0) return undefined;
    hour = (hour % 12) + 12 * pm;
  }
  // The calendar and the clock are checked by the default rules (classify) on this text.
  const date = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
  if (!time) return date;
  return `${date}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}${micros > 0 ? `.${pad(micros, 6)}` : ''}${offset}`;
}

/** Reads the values of a file written as {@link ValueOptions} say (see the module's comment). */
export class LocaleReader {
  /** Where {@link canonical} writes a value's default spelling. */
  out = new Uint8Array(64);
  private readonly decimal: number;
  private readonly thousands: Uint8Array | undefined;
  private readonly numbers: boolean;
  private readonly formats: { readonly parts: FormatPart[]; readonly time: boolean }[];
  private readonly trueValues: readonly Uint8Array[];
  private readonly falseValues: readonly Uint8Array[];

  constructor(options: ValueOptions) {
    this.decimal = (options.decimalSeparator ?? CONVERT_DEFAULTS.decimalSeparator).charCodeAt(0);
    this.thousands =
      options.thousandsSeparator !== undefined && options.thousandsSeparator !== ''
        ? Buffer.from(options.thousandsSeparator, 'utf8')
        : undefined;
    this.numbers = this.decimal !== 0x2e || this.thousands !== undefined;
    this.formats = [options.dateFormat, options.timestampFormat]
      .filter((f): f is string => f !== undefined)
      .map((f) => {
        const parts = compileFormat(f)!;
        return { parts, time: hasTime(parts) };
      });
    const lower = (values: readonly string[] | undefined) =>
      (values ?? []).map((v) => Buffer.from(v.toLowerCase(), 'utf8'));
    this.trueValues = lower(options.trueValues);
    this.falseValues = lower(options.falseValues);
  }

  /**
   * The default spelling of the value `b[s, e)`: its length, written at `out[0]`; {@link AS_WRITTEN} when
   * the value is read as written; {@link TEXT_ONLY} when it is a number in the default spelling that the
   * options forbid (`1.5` or `1.200` in a file read with a decimal comma whose thousands separator is not
   * `.`): such a value is text, never a number read the other way.
   */
  canonical(b: Uint8Array, s: number, e: number): number {
    const c = b[s]!;
    if (this.numbers && (isDigit(c) || c === MINUS)) {
      const n = this.number(b, s, e);
      if (n >= 0) return n;
      if (this.decimal !== 0x2e && (classify(b, s, e) & T_DOUBLE) !== 0 && hasByte(b, s, e, 0x2e))
        return TEXT_ONLY;
    }
    for (const { parts, time } of this.formats) {
      const text = readFormat(parts, time, b, s, e);
      if (text !== undefined) return this.write(text);
    }
    if (this.trueValues.length > 0 && matches(this.trueValues, b, s, e)) return this.write('true');
    if (this.falseValues.length > 0 && matches(this.falseValues, b, s, e)) return this.write('false');
    return AS_WRITTEN;
  }

  private write(text: string): number {
    if (text.length > this.out.length) this.out = new Uint8Array(2 * text.length);
    return Buffer.from(this.out.buffer, this.out.byteOffset, this.out.length).write(text, 'latin1');
  }

  /**
   * A number with the options' decimal and thousands separators as its default spelling (`-1.234,5` →
   * `-1234.5`); -1 when `b[s, e)` is none: thousands only between groups of three digits after a first
   * group of one to three, the decimal separator once, an exponent only after a number with no thousands.
   */
  private number(b: Uint8Array, s: number, e: number): number {
    if (e - s + 1 > this.out.length) this.out = new Uint8Array(2 * (e - s + 1));
    const out = this.out;
    const sep = this.thousands;
    let p = 0;
    let i = s;
    if (b[i] === MINUS) out[p++] = b[i++]!;
    let group = 0;
    let grouped = false;
    while (i < e) {
      const d = b[i]!;
      if (isDigit(d)) {
        out[p++] = d;
        group++;
        i++;
        continue;
      }
      if (sep !== undefined && startsWith(b, i, e, sep)) {
        // The first group has 1-3 digits, every later one exactly 3.
        if (group === 0 || group > 3 || (grouped && group !== 3)) return -1;
        grouped = true;
        group = 0;
        i += sep.length;
        continue;
      }
      break;
    }
    if (group === 0 || (grouped && group !== 3)) return -1;
    if (i < e && b[i] === this.decimal) {
      out[p++] = 0x2e;
      i++;
      const f = i;
      while (i < e && isDigit(b[i])) out[p++] = b[i++]!;
      if (i === f) return -1;
    }
    if (i < e && !grouped && (b[i] === 0x65 || b[i] === 0x45)) {
      out[p++] = b[i++]!;
      if (b[i] === PLUS || b[i] === MINUS) out[p++] = b[i++]!;
      const x = i;
      while (i < e && isDigit(b[i])) out[p++] = b[i++]!;
      if (i === x) return -1;
    }
    return i === e ? p : -1;
  }
}

function hasByte(b: Uint8Array, s: number, e: number, byte: number): boolean {
  for (let i = s; i < e; i++) if (b[i] === byte) return true;
  return false;
}

function startsWith(b: Uint8Array, i: number, e: number, bytes: Uint8Array): boolean {
  if (i + bytes.length > e) return false;
  for (let k = 0; k < bytes.length; k++) if (b[i + k] !== bytes[k]) return false;
  return true;
}

/** Whether `b[s, e)` is one of `values` (lower case), ASCII letters compared case-insensitively. */
function matches(values: readonly Uint8Array[], b: Uint8Array, s: number, e: number): boolean {
  outer: for (const v of values) {
    if (v.length !== e - s) continue;
    for (let k = 0; k < v.length; k++) {
      const x = b[s + k]!;
      if ((x >= 0x41 && x <= 0x5a ? x | 0x20 : x) !== v[k]) continue outer;
    }
    return true;
  }
  return false;
}

/** The reader of a file's value options, or undefined when they are the defaults (the common, fast case). */
export function localeReader(options: ValueOptions | undefined): LocaleReader | undefined {
  if (options === undefined) return undefined;
  const plain =
    (options.decimalSeparator ?? CONVERT_DEFAULTS.decimalSeparator) === CONVERT_DEFAULTS.decimalSeparator &&
    (options.thousandsSeparator ?? '') === '' &&
    options.dateFormat === undefined &&
    options.timestampFormat === undefined &&
    (options.trueValues ?? []).length === 0 &&
    (options.falseValues ?? []).length === 0;
  return plain ? undefined : new LocaleReader(options);
}

/** {@link spellingOf}: a number written with a decimal comma (`3,14`, `1.234,5`), never a default number. */
export const COMMA_DECIMAL = 1;
/**
 * {@link spellingOf}: a default number that is also a thousands grouping (`1.200`, `-12.500`): 1.2 with a
 * decimal point, 1200 in a file whose decimal separator is a comma.
 */
export const DOT_GROUPED = 2;

/**
 * What a value's spelling says of the file's number locale, for a file read with no value options:
 * {@link COMMA_DECIMAL}, {@link DOT_GROUPED}, or 0 (nothing: most values).
 */
export function spellingOf(b: Uint8Array, s: number, e: number): number {
  let i = b[s] === MINUS ? s + 1 : s;
  const start = i;
  while (i < e && isDigit(b[i])) i++;
  const whole = i - start;
  if (whole === 0 || i === e) return 0;
  const sep = b[i];
  if (sep === 0x2e) {
    // d{1,3}.ddd, and more .ddd groups before a decimal comma.
    if (whole > 3) return 0;
    let groups = 0;
    while (i < e && b[i] === 0x2e) {
      const g = ++i;
      while (i < e && isDigit(b[i])) i++;
      if (i - g !== 3) return 0;
      groups++;
    }
    if (i === e) return groups === 1 ? DOT_GROUPED : 0;
    if (b[i] !== 0x2c) return 0;
  } else if (sep !== 0x2c) {
    return 0;
  }
  // A decimal comma: digits after it, and not three of them after a short integer part with no dot
  // group (`1,234` may be a thousands grouping).
  const commaAt = i;
  const f = ++i;
  while (i < e && isDigit(b[i])) i++;
  if (i !== e || i === f) return 0;
  const grouped = b[start + whole] === 0x2e;
  return !grouped && i - f === 3 && commaAt - start <= 3 ? 0 : COMMA_DECIMAL;
}
