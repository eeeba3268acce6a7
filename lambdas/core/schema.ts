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
 *
 * Every column is nullable (Parquet OPTIONAL, Avro `["null", T]`).
 */
export type ColumnType = 'boolean' | 'int32' | 'int64' | 'double' | 'date' | 'timestamp' | 'string';

/** Every column type, in lattice order (narrowest first where comparable). */
export const COLUMN_TYPES: readonly ColumnType[] = [
  'boolean',
  'int32',
  'int64',
  'double',
  'date',
  'timestamp',
  'string',
];

/** One output column. */
export interface Column {
  /** The column name written to Parquet: the header text, de-duplicated, `column_<n>` when empty. */
  readonly name: string;
  /** The header text exactly as it appeared in the file (before de-duplication or renaming). */
  readonly sourceName: string;
  /** A valid, unique Avro field name derived deterministically from `name`. */
  readonly avroName: string;
  readonly type: ColumnType;
}

/** The schema of one converted file. */
export interface TableSchema {
  readonly columns: readonly Column[];
}
