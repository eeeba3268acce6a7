import type { OutputFormat } from '../core/convert';

/** Environment variable names the functions read (set by the construct). */
export const ENV = {
  /** The format a converter writes: `parquet` or `avro`. */
  FORMAT: 'CSV2LAKE_FORMAT',
  /** Optional `s3://bucket/key` of a schema file (see SchemaFile). */
  SCHEMA_LOCATION: 'CSV2LAKE_SCHEMA_LOCATION',
  /** JSON array of extra null tokens. */
  NULL_TOKENS: 'CSV2LAKE_NULL_TOKENS',
  /** Rejected rows tolerated per file. */
  MAX_REJECTS: 'CSV2LAKE_MAX_REJECTS',
  /** Measured conversion throughput in MB/s, used to refuse files that cannot finish in time. */
  THROUGHPUT_MBPS: 'CSV2LAKE_THROUGHPUT_MBPS',
  /** Spool directory. */
  SPOOL_DIR: 'CSV2LAKE_SPOOL_DIR',
} as const;

/** The converter's configuration, read once per container. */
export interface ConverterConfig {
  readonly format: OutputFormat;
  readonly schemaLocation?: string;
  readonly nullTokens: readonly string[];
  readonly maxRejects: number;
  readonly throughputMBps: number;
  readonly spoolDir: string;
}

/**
 * Reads the converter configuration from the environment.
 *
 * @throws Error naming the variable when one is missing or invalid: a deployment mistake, loud at once.
 */
export function converterConfig(env: NodeJS.ProcessEnv = process.env): ConverterConfig {
  const format = env[ENV.FORMAT];
  if (format !== 'parquet' && format !== 'avro') {
    throw new Error(`${ENV.FORMAT} must be parquet or avro, not ${JSON.stringify(format)}`);
  }
  const tokens = env[ENV.NULL_TOKENS];
  const nullTokens = tokens ? (JSON.parse(tokens) as string[]) : [];
  const maxRejects = Number(env[ENV.MAX_REJECTS] ?? 1000);
  if (!Number.isInteger(maxRejects) || maxRejects < 0)
    throw new Error(`${ENV.MAX_REJECTS} must be a whole number`);
  return {
    format,
    ...(env[ENV.SCHEMA_LOCATION] ? { schemaLocation: env[ENV.SCHEMA_LOCATION] } : {}),
    nullTokens,
    maxRejects,
    throughputMBps: Number(env[ENV.THROUGHPUT_MBPS] ?? 40),
    spoolDir: env[ENV.SPOOL_DIR] ?? '/tmp',
  };
}
