import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  AVRO_CODECS,
  COLUMN_NAMINGS,
  PARQUET_COMPRESSIONS,
  type AvroCodec,
  type ConvertOptions,
  type OutputFormat,
  type ParquetCompression,
} from '../../lambdas/core/model/options';
import { CONVERT_DEFAULTS } from '../../lambdas/core/model/defaults';
import { InvalidOptionsError } from '../../lambdas/core/model/errors';
import {
  checkAs,
  checkAvroCodec,
  checkLimits,
  checkMaxRejects,
  checkParquetCompression,
} from '../../lambdas/core/model/validate';
import { parseSchemaFile } from '../../lambdas/core/model/schema-file';
import { convertFile, type FileConversionResult } from '../../lambdas/io/convert-file';
import { formatBytes } from '../../lambdas/shared/units';
import { type CliCommand, UsageError } from './command';
import { CSV_FLAGS, CSV_FLAGS_USAGE, csvFlagOptions } from './csv-flags';

const USAGE = `Usage: csv2lake convert <input-file> --out <dir> [options]

Converts one CSV file (optionally gzipped) to <dir>/<stem>.parquet and <dir>/<stem>.avro, and writes
<dir>/<stem>.rejects.csv (line,reason,raw) when rows were rejected.

Options:
  --out <dir>                        output folder (required)
  --format parquet|avro|both         default both
  --schema <schema.json>             {"columns": {"<name>": "boolean|int32|int64|double|date|timestamp|string|
                                     decimal(p,s)"}, "options": {"decimalSeparator": ",", ...}}
  --column-names lake|exact          lake (default): one name valid in Glue, Athena, Spark and Avro for both
                                     formats ('Order ID' → order_id); exact: Parquet keeps the header text
                                     (Avro cannot: its names are then derived apart, the text in csv2lake.name)
${CSV_FLAGS_USAGE}
  --parquet-compression ${PARQUET_COMPRESSIONS.join('|')}   default ${CONVERT_DEFAULTS.parquetCompression}
  --avro-codec ${AVRO_CODECS.join('|')}   default ${CONVERT_DEFAULTS.avroCodec}
  --max-rejects <n>                  rejected rows tolerated before failing, default ${CONVERT_DEFAULTS.maxRejects}
  --max-field-bytes <n>              the largest value, in bytes; default ${CONVERT_DEFAULTS.maxFieldBytes} (${CONVERT_DEFAULTS.maxFieldBytes >> 20} MiB)
  --max-row-bytes <n>                the largest row, in bytes; default ${CONVERT_DEFAULTS.maxRowBytes >> 20} MiB, or --max-field-bytes if larger
  --max-columns <n>                  the most columns, header included; default ${CONVERT_DEFAULTS.maxColumns}
  --json                             print a machine-readable summary on stdout
  --debug                            print stack traces on errors

Exit codes: 0 converted (rows may have been rejected), 1 unusable input, 2 bad usage.`;

function oneOf<T extends string>(
  flag: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, not '${value}'`);
  }
  return value as T;
}

/**
 * The writer thread, when running from the bundle (`npm run build` puts `writer-worker.cjs` beside the CLI):
 * encoding and compression then overlap with tokenizing.
 */
export function writerWorker(): { writerWorkerPath?: string } {
  const path = join(__dirname, 'writer-worker.cjs');
  return existsSync(path) ? { writerWorkerPath: path } : {};
}

/** Parses `convert` arguments into the input, output folder and conversion options. */
export async function parseConvertArgs(
  args: readonly string[],
): Promise<{ input: string; out: string; options: ConvertOptions; json: boolean }> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        out: { type: 'string', short: 'o' },
        format: { type: 'string' },
        schema: { type: 'string' },
        ...CSV_FLAGS,
        'parquet-compression': { type: 'string' },
        'avro-codec': { type: 'string' },
        'max-rejects': { type: 'string' },
        'max-field-bytes': { type: 'string' },
        'max-row-bytes': { type: 'string' },
        'max-columns': { type: 'string' },
        'column-names': { type: 'string' },
        json: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}. Run 'csv2lake convert --help'`);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1)
    throw new UsageError(
      `give exactly one input file (got ${positionals.length}). Run 'csv2lake convert --help'`,
    );
  if (!values.out) throw new UsageError(`--out <dir> is required. Run 'csv2lake convert --help'`);
  const format = oneOf('format', values.format, ['parquet', 'avro', 'both'] as const) ?? 'both';
  const formats: OutputFormat[] = format === 'both' ? ['parquet', 'avro'] : [format];
  // Every value's rule is the core's one validator's; the flag is named as typed.
  const rule = (flag: string, check: () => void, label?: string): void => {
    try {
      checkAs(`--${flag}`, check, label);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  };
  const number = (text: string | undefined) => (text === undefined ? undefined : Number(text));
  const maxRejects = number(values['max-rejects']);
  rule('max-rejects', () => checkMaxRejects(maxRejects), 'max rejects');
  const maxFieldBytes = number(values['max-field-bytes']);
  const maxRowBytes = number(values['max-row-bytes']);
  const maxColumns = number(values['max-columns']);
  rule('max-field-bytes', () => checkLimits({ maxFieldBytes }), 'max field bytes');
  rule('max-row-bytes', () => checkLimits({ maxRowBytes }), 'max row bytes');
  rule('max-columns', () => checkLimits({ maxColumns }), 'max columns');
  const parquetCompression = values['parquet-compression'] as ParquetCompression | undefined;
  rule('parquet-compression', () => checkParquetCompression(parquetCompression));
  const avroCodec = values['avro-codec'] as AvroCodec | undefined;
  if (avroCodec !== undefined) rule('avro-codec', () => checkAvroCodec(avroCodec));
  const columnNames = oneOf('column-names', values['column-names'], COLUMN_NAMINGS);
  const { csv, nullTokens } = csvFlagOptions(values);
  const schema = values.schema
    ? parseSchemaFile(await readFile(values.schema, 'utf8'), values.schema)
    : undefined;
  const options: ConvertOptions = {
    formats,
    ...csv,
    ...(schema ? { schema } : {}),
    ...(nullTokens ? { nullTokens } : {}),
    ...(maxRejects !== undefined ? { maxRejects } : {}),
    ...(maxFieldBytes !== undefined ? { maxFieldBytes } : {}),
    ...(maxRowBytes !== undefined ? { maxRowBytes } : {}),
    ...(maxColumns !== undefined ? { maxColumns } : {}),
    ...(columnNames !== undefined ? { columnNames } : {}),
    parquetCompression: parquetCompression ?? CONVERT_DEFAULTS.parquetCompression,
    avroCodec: avroCodec ?? CONVERT_DEFAULTS.avroCodec,
  };
  return { input: positionals[0]!, out: values.out, options, json: values.json ?? false };
}

function describe(result: FileConversionResult, input: string): string {
  const lines = [
    `Converted ${input}: ${result.rows} rows, ${result.columns.length} columns ` +
      `(${result.columns.map((c) => `${c.name}:${c.type}`).join(', ')}) in ${(result.timings.totalMs / 1000).toFixed(2)} s`,
  ];
  for (const format of ['parquet', 'avro'] as const) {
    const path = result.outputs[format];
    if (path) lines.push(`  ${format.padEnd(8)} ${path} (${formatBytes(result.bytesOut[format] ?? 0)})`);
  }
  if (result.outputs.rejects)
    lines.push(`  rejects  ${result.outputs.rejects} (${result.rejectedRows} rows; columns line,reason,raw)`);
  for (const warning of result.warnings ?? []) lines.push(`  note     ${warning}`);
  return lines.join('\n');
}

/** `csv2lake convert`: one CSV file to Parquet and Avro. */
export const command: CliCommand = {
  summary: 'convert one CSV file to Parquet and/or Avro',
  usage: USAGE,
  async run(args) {
    const { input, out, options, json } = await parseConvertArgs(args);
    let result: FileConversionResult;
    try {
      result = await convertFile(input, out, { ...options, ...writerWorker() });
    } catch (error) {
      if (error instanceof InvalidOptionsError) throw new UsageError(error.message);
      if (
        (error as NodeJS.ErrnoException).code === 'ENOENT' &&
        (error as NodeJS.ErrnoException).path === input
      ) {
        throw new UsageError(`input file ${input} does not exist`);
      }
      throw error;
    }
    const summary = { ...result, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
    process.stdout.write((json ? JSON.stringify(summary) : describe(result, input)) + '\n');
    return 0;
  },
};
