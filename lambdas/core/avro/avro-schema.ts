import type { ColumnType, TableSchema } from '../schema';

/** An Avro schema, as JSON. */
export type AvroSchema = Record<string, unknown>;

const AVRO_TYPES: Record<ColumnType, unknown> = {
  boolean: 'boolean',
  int32: 'int',
  int64: 'long',
  double: 'double',
  date: { type: 'int', logicalType: 'date' },
  timestamp: { type: 'long', logicalType: 'timestamp-micros' },
  string: 'string',
};

/**
 * The Avro record schema of a table: record `csv2lake.Row`, one nullable field (`["null", T]`, default null)
 * per column, named by `avroName`; the column's name (as in Parquet) is kept in the field's `doc` and
 * `csv2lake.name`, and the header text exactly as in the file in `csv2lake.sourceName`.
 */
export function avroSchemaFor(schema: TableSchema): AvroSchema {
  return {
    type: 'record',
    name: 'Row',
    namespace: 'csv2lake',
    fields: schema.columns.map((c) => ({
      name: c.avroName,
      type: ['null', AVRO_TYPES[c.type]],
      default: null,
      doc: c.name,
      'csv2lake.sourceName': c.sourceName,
      'csv2lake.name': c.name,
    })),
  };
}
