import { AVRO_NAME } from '../model/avro-names';
import { decimalShape } from '../model/decimal';
import type { ColumnType, TableSchema } from '../model/schema';

/** An Avro schema, as JSON. */
export type AvroSchema = Record<string, unknown>;

const AVRO_TYPES: Record<string, unknown> = {
  boolean: 'boolean',
  int32: 'int',
  int64: 'long',
  double: 'double',
  date: { type: 'int', logicalType: 'date' },
  timestamp: { type: 'long', logicalType: 'timestamp-micros' },
  string: 'string',
};

/**
 * The Avro type of a column type; a decimal is `bytes` with the `decimal` logical type (big-endian two's
 * complement unscaled value), which fastavro, the Java library and avsc (with a logical type given) read.
 */
export function avroType(type: ColumnType): unknown {
  const shape = decimalShape(type);
  return shape
    ? { type: 'bytes', logicalType: 'decimal', precision: shape.precision, scale: shape.scale }
    : AVRO_TYPES[type];
}

/**
 * The Avro record schema of a table: record `csv2lake.<recordName>`, one nullable field (`["null", T]`,
 * default null) per column, in column order, named by `avroName`. The column's name (as in Parquet) is kept
 * in `csv2lake.name`, the header text exactly as in the file in `csv2lake.sourceName`; the field's `doc` is
 * the column's name, or its header text when the file joins a table (its names are then lake names). A
 * table's column that the file lacks has no `csv2lake.sourceName`. When the column's name is itself a
 * valid Avro name that the field could not take (a primitive type name, or a case-insensitive duplicate),
 * it is also listed in `aliases`, unless that would make two fields answer to the same name (compared
 * case-insensitively).
 *
 * @param recordName the record's name: one per dataset, so that every Avro file of a dataset shares a
 *   reader schema. @default the schema's `recordName`, else 'Row'
 */
export function avroSchemaFor(schema: TableSchema, recordName = schema.recordName ?? 'Row'): AvroSchema {
  const claimed = new Set(schema.columns.map((c) => c.avroName.toLowerCase()));
  const sources = schema.sources;
  return {
    type: 'record',
    name: recordName,
    namespace: 'csv2lake',
    fields: schema.columns.map((c, i) => {
      const inFile = sources === undefined || sources[i]! >= 0;
      let aliases: string[] | undefined;
      if (c.name !== c.avroName && AVRO_NAME.test(c.name) && !claimed.has(c.name.toLowerCase())) {
        aliases = [c.name];
        claimed.add(c.name.toLowerCase());
      }
      return {
        name: c.avroName,
        type: ['null', avroType(c.type)],
        default: null,
        doc: sources !== undefined && inFile ? c.sourceName : c.name,
        ...(aliases && { aliases }),
        ...(inFile && { 'csv2lake.sourceName': c.sourceName }),
        'csv2lake.name': c.name,
      };
    }),
  };
}
