/*
 * The DECIMAL type: `decimal(p,s)`, the spelling of Glue, Athena, Spark and DuckDB, is the type's one name
 * everywhere (schema file, summary, dataset schema, Glue column). A value is its unscaled integer: p digits
 * at most, s of them after the point. Stored as Parquet INT64 up to 18 digits (every value an int64), and
 * from 19 to 38 as FIXED_LEN_BYTE_ARRAY of {@link decimalByteWidth} bytes (big-endian two's complement,
 * sign-extended: what Hive, Impala and legacy Spark read, and what pyarrow and Spark write). The column
 * vector and Avro's `decimal` hold the fewest bytes ({@link unscaledBytes}).
 */

/** A decimal type, spelled `decimal(<precision>,<scale>)` with no spaces: `decimal(18,2)`. */
export type DecimalType = `decimal(${number},${number})`;

/** Most digits a decimal holds (Glue, Athena, Spark, DuckDB, pyarrow's decimal128). */
export const MAX_DECIMAL_PRECISION = 38;
/** Most digits a decimal stored as an int64 holds (Parquet's INT64 DECIMAL). */
export const INT64_DECIMAL_PRECISION = 18;

/** A decimal type's precision and scale. */
export interface DecimalShape {
  readonly precision: number;
  readonly scale: number;
}

/**
 * The decimal inferred for integers beyond int64: every integer of up to 38 digits. (A decimal with a
 * fraction is inferred never: a number a double does not keep stays text unless a schema file says
 * `decimal(p,s)`.)
 */
export const INFERRED_DECIMAL: DecimalType = 'decimal(38,0)';

const DECIMAL_TEXT = /^decimal\(\s*(\d{1,2})\s*(?:,\s*(\d{1,2})\s*)?\)$/iu;
const shapes = new Map<string, DecimalShape | undefined>();

/** The decimal type of a precision and scale (its one spelling). */
export function decimalType(precision: number, scale: number): DecimalType {
  return `decimal(${precision},${scale})`;
}

/**
 * A decimal type's precision and scale; undefined for any other type, or a decimal spelled otherwise
 * than {@link decimalType} spells it.
 */
export function decimalShape(type: string): DecimalShape | undefined {
  if (!type.startsWith('decimal(')) return undefined;
  let shape = shapes.get(type);
  if (shape === undefined && !shapes.has(type)) {
    const parsed = parseDecimalType(type);
    shape = parsed && decimalType(parsed.precision, parsed.scale) === type ? parsed : undefined;
    shapes.set(type, shape);
  }
  return shape;
}

/**
 * Reads a decimal type as a person may write it (`decimal(18,2)`, `DECIMAL(18, 2)`, `decimal(10)` for a
 * scale of 0): its shape, or undefined when the text is no decimal type or an impossible one (precision
 * 1-38, scale 0-precision).
 */
export function parseDecimalType(text: string): DecimalShape | undefined {
  const match = DECIMAL_TEXT.exec(text.trim());
  if (!match) return undefined;
  const precision = Number(match[1]);
  const scale = match[2] === undefined ? 0 : Number(match[2]);
  if (precision < 1 || precision > MAX_DECIMAL_PRECISION || scale > precision) return undefined;
  return { precision, scale };
}

/**
 * The narrowest decimal that holds every value of two decimals (the larger scale, and room for the larger
 * integer part); undefined beyond 38 digits.
 */
export function joinDecimals(a: DecimalShape, b: DecimalShape): DecimalType | undefined {
  const scale = Math.max(a.scale, b.scale);
  const precision = Math.max(a.precision - a.scale, b.precision - b.scale) + scale;
  return precision <= MAX_DECIMAL_PRECISION ? decimalType(precision, scale) : undefined;
}

/**
 * `x` (an unscaled value) as the fewest big-endian two's complement bytes that hold it: the bytes of
 * Avro's `decimal` on `bytes`, and the column vector of a decimal of more than 18 digits (Parquet's
 * FIXED_LEN_BYTE_ARRAY sign-extends them: {@link putSignExtended}).
 */
export function unscaledBytes(x: bigint): Uint8Array {
  let n = 1;
  // n bytes hold [-2^(8n-1), 2^(8n-1)).
  while (x >= 1n << BigInt(8 * n - 1) || x < -(1n << BigInt(8 * n - 1))) n++;
  const out = new Uint8Array(n);
  let v = BigInt.asUintN(8 * n, x);
  for (let k = n - 1; k >= 0; k--) {
    out[k] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * The bytes of a FIXED_LEN_BYTE_ARRAY decimal of `precision` digits: the fewest that hold every
 * unscaled value of up to that many digits, ±(10^p − 1) (9 for 19 and 20 digits, 10 for 23, 16 for 38).
 */
export function decimalByteWidth(precision: number): number {
  const bound = 10n ** BigInt(precision);
  let n = 1;
  while (1n << BigInt(8 * n - 1) < bound) n++;
  return n;
}

/**
 * Writes the fewest-bytes two's complement `bytes[s, e)` at `out[p]` sign-extended to `width` bytes (the
 * caller checked that they fit); returns the position after them.
 */
export function putSignExtended(
  bytes: Uint8Array,
  s: number,
  e: number,
  width: number,
  out: Uint8Array,
  p: number,
): number {
  const pad = e > s && bytes[s]! >= 0x80 ? 0xff : 0;
  const end = p + width;
  const start = end - (e - s);
  out.fill(pad, p, start);
  // At most 16 bytes: a loop, not a subarray per value.
  for (let k = 0; k < e - s; k++) out[start + k] = bytes[s + k]!;
  return end;
}

/**
 * Signed order of two big-endian two's complement byte ranges of any lengths (each read as if
 * sign-extended to the longer): the order of their unscaled values, the order DECIMAL statistics take.
 */
export function compareSigned(
  a: Uint8Array,
  as: number,
  ae: number,
  b: Uint8Array,
  bs: number,
  be: number,
): number {
  const la = ae - as;
  const lb = be - bs;
  const width = Math.max(la, lb);
  const padA = la > 0 && a[as]! >= 0x80 ? 0xff : 0;
  const padB = lb > 0 && b[bs]! >= 0x80 ? 0xff : 0;
  for (let i = 0; i < width; i++) {
    let x = i < width - la ? padA : a[as + i - (width - la)]!;
    let y = i < width - lb ? padB : b[bs + i - (width - lb)]!;
    // The first byte carries the sign: flipping its top bit makes the unsigned order the signed one.
    if (i === 0) {
      x ^= 0x80;
      y ^= 0x80;
    }
    if (x !== y) return x - y;
  }
  return 0;
}

/** The unscaled value of big-endian two's complement bytes (see {@link unscaledBytes}). */
export function unscaledValue(bytes: Uint8Array, start = 0, end = bytes.length): bigint {
  let v = 0n;
  for (let k = start; k < end; k++) v = (v << 8n) | BigInt(bytes[k]!);
  return end > start ? BigInt.asIntN(8 * (end - start), v) : 0n;
}

/** A decimal's unscaled value as its text (`12345`, scale 2 → `123.45`), as readers print it. */
export function decimalText(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  let digits = (negative ? -unscaled : unscaled).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  return negative ? `-${digits}` : digits;
}
