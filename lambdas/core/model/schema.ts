import { decimalShape, INT64_DECIMAL_PRECISION, type DecimalType } from './decimal';

/**
 * The logical column types csv2lake infers and writes. Each maps to one Parquet and one Avro type:
 *
 * | type      | Parquet                                   | Avro                          |
 * |-----------|-------------------------------------------|-------------------------------|
 * | boolean   | BOOLEAN                                   | boolean                       |
 * | int32     | INT32                                     | int                           |
 * | int64     | INT64                                     | long                          |
 * | double    | DOUBLE                                    | double                        |
 * | date      | INT32 (DATE)                              | int (logicalType date)        |
 * | timestamp | INT64 (TIMESTAMP micros, adjusted to UTC) | long (timestamp-micros)       |
 * | string    | BYTE_ARRAY (STRING)                       | string                        |
 * | decimal(p,s) | INT64 (DECIMAL) up to p = 18, FIXED_LEN_BYTE_ARRAY (DECIMAL) to 38 | bytes (logicalType decimal) |
 *
 * Every column is nullable (Parquet OPTIONAL, Avro `["null", T]`). A decimal is written `decimal(p,s)`
 * (precision 1-38, scale 0-p; see decimal.ts).
 */
export type ColumnType =
  'boolean' | 'int32' | 'int64' | 'double' | 'date' | 'timestamp' | 'string' | DecimalType;

/** Every column type but decimals (whose precision and scale vary), in lattice order. */
export const COLUMN_TYPES: readonly ColumnType[] = [
  'boolean',
  'int32',
  'int64',
  'double',
  'date',
  'timestamp',
  'string',
];

/** The types a message lists as the choice: every type, a decimal as `decimal(p,s)`. */
export const COLUMN_TYPE_LIST = `${COLUMN_TYPES.join(', ')}, decimal(p,s)`;

/** Whether a value is a column type: one of {@link COLUMN_TYPES}, or a decimal spelled `decimal(p,s)`. */
export function isColumnType(value: unknown): value is ColumnType {
  return (
    typeof value === 'string' &&
    (COLUMN_TYPES.includes(value as ColumnType) || decimalShape(value) !== undefined)
  );
}

/** Whether a type is a decimal. */
export function isDecimal(type: ColumnType): type is DecimalType {
  return decimalShape(type) !== undefined;
}

/**
 * The type whose column vector holds a type's values: a decimal's unscaled integers are int64 words up to
 * 18 digits, big-endian two's complement bytes (a string vector's layout) beyond; any other type itself.
 */
export function storageType(type: ColumnType): ColumnType {
  const shape = decimalShape(type);
  if (shape === undefined) return type;
  return shape.precision <= INT64_DECIMAL_PRECISION ? 'int64' : 'string';
}

/** One output column. */
export interface Column {
  /**
   * The column name written to Parquet: the header text, de-duplicated, `column_<n>` when empty; when the
   * file joins a table, its lake name (see {@link ColumnNaming}).
   */
  readonly name: string;
  /** The header text exactly as it appeared in the file (before de-duplication or renaming). */
  readonly sourceName: string;
  /** A valid, unique Avro field name derived deterministically from `name` (`name` itself under lake naming). */
  readonly avroName: string;
  readonly type: ColumnType;
}

/** The schema of one converted file. */
export interface TableSchema {
  /** The output columns, in output order. */
  readonly columns: readonly Column[];
  /**
   * Per output column, the index of the file column holding its values, or -1 for a column of the table
   * that the file lacks (written all null); every file column appears once. Set when the file joins a
   * table ({@link TableLayout}), whose order the output follows.
   * @default undefined: output column i is file column i
   */
  readonly sources?: readonly number[];
  /** The Avro record's name (namespace `csv2lake`). @default 'Row' */
  readonly recordName?: string;
}

/**
 * How header texts become column names:
 * - `exact`: kept as written (empty → `column_<n>`, repeats → `_1`, `_2`…), Avro names derived apart;
 * - `lake`: one name valid everywhere a lake table is read (Glue, Athena, Spark, Avro): accents dropped
 *   (NFKD), lower case, every run of characters outside `[a-z0-9_]` → `_`, trimmed of `_`, a leading digit
 *   prefixed with `_`, empty → `column_<n>`, repeats → `_2`, `_3`…; the Parquet and Avro names are the same.
 */
export type ColumnNaming = 'exact' | 'lake';

/** One column of a table (a dataset), as stored across runs. */
export interface TableColumn {
  /** The output name (Parquet column, Avro field and Glue column), under the table's naming. */
  readonly name: string;
  readonly type: ColumnType;
}

/**
 * The table a file joins (a dataset of the lake). When a conversion is given one:
 * - column names follow `lake` naming, and a file column matches the table column of the same name;
 * - a matched column's type starts at the table's type and only widens from it (an all-empty column takes
 *   the table's type; an int64 column with `2.5` becomes double);
 * - the output holds the table's columns in the table's order (those the file lacks are all null), then the
 *   file's new columns in file order, so every file of a table has the same columns in the same order;
 * - the Avro record is named `recordName` (namespace `csv2lake`).
 * The summary's `columns` are the output's, in output order, with their final types.
 */
export interface TableLayout {
  /** The Avro record name (a valid Avro name): one per dataset. */
  readonly recordName: string;
  readonly columns: readonly TableColumn[];
}
