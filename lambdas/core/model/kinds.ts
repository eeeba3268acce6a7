import { INT64_DECIMAL_PRECISION, decimalShape } from './decimal';
import type { ColumnType } from './schema';

/** Column types as small integers, for switch statements on hot paths. */
export const K_BOOLEAN = 0;
export const K_INT32 = 1;
export const K_INT64 = 2;
export const K_DOUBLE = 3;
export const K_DATE = 4;
export const K_TIMESTAMP = 5;
export const K_STRING = 6;
/** A decimal of up to 18 digits: its unscaled value is an int64. */
export const K_DECIMAL = 7;
/** A decimal of 19 to 38 digits: its unscaled value is big-endian two's complement bytes. */
export const K_DECIMAL_BYTES = 8;
const KINDS: Record<string, number> = {
  boolean: K_BOOLEAN,
  int32: K_INT32,
  int64: K_INT64,
  double: K_DOUBLE,
  date: K_DATE,
  timestamp: K_TIMESTAMP,
  string: K_STRING,
};

function kindOf(type: ColumnType): number {
  const kind = KINDS[type];
  if (kind !== undefined) return kind;
  return decimalShape(type)!.precision <= INT64_DECIMAL_PRECISION ? K_DECIMAL : K_DECIMAL_BYTES;
}

/** The kind of each column of a list of types. */
export function kindsOf(types: readonly ColumnType[]): Uint8Array {
  return Uint8Array.from(types, kindOf);
}

/**
 * Per column, the precision and scale of its decimal type (0 and 0 for any other type), at `2c` and
 * `2c + 1`: what a row sink checks a decimal value against.
 */
export function decimalShapesOf(types: readonly ColumnType[]): Uint8Array {
  const shapes = new Uint8Array(2 * types.length);
  types.forEach((type, c) => {
    const shape = decimalShape(type);
    if (shape === undefined) return;
    shapes[2 * c] = shape.precision;
    shapes[2 * c + 1] = shape.scale;
  });
  return shapes;
}
