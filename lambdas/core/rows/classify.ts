import * as lattice from '../model/type-lattice';
import { isDigit, latin1, parseDigits, twoDigits } from './digits';

/*
 * Value classification straight from UTF-8 bytes, with no string made for the common cases: `classify`
 * returns the set of column types that hold a value exactly, as a bit mask of the type lattice; inference
 * intersects the masks of every value of a column, and the row sinks check values against their column's
 * type with it.
 */

// Local copies: the hot paths read them as constants (a bundle inlines imported constants, a per-file
// transform such as tsx's or jest's reads them through getters).
const {
  M_BOOLEAN,
  M_DATE,
  M_DECIMAL,
  M_DOUBLE,
  M_INT32,
  M_INT64,
  M_TIMESTAMP,
  T_DECIMAL,
  T_DOUBLE,
  T_INT64,
  T_STRING,
} = lattice;

/** An int64 that a double would round (2^53 + 1): it never widens to double. */
const M_INT64_ONLY = T_INT64 | T_DECIMAL | T_STRING;

/** Most digits of an integer that `decimal(38,0)` holds. */
const DECIMAL_DIGITS = 38;

/** The classification every integer of up to {@link SAFE_INT_CHARS} characters has (int32 bit aside). */
export const SAFE_INT_MASK = M_INT64;

/** Digits beyond which an integer may not be a safe integer: longer ones are parsed as a bigint. */
export const SAFE_INT_CHARS = 15;

const D0 = 0x30;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const COLON = 0x3a;

const INT64_MAX = '9223372036854775807';
const INT64_MIN_ABS = '9223372036854775808';

/**
 * Classifies the non-empty value `b[s, e)`. A number has the double bit only when a double keeps its
 * value: an int64 when it is a double exactly (2^53 + 1 is not, so a column of it and `1.5` is text, not a
 * rounded double), a decimal or a larger integer when {@link doubleHolds}. Every integer of up to 38
 * digits has the decimal bit (`decimal(38,0)` holds it), no fraction has (see type-lattice.ts).
 */
export function classify(b: Uint8Array, s: number, e: number): number {
  const c = b[s]!;
  if (isDigit(c) || c === MINUS) {
    if (e - s >= 10 && b[s + 4] === MINUS && c !== MINUS) return classifyTemporal(b, s, e);
    return classifyNumber(b, s, e);
  }
  const len = e - s;
  if (len === 4 && (c | 0x20) === 0x74) {
    return (b[s + 1]! | 0x20) === 0x72 && (b[s + 2]! | 0x20) === 0x75 && (b[s + 3]! | 0x20) === 0x65
      ? M_BOOLEAN
      : T_STRING;
  }
  if (len === 5 && (c | 0x20) === 0x66) {
    return (b[s + 1]! | 0x20) === 0x61 &&
      (b[s + 2]! | 0x20) === 0x6c &&
      (b[s + 3]! | 0x20) === 0x73 &&
      (b[s + 4]! | 0x20) === 0x65
      ? M_BOOLEAN
      : T_STRING;
  }
  return T_STRING;
}

/** Significant digits a decimal may have for its double to hold it whatever they are (DBL_DIG). */
const EXACT_DIGITS = 15;
/** Past this length a literal without an exponent may be too small for a normal double. */
const EXACT_LENGTH = 300;

/** Classifies a number literal (see {@link classify}). */
export function classifyNumber(b: Uint8Array, s: number, e: number): number {
  let i = s;
  const negative = b[i] === MINUS;
  if (negative) i++;
  const intStart = i;
  if (i === e || !isDigit(b[i])) return T_STRING;
  if (b[i] === D0) {
    i++;
  } else {
    while (i < e && isDigit(b[i])) i++;
  }
  const intEnd = i;
  if (i === e) {
    const digits = intEnd - intStart;
    if (b[intStart] === D0) return negative ? M_DOUBLE : M_INT32; // "0"; "-0" keeps its sign as a double
    if (digits <= 9) return M_INT32;
    if (digits === 10) {
      const v = parseDigits(b, intStart, intEnd);
      return (negative ? v <= 2147483648 : v <= 2147483647) ? M_INT32 : M_INT64;
    }
    // Below 10^15 every integer is a double exactly.
    if (digits <= EXACT_DIGITS) return M_INT64;
    if (
      digits < 19 ||
      (digits === 19 && latin1(b, intStart, intEnd) <= (negative ? INT64_MIN_ABS : INT64_MAX))
    )
      return int64IsDouble(b, intStart, intEnd) ? M_INT64 : M_INT64_ONLY;
    // Beyond int64: exact as decimal(38,0) up to 38 digits, as a double only when it is one exactly.
    if (digits <= DECIMAL_DIGITS) return doubleHolds(b, s, e) ? M_DECIMAL | T_DOUBLE : M_DECIMAL;
    return doubleHolds(b, s, e) ? M_DOUBLE : T_STRING;
  }
  // Significant digits so far: none for a zero integer part ("0.0012" has two).
  let significant = b[intStart] === D0 ? 0 : intEnd - intStart;
  if (b[i] === DOT) {
    i++;
    if (!isDigit(b[i])) return T_STRING;
    const fraction = i;
    while (i < e && isDigit(b[i])) i++;
    if (significant === 0) {
      let z = fraction;
      while (z < i && b[z] === D0) z++;
      significant = i - z;
    } else {
      significant += i - fraction;
    }
    if (i === e) {
      // Up to 15 significant digits a double always gives the decimal back (its shortest form is it).
      if (significant <= EXACT_DIGITS && e - s <= EXACT_LENGTH) return M_DOUBLE;
      return doubleHolds(b, s, e) ? M_DOUBLE : T_STRING;
    }
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    i++;
    if (b[i] === PLUS || b[i] === MINUS) i++;
    if (i === e || !isDigit(b[i])) return T_STRING;
    while (i < e && isDigit(b[i])) i++;
    if (i === e) return doubleHolds(b, s, e) ? M_DOUBLE : T_STRING;
  }
  return T_STRING;
}

/** 2^n for n = 53…64 as `hi · 10^9 + lo`, to find an int64's bit length without a bigint. */
const POW2_SPLIT = Array.from({ length: 12 }, (_, k) => {
  const v = 2n ** BigInt(53 + k);
  return { hi: Number(v / 1000000000n), lo: Number(v % 1000000000n) };
});

/**
 * Whether the int64 of 16 to 19 digits `b[s, e)` (no sign) is a double exactly: with a bit length of
 * 53 + k, when it is a multiple of 2^k. Number arithmetic on two exact halves, as it runs per value.
 */
function int64IsDouble(b: Uint8Array, s: number, e: number): boolean {
  const split = e - 9;
  const hi = parseDigits(b, s, split);
  const lo = parseDigits(b, split, e);
  let k = 0;
  while (k < POW2_SPLIT.length) {
    const p = POW2_SPLIT[k]!;
    if (hi < p.hi || (hi === p.hi && lo < p.lo)) break;
    k++;
  }
  if (k === 0) return true;
  const m = 2 ** k;
  // 10^9 mod 2^k, and every product below 2^21: exact.
  return ((((hi % m) * (1e9 % m)) % m) + (lo % m)) % m === 0;
}

/**
 * Whether a number literal keeps its value as a double: the double's shortest form (what every reader
 * prints) is the same decimal number (`1.50` and `1.5` are, `82544000000000707.52` and
 * `82544000000000700` are not), or, for an integer, the double is exactly it (2^64). Beyond 17 significant
 * digits only such integers do; infinities (`1e999`) and underflows to zero (`1e-999`) never. (An int64
 * is a double only when exact: see {@link classify}.)
 */
export function doubleHolds(b: Uint8Array, s: number, e: number): boolean {
  const text = latin1(b, s, e);
  const value = Number(text);
  if (!Number.isFinite(value)) return false;
  const decimal = normalDecimal(text);
  if (decimal === normalDecimal(String(value))) return true;
  return isIntegerLiteral(text) && Number.isInteger(value) && BigInt(value) === BigInt(text);
}

function isIntegerLiteral(text: string): boolean {
  for (let k = text[0] === '-' ? 1 : 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c < D0 || c > D0 + 9) return false;
  }
  return true;
}

/**
 * A decimal literal's value as `<significant digits>e<exponent>` with no leading or trailing zeros
 * (`0.0150` is `15e-3`, zero is `0`), so that two literals of one value compare equal; the sign is left
 * out (a double keeps it in any case).
 */
function normalDecimal(text: string): string {
  let body = text[0] === '-' ? text.slice(1) : text;
  let exponent = 0;
  const ePos = body.search(/[eE]/u);
  if (ePos >= 0) {
    exponent = Number(body.slice(ePos + 1));
    body = body.slice(0, ePos);
  }
  const dot = body.indexOf('.');
  let digits = body;
  if (dot >= 0) {
    digits = body.slice(0, dot) + body.slice(dot + 1);
    exponent -= body.length - dot - 1;
  }
  let start = 0;
  while (start < digits.length && digits.charCodeAt(start) === D0) start++;
  let end = digits.length;
  while (end > start && digits.charCodeAt(end - 1) === D0) end--;
  if (start === end) return '0';
  exponent += digits.length - end;
  return `${digits.slice(start, end)}e${exponent}`;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Validates `YYYY-MM-DD` at `s`; returns false when it is not a calendar date. */
function validDate(b: Uint8Array, s: number): boolean {
  const hi = twoDigits(b, s);
  const lo = twoDigits(b, s + 2);
  const month = twoDigits(b, s + 5);
  const day = twoDigits(b, s + 8);
  if (hi < 0 || lo < 0 || month < 1 || month > 12 || day < 1 || b[s + 7] !== MINUS) return false;
  return day <= daysInMonth(hi * 100 + lo, month);
}

/** Whether `b[i, e)` is a time of day `HH:MM[:SS[.ffffff]]` with an optional `Z`/`±HH:MM`/`±HHMM`/`±HH`. */
function timeEnd(b: Uint8Array, i: number, e: number): boolean {
  if (e - i < 5) return false;
  const hh = twoDigits(b, i);
  const mm = twoDigits(b, i + 3);
  if (hh < 0 || hh > 23 || b[i + 2] !== COLON || mm < 0 || mm > 59) return false;
  i += 5;
  // `i < e` first: the byte at `e` is the next field's delimiter, which may be a colon or a dot.
  if (i < e && b[i] === COLON) {
    const ss = twoDigits(b, i + 1);
    if (ss < 0 || ss > 59) return false;
    i += 3;
    if (i < e && b[i] === DOT) {
      i++;
      const f = i;
      while (i < e && isDigit(b[i])) i++;
      if (i === f || i - f > 6) return false; // more than microseconds: keep the text
    }
  }
  if (i === e) return true;
  const c = b[i];
  if (c === 0x5a || c === 0x7a) return i + 1 === e;
  if (c !== PLUS && c !== MINUS) return false;
  const oh = twoDigits(b, i + 1);
  if (oh < 0 || oh > 23) return false;
  i += 3;
  if (i === e) return true;
  if (b[i] === COLON) i++;
  const om = twoDigits(b, i);
  return om >= 0 && om <= 59 && i + 2 === e;
}

function classifyTemporal(b: Uint8Array, s: number, e: number): number {
  if (!validDate(b, s)) return T_STRING;
  if (e - s === 10) return M_DATE;
  const sep = b[s + 10];
  if ((sep === 0x54 || sep === 0x20 || sep === 0x74) && timeEnd(b, s + 11, e)) return M_TIMESTAMP;
  return T_STRING;
}
