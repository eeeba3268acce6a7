import { T_DOUBLE } from '../model/type-lattice';
import { classifyNumber } from './classify';
import { isDigit, latin1, parseDigits, twoDigits } from './digits';
import { civilDays } from './temporal';

/*
 * Parsing values straight from UTF-8 bytes. The plain parse functions are called only on values that
 * `classify` accepted for the target type; the `Checked` ones check as they parse, as `classify` would,
 * one scan instead of two on the hot paths.
 */

const D0 = 0x30;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const COLON = 0x3a;

/** Parses an integer accepted by {@link classify} whose value is a safe integer (int32, or int64 of at most 15 characters). */
export function parseInt32(b: Uint8Array, s: number, e: number): number {
  return b[s] === MINUS ? -parseDigits(b, s + 1, e) : parseDigits(b, s, e);
}

/**
 * Parses an int32 literal, checking it as {@link classify} would: NaN when `b[s, e)` is not a canonical
 * integer within the int32 range. One scan instead of classify-then-parse on the hot path.
 */
export function parseInt32Checked(b: Uint8Array, s: number, e: number): number {
  let i = s;
  const negative = b[i] === MINUS;
  if (negative) i++;
  if (i === e) return NaN;
  // Tested before the branch that uses it (see parseSafeIntChecked).
  const single = i + 1 === e;
  if (b[i] === D0) return single && !negative ? 0 : NaN;
  if (e - i > 10) return NaN;
  let v = 0;
  for (; i < e; i++) {
    const d = b[i]! - D0;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  if (negative) v = -v;
  return v < -2147483648 || v > 2147483647 ? NaN : v;
}

/**
 * Parses an integer literal of at most {@link SAFE_INT_CHARS} characters (sign included: the caller checks
 * the length), checking it as {@link classify} would: NaN when `b[s, e)` is not a canonical integer. A
 * value it returns is a safe integer whose classification holds {@link SAFE_INT_MASK}: the int64 columns'
 * fast path, one scan instead of classify-then-parse.
 */
export function parseSafeIntChecked(b: Uint8Array, s: number, e: number): number {
  let i = s;
  const negative = b[i] === MINUS;
  if (negative) i++;
  if (i === e) return NaN;
  // A leading 0 is the value 0 or no canonical integer. Whether it is the only digit is tested for every
  // value: tested only then, at a column's first 0, optimized code would meet it with no type feedback
  // and V8 would throw away the row loop it is inlined in.
  const single = i + 1 === e;
  if (b[i] === D0) return single && !negative ? 0 : NaN;
  let v = 0;
  for (; i < e; i++) {
    const d = b[i]! - D0;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return negative ? -v : v;
}

/**
 * Parses a double, checking it as {@link classify} would: NaN when `b[s, e)` is not a number literal this
 * project accepts (`-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`) or one whose value a double does not keep
 * (see {@link doubleHolds}). Correctly rounded.
 */
export function parseDoubleChecked(b: Uint8Array, s: number, e: number): number {
  let i = s;
  const negative = b[i] === MINUS;
  if (negative) i++;
  if (i === e) return NaN;
  let mantissa = 0;
  let digits = 0;
  let scale = 0;
  if (b[i] === D0) {
    i++;
    digits = 1;
  } else {
    for (; i < e; i++) {
      const d = b[i]! - D0;
      if (d < 0 || d > 9) break;
      mantissa = mantissa * 10 + d;
      digits++;
    }
    if (digits === 0) return NaN;
  }
  if (i < e && b[i] === DOT) {
    const f = ++i;
    for (; i < e; i++) {
      const d = b[i]! - D0;
      if (d < 0 || d > 9) break;
      mantissa = mantissa * 10 + d;
      digits++;
    }
    scale = i - f;
    if (scale === 0) return NaN;
  }
  if (i < e) {
    if (b[i] !== 0x65 && b[i] !== 0x45) return NaN;
    i++;
    if (b[i] === PLUS || b[i] === MINUS) i++;
    if (i === e) return NaN;
    for (; i < e; i++) if (!isDigit(b[i])) return NaN;
    return checkedSlow(b, s, e);
  }
  if (digits > 15 || scale > 22) return checkedSlow(b, s, e);
  const v = mantissa / POW10[scale]!;
  return negative ? -v : v;
}

/** A literal past the fast path: the very rule of {@link classify}, so that check and inference agree. */
function checkedSlow(b: Uint8Array, s: number, e: number): number {
  return (classifyNumber(b, s, e) & T_DOUBLE) !== 0 ? Number(latin1(b, s, e)) : NaN;
}

/** Parses an int64 value accepted by {@link classify} that is too long for a number (see SAFE_INT_CHARS). */
export function parseInt64BigInt(b: Uint8Array, s: number, e: number): bigint {
  return BigInt(latin1(b, s, e));
}

const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
  1e20, 1e21, 1e22,
];

/** Parses a number accepted by {@link classify} as a double, correctly rounded. */
export function parseDouble(b: Uint8Array, s: number, e: number): number {
  // Fast path: up to 15 significant digits and a plain fraction; mantissa and 10^k are exact doubles,
  // so one division is correctly rounded.
  let i = s;
  const negative = b[i] === MINUS;
  if (negative) i++;
  let mantissa = 0;
  let digits = 0;
  let scale = 0;
  for (; i < e; i++) {
    const c = b[i]!;
    if (c === DOT) {
      scale = e - i - 1;
      continue;
    }
    if (c < D0 || c > D0 + 9) return Number(latin1(b, s, e));
    mantissa = mantissa * 10 + (c - D0);
    digits++;
  }
  if (digits > 15 || scale > 22) return Number(latin1(b, s, e));
  const v = mantissa / POW10[scale]!;
  return negative ? -v : v;
}

/** Parses a `YYYY-MM-DD` date accepted by {@link classify}: days since 1970-01-01. */
export function parseDate(b: Uint8Array, s: number): number {
  const year = twoDigits(b, s) * 100 + twoDigits(b, s + 2);
  return civilDays(year, twoDigits(b, s + 5), twoDigits(b, s + 8));
}

/**
 * Parses a date or timestamp accepted by {@link classify} into `out`: `out[0]` the seconds since the epoch
 * in UTC, `out[1]` the microseconds within the second. A timestamp without an offset is taken as UTC.
 */
export function parseTimestamp(b: Uint8Array, s: number, e: number, out: Float64Array): void {
  let seconds = parseDate(b, s) * 86400;
  let micros = 0;
  if (e - s > 10) {
    let i = s + 11;
    seconds += twoDigits(b, i) * 3600 + twoDigits(b, i + 3) * 60;
    i += 5;
    // Bytes at `e` and past are the next field's (a colon or dot delimiter must not read as seconds).
    if (i < e && b[i] === COLON) {
      seconds += twoDigits(b, i + 1);
      i += 3;
      if (i < e && b[i] === DOT) {
        i++;
        let place = 100000;
        while (i < e && isDigit(b[i])) {
          micros += (b[i]! - D0) * place;
          place /= 10;
          i++;
        }
      }
    }
    if (i < e && (b[i] === PLUS || b[i] === MINUS)) {
      const sign = b[i] === PLUS ? 1 : -1;
      let offset = twoDigits(b, i + 1) * 3600;
      i += 3;
      if (i < e && b[i] === COLON) i++;
      if (i < e) offset += twoDigits(b, i) * 60;
      seconds -= sign * offset;
    }
  }
  out[0] = seconds;
  out[1] = micros;
}

/** Seconds beyond which microseconds since the epoch are no longer a safe integer (2^53 µs ≈ 285 years). */
export const SAFE_MICROS_SECONDS = 9e9;

/** Whether the value is `true` (any case); call only on values classified as boolean. */
export function parseBoolean(b: Uint8Array, s: number): boolean {
  return (b[s]! | 0x20) === 0x74;
}
