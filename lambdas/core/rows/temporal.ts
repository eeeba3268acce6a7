/*
 * Dates and timestamps straight from UTF-8 bytes, checked as they are parsed: the fast paths of the date
 * and timestamp columns (one scan instead of classify-then-parse). Each returns NaN for a value it leaves
 * to the general path (`classify`, then `parseDate`/`parseTimestamp`), which decides it: a value such a
 * function accepts is one `classify` accepts with the same classification, and its result is the general
 * path's to the bit (test/unit/core/rows/temporal.test.ts checks both over the edge cases).
 */

const D0 = 0x30;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const COLON = 0x3a;

/** Days from March 1 to the first of month m (1-12) in a year that starts in March (Hinnant's doy). */
const DAYS_BEFORE = Int32Array.of(0, 306, 337, 0, 31, 61, 92, 122, 153, 184, 214, 245, 275);
/** Most days of month m (1-12), February's in a leap year. */
const MONTH_DAYS = Uint8Array.of(0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31);
/** Days from 0400-03-01 (year 0 shifted by one 400-year era, so that every count is >= 0) to 1970-01-01. */
const EPOCH = 719468 + 146097;
/** Seconds beyond which microseconds since the epoch are no longer a safe integer (as `SAFE_MICROS_SECONDS`). */
const SAFE_SECONDS = 9e9;

/**
 * Days from 1970-01-01 to the proleptic Gregorian date y-m-d, for years 0-9999 and a month of 1-12:
 * H. Hinnant's days-from-civil with no division (the year is shifted by 400 so that it is never negative,
 * and `(Y * 5243) >>> 19` is `floor(Y / 100)` for every Y below 10,400). Equals `daysFromCivil`.
 */
export function civilDays(y: number, m: number, d: number): number {
  const year = y + 400 - (m <= 2 ? 1 : 0);
  const century = (year * 5243) >>> 19;
  return year * 365 + (year >> 2) - century + (century >> 2) + DAYS_BEFORE[m]! + d - 1 - EPOCH;
}

/**
 * The days since 1970-01-01 of the `YYYY-MM-DD` at `b[s]` (its ten bytes must be in the array and its
 * dashes checked), or NaN when it is no calendar date (as `validDate` of classify.ts decides).
 */
function dateAt(b: Uint8Array, s: number): number {
  const y0 = b[s]! - D0;
  const y1 = b[s + 1]! - D0;
  const y2 = b[s + 2]! - D0;
  const y3 = b[s + 3]! - D0;
  const m0 = b[s + 5]! - D0;
  const m1 = b[s + 6]! - D0;
  const d0 = b[s + 8]! - D0;
  const d1 = b[s + 9]! - D0;
  // One unsigned compare per digit: a byte below '0' wraps to a large number.
  if (
    y0 >>> 0 > 9 ||
    y1 >>> 0 > 9 ||
    y2 >>> 0 > 9 ||
    y3 >>> 0 > 9 ||
    m0 >>> 0 > 9 ||
    m1 >>> 0 > 9 ||
    d0 >>> 0 > 9 ||
    d1 >>> 0 > 9
  )
    return NaN;
  const year = y0 * 1000 + y1 * 100 + y2 * 10 + y3;
  const month = m0 * 10 + m1;
  const day = d0 * 10 + d1;
  if ((month - 1) >>> 0 > 11 || (day - 1) >>> 0 >= MONTH_DAYS[month]!) return NaN;
  // Worked out for every date, though only February 29 needs it: first reached in optimized code (at the
  // first February 29, or the first year 1900), it would have no type feedback, and V8 would throw away
  // the row loop it is inlined in.
  const noLeap = (year & 3) | ((year % 100 === 0 ? 1 : 0) & (year % 400 !== 0 ? 1 : 0));
  if (month === 2 && day === 29 && noLeap !== 0) return NaN;
  return civilDays(year, month, day);
}

/** The two digits at `b[i]` as a number, -1 when they are not two digits (both must be in the array). */
function two(b: Uint8Array, i: number): number {
  const a = b[i]! - D0;
  const c = b[i + 1]! - D0;
  return a >>> 0 > 9 || c >>> 0 > 9 ? -1 : a * 10 + c;
}

/**
 * A `YYYY-MM-DD` date `b[s, e)` as days since 1970-01-01, checked as `classify` checks it; NaN for any
 * other value (the value is then no date).
 */
export function parseDateChecked(b: Uint8Array, s: number, e: number): number {
  if (e - s !== 10 || b[s + 4] !== MINUS || b[s + 7] !== MINUS) return NaN;
  return dateAt(b, s);
}

/**
 * A date or timestamp `b[s, e)` as microseconds since the epoch in UTC, checked as `classify` checks it
 * (`YYYY-MM-DD[(T| )HH:MM[:SS[.f{1,6}]][Z|±HH[[:]MM]]]`, no offset meaning UTC); NaN for a value left to
 * the general path: no such value, one whose microseconds are no safe integer (a bigint there), or one
 * whose check `classify` finishes by reading the byte after the field (a time that ends at `HH:MM` or
 * `HH:MM:SS` with `:` or `.` next, an offset cut short).
 */
export function timestampMicrosChecked(b: Uint8Array, s: number, e: number): number {
  const n = e - s;
  if (n < 10 || b[s + 4] !== MINUS || b[s + 7] !== MINUS) return NaN;
  const days = dateAt(b, s);
  if (days !== days) return NaN;
  let seconds = days * 86400;
  let micros = 0;
  if (n !== 10) {
    const sep = b[s + 10];
    if (n < 16 || (sep !== 0x54 && sep !== 0x20 && sep !== 0x74) || b[s + 13] !== COLON) return NaN;
    const hh = two(b, s + 11);
    const mm = two(b, s + 14);
    if (hh < 0 || hh > 23 || mm < 0 || mm > 59) return NaN;
    seconds += hh * 3600 + mm * 60;
    let i = s + 16;
    if (i < e && b[i] === COLON) {
      if (i + 3 > e) return NaN;
      const ss = two(b, i + 1);
      if (ss < 0 || ss > 59) return NaN;
      seconds += ss;
      i += 3;
      if (i < e && b[i] === DOT) {
        const f = ++i;
        let place = 100000;
        for (; i < e; i++) {
          const d = b[i]! - D0;
          if (d >>> 0 > 9) break;
          micros += d * place;
          place /= 10;
        }
        if (i === f || i - f > 6) return NaN; // more than microseconds: text
      }
    }
    if (i < e) {
      const c = b[i];
      if (c === 0x5a || c === 0x7a) {
        if (i + 1 !== e) return NaN;
      } else {
        if ((c !== PLUS && c !== MINUS) || i + 3 > e) return NaN;
        const oh = two(b, i + 1);
        if (oh < 0 || oh > 23) return NaN;
        let offset = oh * 3600;
        i += 3;
        if (i < e) {
          if (b[i] === COLON) i++;
          if (i + 2 !== e) return NaN;
          const om = two(b, i);
          if (om < 0 || om > 59) return NaN;
          offset += om * 60;
        }
        seconds -= c === PLUS ? offset : -offset;
      }
    }
  }
  return Math.abs(seconds) < SAFE_SECONDS ? seconds * 1e6 + micros : NaN;
}

/** The boolean `b[s, e)` as 1 (`true`, any case) or 0 (`false`), checked as `classify` checks it; -1 for any other value. */
export function parseBooleanChecked(b: Uint8Array, s: number, e: number): number {
  const n = e - s;
  const c = b[s]! | 0x20;
  if (n === 4 && c === 0x74)
    return (b[s + 1]! | 0x20) === 0x72 && (b[s + 2]! | 0x20) === 0x75 && (b[s + 3]! | 0x20) === 0x65 ? 1 : -1;
  if (n === 5 && c === 0x66)
    return (b[s + 1]! | 0x20) === 0x61 &&
      (b[s + 2]! | 0x20) === 0x6c &&
      (b[s + 3]! | 0x20) === 0x73 &&
      (b[s + 4]! | 0x20) === 0x65
      ? 0
      : -1;
  return -1;
}
