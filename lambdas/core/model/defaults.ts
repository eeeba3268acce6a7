import type { AvroCodec, OutputFormat, ParquetCompression, TextEncoding } from './options';
import type { ColumnNaming } from './schema';

const MiB = 1 << 20;

/**
 * Every default of a conversion, defined once: the documentation of {@link ConvertOptions} states these
 * values, the core applies them, and every boundary (CLI flags, the converters' environment, the
 * construct's props) maps an absent setting to them rather than to a value of its own.
 */
export const CONVERT_DEFAULTS = {
  formats: ['parquet', 'avro'] as readonly OutputFormat[],
  encoding: 'utf-8' as TextEncoding,
  /** The quote character: RFC 4180's. */
  quote: '"',
  maxRejects: 1000,
  /** Numbers' decimal separator (see `ValueOptions`; no thousands separator, ISO dates, true/false). */
  decimalSeparator: '.',
  /** One name for both formats, the lake's (see `ColumnNaming`). */
  columnNames: 'lake' as ColumnNaming,
  maxFieldBytes: 16 * MiB,
  /** Raised to `maxFieldBytes` when that is larger (see `inputLimits`). */
  maxRowBytes: 16 * MiB,
  maxColumns: 4096,
  parquetCompression: 'snappy' as ParquetCompression,
  avroCodec: 'snappy' as AvroCodec,
  rowGroupBytes: 32 * MiB,
  avroBlockBytes: 1 * MiB,
  secondThreadMinBytes: 64 * MiB,
} as const;
