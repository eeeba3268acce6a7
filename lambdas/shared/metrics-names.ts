/*
 * The one home of metric names: the functions emit them (Powertools EMF), the construct's alarms and
 * dashboard read them. A name changed here changes both, so a rename can no longer silently disconnect an
 * alarm. Nothing here reads the environment, so the construct may import it.
 */

/** The CloudWatch namespace of every csv2lake metric (the functions' `POWERTOOLS_METRICS_NAMESPACE`). */
export const METRICS_NAMESPACE = 'csv2lake';

/**
 * The `service` dimension of each function's metrics: its `POWERTOOLS_SERVICE_NAME`, which the construct
 * sets to these names (and uses as the functions' construct ids).
 */
export const SERVICE_NAMES = {
  parquet: 'ParquetConverter',
  avro: 'AvroConverter',
  reducer: 'Reducer',
} as const;

/**
 * The run metrics. The reducer emits each once per run as what the run added since its previous reduce
 * (`emitRunMetrics`), so a daily Sum is the day's count; `FilesFailed` is what is still failed after the
 * retry map. The converters emit their own per-invocation counts under their service names (not alarmed).
 */
export const RUN_METRICS = {
  filesConverted: 'FilesConverted',
  filesSkipped: 'FilesSkipped',
  filesFailed: 'FilesFailed',
  rowsConverted: 'RowsConverted',
  rejectedRows: 'RejectedRows',
  bytesIn: 'BytesIn',
  bytesOut: 'BytesOut',
} as const;

/** One of {@link RUN_METRICS}. */
export type RunMetricName = (typeof RUN_METRICS)[keyof typeof RUN_METRICS];
