import type { ColumnType } from './schema';

/*
 * The lattice of column types as bit masks: a value's classification is the set of types that hold it
 * exactly (see rows/classify.ts), a column's type the narrowest type in the intersection of its values'
 * masks. `M_<TYPE>` is the mask of any value of a type: the type and every type that holds all its values.
 */

export const T_BOOLEAN = 1;
export const T_INT32 = 2;
export const T_INT64 = 4;
export const T_DOUBLE = 8;
export const T_DATE = 16;
export const T_TIMESTAMP = 32;
export const T_STRING = 64;
export const T_ANY = 127;

export const M_BOOLEAN = T_BOOLEAN | T_STRING;
export const M_INT32 = T_INT32 | T_INT64 | T_DOUBLE | T_STRING;
export const M_INT64 = T_INT64 | T_DOUBLE | T_STRING;
export const M_DOUBLE = T_DOUBLE | T_STRING;
export const M_DATE = T_DATE | T_TIMESTAMP | T_STRING;
export const M_TIMESTAMP = T_TIMESTAMP | T_STRING;

const TYPE_BITS: Record<ColumnType, number> = {
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
  return TYPE_BITS[type];
}

/** The candidate types of any value of a type: what a column of only such values ends with. */
const TYPE_MASKS: Record<ColumnType, number> = {
  boolean: M_BOOLEAN,
  int32: M_INT32,
  int64: M_INT64,
  double: M_DOUBLE,
  date: M_DATE,
  timestamp: M_TIMESTAMP,
  string: T_STRING,
};

/**
 * The narrowest type that holds every value of both types, along the lattice: int32 → int64 → double →
 * string, date → timestamp → string, any other mix → string.
 */
export function joinTypes(a: ColumnType, b: ColumnType): ColumnType {
  return narrowestType(TYPE_MASKS[a] & TYPE_MASKS[b], true);
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
  return TYPE_MASKS[type];
}

/** The narrowest type in a mask of candidate types; `string` when no value was seen. */
export function narrowestType(mask: number, sawValue: boolean): ColumnType {
  if (!sawValue) return 'string';
  if (mask & T_BOOLEAN) return 'boolean';
  if (mask & T_INT32) return 'int32';
  if (mask & T_INT64) return 'int64';
  if (mask & T_DOUBLE) return 'double';
  if (mask & T_DATE) return 'date';
  if (mask & T_TIMESTAMP) return 'timestamp';
  return 'string';
}
