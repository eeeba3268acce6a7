import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { CONVERT_DEFAULTS } from '../core/model/defaults';
import { checkAs, checkDialect, checkLimits, checkMaxRejects, checkShape } from '../core/model/validate';
import { DEFAULT_RANGE_BYTES, MIN_RANGE_BYTES } from '../ranges/range-plan';
import { CSV_DIALECT_KEYS, type CsvDialectOptions, type OutputFormat } from '../core/model/options';

/** Environment variable names the functions read (set by the construct). */
export const ENV = {
  /** The format a converter writes: `parquet` or `avro`. */
  FORMAT: 'CSV2LAKE_FORMAT',
  /** Optional `s3://bucket/key` of a schema file (see SchemaFile). */
  SCHEMA_LOCATION: 'CSV2LAKE_SCHEMA_LOCATION',
  /**
   * JSON object of how to read the CSV text (`{"delimiter": ";", "quote": "", "header": false, …}`, see
   * CsvDialectOptions); absent keys are sniffed or defaulted as by `csv2lake convert`.
   */
  CSV_OPTIONS: 'CSV2LAKE_CSV_OPTIONS',
  /** JSON array of extra null tokens. */
  NULL_TOKENS: 'CSV2LAKE_NULL_TOKENS',
  /** Rejected rows tolerated per file. */
  MAX_REJECTS: 'CSV2LAKE_MAX_REJECTS',
  MAX_FIELD_BYTES: 'CSV2LAKE_MAX_FIELD_BYTES',
  MAX_ROW_BYTES: 'CSV2LAKE_MAX_ROW_BYTES',
  MAX_COLUMNS: 'CSV2LAKE_MAX_COLUMNS',
  /** Measured conversion throughput in MB/s, used to refuse files that cannot finish in time. */
  THROUGHPUT_MBPS: 'CSV2LAKE_THROUGHPUT_MBPS',
  /**
   * Bytes of CSV per range item: the planner splits an uncompressed key larger than this into byte-range
   * items (lambdas/ranges/range-plan.ts); default DEFAULT_RANGE_BYTES (1 GiB), at least MIN_RANGE_BYTES.
   */
  RANGE_BYTES: 'CSV2LAKE_RANGE_BYTES',
  /**
   * `auto` (the default: the vCPUs the function's memory pays for) or a whole number of threads one key is
   * converted on; `1` converts every key on one thread (lambdas/ranges/thread-settings.ts reads it).
   */
  THREADS: 'CSV2LAKE_THREADS',
  /** Bytes from which an uncompressed key is converted on several threads. @default 64 MiB */
  THREADS_MIN_BYTES: 'CSV2LAKE_THREADS_MIN_BYTES',
  /** Optional S3 endpoint URL, for S3-compatible servers (path-style addressing is then used). */
  S3_ENDPOINT: 'CSV2LAKE_S3_ENDPOINT',
  /** Milliseconds an S3 GET body may deliver nothing before the read is retried (see S3ObjectStore). */
  S3_IDLE_TIMEOUT_MS: 'CSV2LAKE_S3_IDLE_TIMEOUT_MS',
  /** Bytes per multipart upload part, >= 5 MiB (S3's minimum), default 8 MiB; see S3ObjectStore. */
  S3_PART_BYTES: 'CSV2LAKE_S3_PART_BYTES',
  /** `true` forces path-style S3 addressing (implied by CSV2LAKE_S3_ENDPOINT). */
  S3_FORCE_PATH_STYLE: 'CSV2LAKE_S3_FORCE_PATH_STYLE',
} as const;

/**
 * The conversion throughput assumed when none is configured (`CSV2LAKE_THROUGHPUT_MBPS`), MB/s per converter:
 * measured 35-90 MB/s (README, "File size"); the low end, so that time estimates err long.
 */
export const DEFAULT_THROUGHPUT_MBPS = 40;

/** Environment of the reducer. */
export const REDUCER_ENV = {
  /** JSON of the run defaults (RunContext without runId), for events from the execution-status rule. */
  DEFAULT_RUN: 'CSV2LAKE_DEFAULT_RUN',
  /** Converter memory in MB, for the cost estimate. */
  CONVERTER_MEMORY_MB: 'CSV2LAKE_CONVERTER_MEMORY_MB',
  /** Optional JSON overriding unit prices (see DEFAULT_PRICES). */
  PRICES: 'CSV2LAKE_PRICES',
  /**
   * The Glue database the run's datasets are registered in (one table per dataset and format). Absent: a
   * local run, which writes the table definitions under `_catalog/` instead.
   */
  GLUE_DATABASE: 'CSV2LAKE_GLUE_DATABASE',
} as const;

/**
 * S3 client settings from the environment: none on AWS; an endpoint (and path-style addressing) for a
 * local S3-compatible server.
 */
export function s3ClientConfig(env: NodeJS.ProcessEnv = process.env): S3ClientConfig {
  const endpoint = env[ENV.S3_ENDPOINT];
  if (endpoint !== undefined && !/^https?:\/\/[^/]/.test(endpoint))
    throw new Error(`${ENV.S3_ENDPOINT} must be an http(s) URL, not ${JSON.stringify(endpoint)}`);
  const pathStyle = env[ENV.S3_FORCE_PATH_STYLE];
  if (pathStyle !== undefined && pathStyle !== 'true' && pathStyle !== 'false')
    throw new Error(`${ENV.S3_FORCE_PATH_STYLE} must be true or false, not ${JSON.stringify(pathStyle)}`);
  return {
    ...(endpoint ? { endpoint } : {}),
    ...(endpoint || pathStyle === 'true' ? { forcePathStyle: pathStyle !== 'false' } : {}),
  };
}

/** Parses a JSON environment variable, naming it when it is not valid JSON. */
export function jsonEnv<T>(env: NodeJS.ProcessEnv, name: string): T | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(`${name} must be JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** The converter's configuration, read once per container. */
export interface ConverterConfig {
  readonly format: OutputFormat;
  readonly schemaLocation?: string;
  /** How to read the CSV text. @default {} (sniffed) */
  readonly csv: CsvDialectOptions;
  readonly nullTokens: readonly string[];
  readonly maxRejects: number;
  /** Input limits; each absent one is the core's default (see CONVERT_DEFAULTS). */
  readonly limits: Readonly<{ maxFieldBytes?: number; maxRowBytes?: number; maxColumns?: number }>;
  /**
   * Conversion throughput assumed, MB/s of the object (compressed bytes for a `.gz`): a file that cannot
   * finish in the time left at this rate is refused before it is read.
   */
  readonly throughputMBps: number;
  /**
   * Bytes of CSV per range item: larger uncompressed keys are planned as byte ranges (not part of the
   * options hash: the joined output is the same value for value whatever the ranges).
   * @default DEFAULT_RANGE_BYTES
   */
  readonly rangeBytes: number;
  /**
   * @deprecated Read by nothing: converters no longer spool S3 inputs to local disk (they stream them, see
   * lambdas/io/object-source.ts), and `CSV2LAKE_SPOOL_DIR` is ignored. Kept, optional, so that code that
   * still sets it type-checks; to be removed.
   */
  readonly spoolDir?: string;
}

/**
 * Reads the converter configuration from the environment (once per container: the handler factory calls it).
 *
 * @default nullTokens `[]`, maxRejects and limits the core's (CONVERT_DEFAULTS), throughputMBps 40, rangeBytes DEFAULT_RANGE_BYTES
 *
 * @throws Error naming the variable when one is missing or invalid: a deployment mistake, loud at once.
 */
export function converterConfig(env: NodeJS.ProcessEnv = process.env): ConverterConfig {
  const format = env[ENV.FORMAT];
  if (format !== 'parquet' && format !== 'avro') {
    throw new Error(`${ENV.FORMAT} must be parquet or avro, not ${JSON.stringify(format)}`);
  }
  const csv = csvOptions(jsonEnv<unknown>(env, ENV.CSV_OPTIONS) ?? {}, ENV.CSV_OPTIONS);
  const nullTokens = jsonEnv<unknown>(env, ENV.NULL_TOKENS) ?? [];
  if (!Array.isArray(nullTokens) || !nullTokens.every((t) => typeof t === 'string'))
    throw new Error(`${ENV.NULL_TOKENS} must be a JSON array of strings`);
  // The rules of these values are the core's (checkMaxRejects, checkLimits): only the variable is named here.
  const maxRejects = Number(env[ENV.MAX_REJECTS] ?? CONVERT_DEFAULTS.maxRejects);
  checked(ENV.MAX_REJECTS, () => checkMaxRejects(maxRejects), 'max rejects');
  const limits: { maxFieldBytes?: number; maxRowBytes?: number; maxColumns?: number } = {};
  for (const [name, variable, label] of [
    ['maxFieldBytes', ENV.MAX_FIELD_BYTES, 'max field bytes'],
    ['maxRowBytes', ENV.MAX_ROW_BYTES, 'max row bytes'],
    ['maxColumns', ENV.MAX_COLUMNS, 'max columns'],
  ] as const) {
    const text = env[variable];
    if (text === undefined || text === '') continue;
    const n = Number(text);
    checked(variable, () => checkLimits({ [name]: n }), label);
    limits[name] = n;
  }
  const throughputMBps = Number(env[ENV.THROUGHPUT_MBPS] ?? DEFAULT_THROUGHPUT_MBPS);
  if (!(throughputMBps > 0))
    throw new Error(`${ENV.THROUGHPUT_MBPS} must be a positive number, not ${env[ENV.THROUGHPUT_MBPS]}`);
  const rangeBytes = Number(env[ENV.RANGE_BYTES] || DEFAULT_RANGE_BYTES);
  if (!Number.isSafeInteger(rangeBytes) || rangeBytes < MIN_RANGE_BYTES)
    throw new Error(
      `${ENV.RANGE_BYTES} must be a whole number of bytes >= ${MIN_RANGE_BYTES}, not ${env[ENV.RANGE_BYTES]}`,
    );
  return {
    format,
    ...(env[ENV.SCHEMA_LOCATION] ? { schemaLocation: env[ENV.SCHEMA_LOCATION] } : {}),
    csv,
    nullTokens: nullTokens as string[],
    maxRejects,
    limits,
    throughputMBps,
    rangeBytes,
  };
}

/** Runs one of the core's checks (see `checkAs`), as an Error: a deployment mistake, not a data error. */
function checked(source: string, check: () => void, label?: string): void {
  try {
    checkAs(source, check, label);
  } catch (error) {
    throw new Error((error as Error).message, { cause: error });
  }
}

/**
 * Checks a {@link CsvDialectOptions} object from configuration (the value options among them): its shape,
 * then its values, by the core's one validator.
 *
 * @throws Error naming `source` and the key that is unknown, of the wrong type or unusable
 */
export function csvOptions(value: unknown, source: string): CsvDialectOptions {
  checked(source, () => {
    checkShape(value, CSV_DIALECT_KEYS, '{"delimiter": ";"}');
    checkDialect(value as CsvDialectOptions);
  });
  return value as CsvDialectOptions;
}
