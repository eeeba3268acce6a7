import { gzip, snappy, zstd } from '../bytes/codecs';
import type { ParquetCompression } from '../model/options';
import { decimalByteWidth, decimalShape, INT64_DECIMAL_PRECISION } from '../model/decimal';
import { storageType, type ColumnType } from '../model/schema';

/*
 * parquet.thrift, as much of it as csv2lake writes, each number named once under the format's own names:
 * the enum values, and per struct the id of each field written. The page headers and the footer are
 * written with these names only, so that they read as the structures they are (as hyparquet-writer's
 * metadata.js maps field names to ids in one place).
 */

/** The file's first and last four bytes. */
export const MAGIC = Buffer.from('PAR1', 'latin1');

// Enums.
export const Type = {
  BOOLEAN: 0,
  INT32: 1,
  INT64: 2,
  DOUBLE: 5,
  BYTE_ARRAY: 6,
  FIXED_LEN_BYTE_ARRAY: 7,
} as const;
export const FieldRepetitionType = { OPTIONAL: 1 } as const;
export const ConvertedType = { UTF8: 0, DECIMAL: 5, DATE: 6, TIMESTAMP_MICROS: 10 } as const;
/** PLAIN_DICTIONARY: dictionary pages and dictionary-encoded data pages of v1 files (as DuckDB writes). */
export const Encoding = { PLAIN: 0, PLAIN_DICTIONARY: 2, RLE: 3 } as const;
export const PageType = { DATA_PAGE: 0, DICTIONARY_PAGE: 2 } as const;
export const CompressionCodec: Record<ParquetCompression, number> = { none: 0, snappy: 1, gzip: 2, zstd: 6 };

// Field ids, per struct.
export const PageHeader = {
  type: 1,
  uncompressed_page_size: 2,
  compressed_page_size: 3,
  data_page_header: 5,
  dictionary_page_header: 7,
} as const;
export const DataPageHeader = {
  num_values: 1,
  encoding: 2,
  definition_level_encoding: 3,
  repetition_level_encoding: 4,
} as const;
export const DictionaryPageHeader = { num_values: 1, encoding: 2 } as const;
export const FileMetaData = {
  version: 1,
  schema: 2,
  num_rows: 3,
  row_groups: 4,
  key_value_metadata: 5,
  created_by: 6,
  column_orders: 7,
} as const;
export const SchemaElement = {
  type: 1,
  type_length: 2,
  repetition_type: 3,
  name: 4,
  num_children: 5,
  converted_type: 6,
  scale: 7,
  precision: 8,
  logicalType: 10,
} as const;
/** The members of the LogicalType union written (each an empty struct but DECIMAL and TIMESTAMP). */
export const LogicalType = { STRING: 1, DECIMAL: 5, DATE: 6, TIMESTAMP: 8 } as const;
export const DecimalType = { scale: 1, precision: 2 } as const;
export const TimestampType = { isAdjustedToUTC: 1, unit: 2 } as const;
/** The members of the TimeUnit union (an empty struct each). */
export const TimeUnit = { MICROS: 2 } as const;
export const RowGroup = {
  columns: 1,
  total_byte_size: 2,
  num_rows: 3,
  file_offset: 5,
  total_compressed_size: 6,
} as const;
export const ColumnChunk = { file_offset: 2, meta_data: 3 } as const;
export const ColumnMetaData = {
  type: 1,
  encodings: 2,
  path_in_schema: 3,
  codec: 4,
  num_values: 5,
  total_uncompressed_size: 6,
  total_compressed_size: 7,
  data_page_offset: 9,
  dictionary_page_offset: 11,
  statistics: 12,
} as const;
export const Statistics = {
  null_count: 3,
  max_value: 5,
  min_value: 6,
  is_max_value_exact: 7,
  is_min_value_exact: 8,
} as const;
export const KeyValue = { key: 1, value: 2 } as const;
/** The members of the ColumnOrder union (TYPE_ORDER: an empty struct). */
export const ColumnOrder = { TYPE_ORDER: 1 } as const;

/**
 * The physical type of each column type but decimals (see {@link physicalOf}): a decimal's type is
 * absent here (its physical type depends on its precision).
 */
export const PHYSICAL_OF: Record<ColumnType, number> = {
  boolean: Type.BOOLEAN,
  int32: Type.INT32,
  date: Type.INT32,
  int64: Type.INT64,
  timestamp: Type.INT64,
  double: Type.DOUBLE,
  string: Type.BYTE_ARRAY,
};

/**
 * The physical type of a column type: a decimal's is INT64 up to 18 digits, FIXED_LEN_BYTE_ARRAY beyond
 * (see {@link fixedLengthOf}).
 */
export function physicalOf(type: ColumnType): number {
  return fixedLengthOf(type) > 0 ? Type.FIXED_LEN_BYTE_ARRAY : PHYSICAL_OF[storageType(type)]!;
}

/**
 * The `type_length` of a FIXED_LEN_BYTE_ARRAY column, 0 for any other: a decimal of 19 to 38 digits takes
 * the fewest bytes its precision needs, each value sign-extended to them (as pyarrow and Spark write it,
 * and as Hive, Impala and Spark's legacy format read it; BYTE_ARRAY they do not). The footer's schema
 * element and the pages both take it from here, so that parts joined under one footer agree.
 */
export function fixedLengthOf(type: ColumnType): number {
  const decimal = decimalShape(type);
  return decimal && decimal.precision > INT64_DECIMAL_PRECISION ? decimalByteWidth(decimal.precision) : 0;
}

/** How each compression compresses a page. */
export const COMPRESS: Record<ParquetCompression, (data: Uint8Array) => Uint8Array> = {
  none: (data) => data,
  snappy,
  gzip,
  zstd,
};
