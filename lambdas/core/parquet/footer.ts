import type { ParquetCompression } from '../model/options';
import { decimalShape } from '../model/decimal';
import type { Column } from '../model/schema';
import { chunkAt, type RowGroupMeta } from './chunks';
import {
  ColumnChunk,
  ColumnMetaData,
  ColumnOrder,
  CompressionCodec,
  ConvertedType,
  DecimalType,
  FieldRepetitionType,
  fixedLengthOf,
  FileMetaData,
  KeyValue,
  LogicalType,
  physicalOf,
  RowGroup,
  SchemaElement,
  Statistics,
  TimestampType,
  TimeUnit,
} from './format';
import { ThriftWriter, TType } from './thrift';

/**
 * The file's footer (FileMetaData, Thrift compact): a flat schema of OPTIONAL columns with their logical
 * types, every row group's column chunks with their statistics, the columns' names, header texts and types
 * as key/value metadata, and a TYPE_ORDER for every column (without a column order, readers must ignore
 * min_value/max_value). Written field by field, never as one object: a wide file's footer lists a chunk
 * per column per row group.
 */
export function encodeFooter(
  columns: readonly Column[],
  rows: number,
  rowGroups: readonly RowGroupMeta[],
  compression: ParquetCompression,
): Uint8Array {
  const t = new ThriftWriter();
  t.i32(FileMetaData.version, 1);
  t.list(FileMetaData.schema, TType.Struct, columns.length + 1);
  t.element().binary(SchemaElement.name, 'schema').i32(SchemaElement.num_children, columns.length).end();
  for (const c of columns) {
    t.element().i32(SchemaElement.type, physicalOf(c.type));
    const length = fixedLengthOf(c.type);
    if (length > 0) t.i32(SchemaElement.type_length, length);
    t.i32(SchemaElement.repetition_type, FieldRepetitionType.OPTIONAL).binary(SchemaElement.name, c.name);
    const decimal = decimalShape(c.type);
    if (decimal) {
      // Both the converted type (with scale and precision on the element) and the logical type.
      t.i32(SchemaElement.converted_type, ConvertedType.DECIMAL)
        .i32(SchemaElement.scale, decimal.scale)
        .i32(SchemaElement.precision, decimal.precision);
      t.struct(SchemaElement.logicalType)
        .struct(LogicalType.DECIMAL)
        .i32(DecimalType.scale, decimal.scale)
        .i32(DecimalType.precision, decimal.precision)
        .end()
        .end();
    }
    switch (c.type) {
      case 'string':
        t.i32(SchemaElement.converted_type, ConvertedType.UTF8);
        t.struct(SchemaElement.logicalType).struct(LogicalType.STRING).end().end();
        break;
      case 'date':
        t.i32(SchemaElement.converted_type, ConvertedType.DATE);
        t.struct(SchemaElement.logicalType).struct(LogicalType.DATE).end().end();
        break;
      case 'timestamp':
        t.i32(SchemaElement.converted_type, ConvertedType.TIMESTAMP_MICROS);
        t.struct(SchemaElement.logicalType)
          .struct(LogicalType.TIMESTAMP)
          .bool(TimestampType.isAdjustedToUTC, true)
          .struct(TimestampType.unit)
          .struct(TimeUnit.MICROS)
          .end()
          .end()
          .end()
          .end();
        break;
    }
    t.end();
  }
  t.i64(FileMetaData.num_rows, rows);
  t.list(FileMetaData.row_groups, TType.Struct, rowGroups.length);
  for (const group of rowGroups) {
    t.element();
    t.list(RowGroup.columns, TType.Struct, group.count);
    let total = 0;
    let compressed = 0;
    for (let i = 0; i < group.count; i++) {
      const chunk = chunkAt(group, i);
      const column = columns[i]!;
      total += chunk.uncompressed;
      compressed += chunk.compressed;
      t.element().i64(ColumnChunk.file_offset, chunk.offset).struct(ColumnChunk.meta_data);
      t.i32(ColumnMetaData.type, physicalOf(column.type));
      t.list(ColumnMetaData.encodings, TType.I32, chunk.encodings.length);
      for (const encoding of chunk.encodings) t.i32Element(encoding);
      t.list(ColumnMetaData.path_in_schema, TType.Binary, 1).binaryElement(column.name);
      t.i32(ColumnMetaData.codec, CompressionCodec[compression]);
      t.i64(ColumnMetaData.num_values, chunk.numValues)
        .i64(ColumnMetaData.total_uncompressed_size, chunk.uncompressed)
        .i64(ColumnMetaData.total_compressed_size, chunk.compressed)
        .i64(ColumnMetaData.data_page_offset, chunk.dataOffset);
      if (chunk.hasDictionary) t.i64(ColumnMetaData.dictionary_page_offset, chunk.offset);
      t.struct(ColumnMetaData.statistics).i64(Statistics.null_count, chunk.nulls);
      const bounds = chunk.bounds;
      if (bounds) {
        if (bounds.max) t.binary(Statistics.max_value, bounds.max);
        t.binary(Statistics.min_value, bounds.min);
        if (bounds.max) t.bool(Statistics.is_max_value_exact, bounds.maxExact);
        t.bool(Statistics.is_min_value_exact, bounds.minExact);
      }
      t.end(); // statistics
      t.end().end(); // meta_data, the chunk
    }
    t.i64(RowGroup.total_byte_size, total)
      .i64(RowGroup.num_rows, group.rows)
      .i64(RowGroup.file_offset, group.offset)
      .i64(RowGroup.total_compressed_size, compressed);
    t.end();
  }
  t.list(FileMetaData.key_value_metadata, TType.Struct, 1);
  t.element()
    .binary(KeyValue.key, 'csv2lake.columns')
    .binary(
      KeyValue.value,
      JSON.stringify(columns.map((c) => ({ name: c.name, sourceName: c.sourceName, type: c.type }))),
    )
    .end();
  t.binary(FileMetaData.created_by, 'csv2lake');
  t.list(FileMetaData.column_orders, TType.Struct, columns.length);
  for (let i = 0; i < columns.length; i++) t.element().struct(ColumnOrder.TYPE_ORDER).end().end();
  return t.finish();
}
