import { AVRO_NAME } from './avro-names';
import { LAKE_NAME } from './column-names';
import { CONVERT_DEFAULTS } from './defaults';
import { InvalidOptionsError } from './errors';
import {
  AVRO_CODECS,
  TEXT_ENCODINGS,
  type AvroCodec,
  type ConvertOptions,
  type ConvertTargets,
  type CsvDialectOptions,
  type OutputFormat,
} from './options';
import { COLUMN_TYPE_LIST, isColumnType, type TableLayout } from './schema';

/*
 * The rules options must follow, each written once: the conversion checks them all on entry, and every
 * boundary that takes an option (CLI flags, the converters' environment) calls the same check.
 */

const VALID_DELIMITERS = /^[^"\r\n]$/u;
const VALID_CHARACTERS = /^[^\r\n]$/u;

/**
 * Checks the options that say how to read the CSV text (every boundary that takes them calls it: the
 * conversion, the CLI, the converters' configuration).
 *
 * @throws InvalidOptionsError naming the option and what it must be
 */
export function checkDialect(options: CsvDialectOptions): void {
  if (options.encoding !== undefined && !TEXT_ENCODINGS.includes(options.encoding))
    throw new InvalidOptionsError(
      `encoding ${JSON.stringify(options.encoding)} is not one of ${TEXT_ENCODINGS.join(', ')}`,
    );
  const delimiter = options.delimiter;
  if (delimiter !== undefined && (!VALID_DELIMITERS.test(delimiter) || Buffer.byteLength(delimiter) !== 1)) {
    throw new InvalidOptionsError(
      `delimiter ${JSON.stringify(delimiter)} is not usable: give one single-byte character other than a quote or newline`,
    );
  }
  for (const option of ['quote', 'escape', 'comment'] as const) {
    const value = options[option];
    if (value === undefined || (option === 'quote' && value === '')) continue;
    if (!VALID_CHARACTERS.test(value) || Buffer.byteLength(value) !== 1 || value === options.delimiter)
      throw new InvalidOptionsError(
        `${option} ${JSON.stringify(value)} is not usable: give one single-byte character other than a newline` +
          `${option === 'quote' ? " (or '' for no quoting)" : ''} and other than the delimiter`,
      );
  }
  if (options.escape !== undefined && options.quote === '')
    throw new InvalidOptionsError(
      `escape ${JSON.stringify(options.escape)} needs quoting: it escapes quotes`,
    );
  if (options.skipRows !== undefined && !(Number.isSafeInteger(options.skipRows) && options.skipRows >= 0))
    throw new InvalidOptionsError(`skip rows must be a whole number >= 0, not ${options.skipRows}`);
}

/**
 * Checks the options of a conversion against its targets and returns the formats it writes (every rule
 * of an option is here, once; the Avro container applies the Avro ones to its own options too).
 *
 * @throws InvalidOptionsError naming the option and what it must be
 */
export function checkOptions(options: ConvertOptions, targets: ConvertTargets): readonly OutputFormat[] {
  const formats = options.formats ?? CONVERT_DEFAULTS.formats;
  if (formats.length === 0)
    throw new InvalidOptionsError('no output format requested; use parquet, avro or both');
  for (const format of formats) {
    if (!targets[format]) throw new InvalidOptionsError(`no sink given for the ${format} output`);
  }
  checkDialect(options);
  if (
    options.maxRejects !== undefined &&
    !(Number.isInteger(options.maxRejects) && options.maxRejects >= 0)
  ) {
    throw new InvalidOptionsError(`max rejects must be a whole number >= 0, not ${options.maxRejects}`);
  }
  if (options.table !== undefined) checkTable(options.table);
  for (const [option, label] of [
    ['maxFieldBytes', 'max field bytes'],
    ['maxRowBytes', 'max row bytes'],
    ['maxColumns', 'max columns'],
  ] as const) {
    const value = options[option];
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0))
      throw new InvalidOptionsError(`${label} must be a whole number > 0, not ${value}`);
  }
  return formats;
}

/**
 * Checks a table layout given to a conversion: a valid Avro record name, lake column names (the names a
 * file's columns are matched by), each once, with known types.
 *
 * @throws InvalidOptionsError naming what is wrong
 */
export function checkTable(table: TableLayout): void {
  if (typeof table.recordName !== 'string' || !AVRO_NAME.test(table.recordName))
    throw new InvalidOptionsError(
      `table record name ${JSON.stringify(table.recordName)} is not a valid Avro name ([A-Za-z_][A-Za-z0-9_]*)`,
    );
  if (!Array.isArray(table.columns))
    throw new InvalidOptionsError('table columns must be a list of {name, type}');
  const seen = new Set<string>();
  for (const { name, type } of table.columns) {
    if (typeof name !== 'string' || !LAKE_NAME.test(name))
      throw new InvalidOptionsError(
        `table column ${JSON.stringify(name)} is not a lake column name ([a-z_][a-z0-9_]*)`,
      );
    if (seen.has(name)) throw new InvalidOptionsError(`table column "${name}" is listed twice`);
    seen.add(name);
    if (!isColumnType(type))
      throw new InvalidOptionsError(
        `table column "${name}" has type ${JSON.stringify(type)}; use one of ${COLUMN_TYPE_LIST}`,
      );
  }
}

/** Checks an Avro codec name. @throws InvalidOptionsError */
export function checkAvroCodec(codec: AvroCodec): void {
  if (!AVRO_CODECS.includes(codec))
    throw new InvalidOptionsError(`Unknown Avro codec "${String(codec)}": use ${AVRO_CODECS.join(', ')}.`);
}

/** Checks an Avro block size. @throws InvalidOptionsError */
export function checkAvroBlockBytes(blockBytes: number | undefined): void {
  if (blockBytes !== undefined && !(Number.isSafeInteger(blockBytes) && blockBytes > 0))
    throw new InvalidOptionsError(`Avro blockBytes must be a positive integer, got ${blockBytes}.`);
}
