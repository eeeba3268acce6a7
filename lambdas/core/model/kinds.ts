import type { ColumnType } from './schema';

/** Column types as small integers, for switch statements on hot paths. */
export const K_BOOLEAN = 0;
export const K_INT32 = 1;
export const K_INT64 = 2;
export const K_DOUBLE = 3;
export const K_DATE = 4;
export const K_TIMESTAMP = 5;
export const K_STRING = 6;
const KINDS: Record<ColumnType, number> = {
  boolean: K_BOOLEAN,
  int32: K_INT32,
  int64: K_INT64,
  double: K_DOUBLE,
  date: K_DATE,
  timestamp: K_TIMESTAMP,
  string: K_STRING,
};

/** The kind of each column of a list of types. */
export function kindsOf(types: readonly ColumnType[]): Uint8Array {
  return Uint8Array.from(types, (t) => KINDS[t]);
}
