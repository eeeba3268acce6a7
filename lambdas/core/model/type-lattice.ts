import { decimalShape, INFERRED_DECIMAL, joinDecimals, type DecimalShape } from './decimal';
import type { ColumnType } from './schema';

/*
 * The lattice of column types as bit masks: a value's classification is the set of types that hold it
 * exactly (see rows/classify.ts), a column's type the narrowest type in the intersection of its values'
 * masks. `M_<TYPE>` is the mask of any value of a type: the type and every type that holds all its values.
 *
 * Decimals: the T_DECIMAL bit of a value says that the column's decimal holds it: `decimal(38,0)` (every
 * integer of up to 38 digits) for an inferred column, the table's or the schema's `decimal(p,s)` for a
 * column that has one (inference checks those values against that shape). Integers widen int32 → int64 →
 * decimal → double: a column of integers that int64 does not hold is `decimal(38,0)` (exact) before it is
 * a double, and a double only when a double holds each value exactly; a decimal and a double join as
 * text, since a decimal's value may be no double. A fraction never infers as a decimal: a number a double
 * does not keep is text unless a schema says `decimal(p,s)` (a shape guessed from the values could not be
 * the one a later file needs).
 */

export const T_BOOLEAN = 1;
export const T_INT32 = 2;
export const T_INT64 = 4;
export const T_DOUBLE = 8;
export const T_DATE = 16;
export const T_TIMESTAMP = 32;
export const T_STRING = 64;
export const T_DECIMAL = 128;
export const T_ANY = 255;

export const M_BOOLEAN = T_BOOLEAN | T_STRING;
export const M_INT32 = T_INT32 | T_INT64 | T_DECIMAL | T_DOUBLE | T_STRING;
export const M_INT64 = T_INT64 | T_DECIMAL | T_DOUBLE | T_STRING;
export const M_DOUBLE = T_DOUBLE | T_STRING;
export const M_DATE = T_DATE | T_TIMESTAMP | T_STRING;
export const M_TIMESTAMP = T_TIMESTAMP | T_STRING;
export const M_DECIMAL = T_DECIMAL | T_STRING;

const TYPE_BITS: Record<string, number> = {
  boolean: T_BOOLEAN,
  int32: T_INT32,
  int64: T_INT64,
  double: T_DOUBLE,
  date: T_DATE,
  timestamp: T_TIMESTAMP,
  string: T_STRING,
};

/** The bit of a column type in a classification mask. */
export function typeBit(type: ColumnType): number {
  return TYPE_BITS[type] ?? T_DECIMAL;
}

/** The candidate types of any value of a type: what a column of only such values ends with. */
const TYPE_MASKS: Record<string, number> = {
  boolean: M_BOOLEAN,
  int32: M_INT32,
  int64: M_INT64,
  double: M_DOUBLE,
  date: M_DATE,
  timestamp: M_TIMESTAMP,
  string: T_STRING,
};

/** The decimal shape of an integer type: the digits of its largest value. */
const INTEGER_SHAPES: Record<string, DecimalShape> = {
  int32: { precision: 10, scale: 0 },
  int64: { precision: 19, scale: 0 },
};

/**
 * The narrowest type that holds every value of both types, along the lattice: int32 → int64 → decimal →
 * double → string (a decimal and a double: string), date → timestamp → string, two decimals the decimal
 * with the larger scale and integer part (string past 38 digits), any other mix → string.
 */
export function joinTypes(a: ColumnType, b: ColumnType): ColumnType {
  if (a === b) return a;
  const da = decimalShape(a) ?? (decimalShape(b) ? INTEGER_SHAPES[a] : undefined);
  const db = decimalShape(b) ?? (da ? INTEGER_SHAPES[b] : undefined);
  if (da && db) return joinDecimals(da, db) ?? 'string';
  return narrowestType(floorMask(a) & floorMask(b), true);
}

/**
 * The candidate types inference keeps from a column's mask when nothing bounds it from below: every type
 * but int32, so that integers infer as int64, as DuckDB, Spark and Athena infer BIGINT (a bigger id one
 * night then never changes a column's physical type). int32 is written only when a schema file says so.
 */
export const INFERENCE_MASK = T_ANY & ~T_INT32;

/**
 * The candidate types of a column whose type starts at `type` (a table's type, the floor its values widen
 * from): `type` and every type that holds all of its values. A column's final type is then the narrowest
 * type in (its values' mask & this mask).
 */
export function floorMask(type: ColumnType): number {
  return TYPE_MASKS[type] ?? M_DECIMAL;
}

/**
 * The narrowest type in a mask of candidate types; `string` when no value was seen. The decimal bit is
 * `decimal` (the column's own decimal, when it has one) or `decimal(38,0)`.
 */
export function narrowestType(
  mask: number,
  sawValue: boolean,
  decimal: ColumnType = INFERRED_DECIMAL,
): ColumnType {
  if (!sawValue) return 'string';
  if (mask & T_BOOLEAN) return 'boolean';
  if (mask & T_INT32) return 'int32';
  if (mask & T_INT64) return 'int64';
  if (mask & T_DECIMAL) return decimal;
  if (mask & T_DOUBLE) return 'double';
  if (mask & T_DATE) return 'date';
  if (mask & T_TIMESTAMP) return 'timestamp';
  return 'string';
}
