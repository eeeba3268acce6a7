/*
 * The DECIMAL type: `decimal(p,s)`, the spelling of Glue, Athena, Spark and DuckDB, is the type's one name
 * everywhere (schema file, summary, dataset schema, Glue column). A value is its unscaled integer: p digits
 * at most, s of them after the point. Stored as Parquet INT64 up to 18 digits (every value an int64), and
 * as BYTE_ARRAY (big-endian two's complement, the bytes Avro's `decimal` takes too) from 19 to 38.
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
 * `x` (an unscaled value) as the fewest big-endian two's complement bytes that hold it: Parquet's
 * BYTE_ARRAY DECIMAL and Avro's `decimal` on `bytes`.
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
