import { latin1 } from './digits';

/*
 * Decimal values straight from UTF-8 bytes: a literal `-?(0|[1-9]\d*)(\.\d+)?` (the number syntax of the
 * other types: no leading zeros, no `+`, no exponent) whose integer part has at most `precision - scale`
 * digits and whose fraction at most `scale` (never rounded: `1.005` is no decimal(10,2)); `-0` is no
 * decimal(p,0), as it is no int64 (`classify` keeps its sign as a double). The unscaled value is a number
 * up to 15 digits, a bigint beyond.
 */

const D0 = 0x30;
const MINUS = 0x2d;
const DOT = 0x2e;

/** Digits of an unscaled value that a number holds exactly whatever they are. */
const SAFE_DIGITS = 15;

const POW10 = Array.from({ length: SAFE_DIGITS + 1 }, (_, k) => 10 ** k);

/**
 * The unscaled value of `b[s, e)` as a `decimal(precision, scale)`: a number while it has at most 15
 * digits, a bigint beyond; NaN when the literal is no such decimal.
 */
export function decimalValue(
  b: Uint8Array,
  s: number,
  e: number,
  precision: number,
  scale: number,
): number | bigint {
  let i = s;
  const negative = b[i] === MINUS;
  if (negative) i++;
  const intStart = i;
  if (i === e) return NaN;
  let v = 0;
  if (b[i] === D0) {
    i++;
  } else {
    for (; i < e; i++) {
      const d = b[i]! - D0;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
  }
  const intEnd = i;
  if (intEnd === intStart) return NaN;
  const intDigits = b[intStart] === D0 ? 0 : intEnd - intStart;
  if (intDigits > precision - scale) return NaN;
  let fraction = 0;
  if (i < e) {
    if (b[i] !== DOT) return NaN;
    const f = ++i;
    for (; i < e; i++) {
      const d = b[i]! - D0;
      if (d < 0 || d > 9) return NaN;
      v = v * 10 + d;
    }
    fraction = i - f;
    if (fraction === 0 || fraction > scale) return NaN;
  } else if (negative && intDigits === 0) {
    return NaN;
  }
  if (intDigits + scale <= SAFE_DIGITS) {
    // Every partial value had at most 15 digits: exact.
    const x = v * POW10[scale - fraction]!;
    return negative ? -x : x;
  }
  const text = fraction === 0 ? latin1(b, s, intEnd) : latin1(b, s, intEnd) + latin1(b, intEnd + 1, e);
  return BigInt(text) * 10n ** BigInt(scale - fraction);
}

/**
 * Writes the unscaled value `x` at `b[p]` as Avro `bytes` (a zig-zag length, then the fewest big-endian
 * two's complement bytes that hold it) and returns the position after it; `b` has room for 18 bytes.
 */
export function putUnscaledNumber(b: Uint8Array, p: number, x: number): number {
  // A safe integer: at most 7 bytes. Negative values are the complement of (-x - 1), exact as a number.
  const negative = x < 0;
  let m = negative ? -x - 1 : x;
  let n = 1;
  while (n < 7 && m >= 2 ** (8 * n - 1)) n++;
  b[p++] = 2 * n; // zig-zag of n < 64
  for (let k = p + n - 1; k >= p; k--) {
    const byte = m % 256;
    b[k] = negative ? 255 - byte : byte;
    m = (m - byte) / 256;
  }
  return p + n;
}
