import { AVRO_NAME } from './avro-names';
import { LAKE_NAME } from './column-names';
import { CONVERT_DEFAULTS } from './defaults';
import { InvalidOptionsError } from './errors';
import {
  AVRO_CODECS,
  COLUMN_NAMINGS,
  PARQUET_COMPRESSIONS,
  TEXT_ENCODINGS,
  type AvroCodec,
  type ConvertOptions,
  type ConvertTargets,
  type CsvDialectOptions,
  type OutputFormat,
  type ParquetCompression,
  type ValueOptions,
} from './options';
import { formatProblem } from './value-formats';
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
  checkValueOptions(options);
}

/**
 * Checks the shape of an options object read from configuration (JSON): an object whose keys are among
 * `keys`, each value of its type (`string[]`: a list of strings). The values themselves are checked by
 * the option's own rule ({@link checkDialect}, {@link checkValueOptions}).
 *
 * @throws InvalidOptionsError naming the key that is unknown or of the wrong type
 */
export function checkShape(
  value: unknown,
  keys: Readonly<Record<string, 'string' | 'boolean' | 'number' | 'string[]'>>,
  example: string,
): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InvalidOptionsError(`must be a JSON object such as ${example}`);
  for (const [key, v] of Object.entries(value)) {
    const type = keys[key];
    if (type === undefined)
      throw new InvalidOptionsError(
        `unknown key ${JSON.stringify(key)}; known: ${Object.keys(keys).join(', ')}`,
      );
    const ok =
      type === 'string[]' ? Array.isArray(v) && v.every((x) => typeof x === 'string') : typeof v === type;
    if (!ok) throw new InvalidOptionsError(`${key} must be a ${type}, not ${JSON.stringify(v)}`);
  }
}

/**
 * Runs a check of this module for an option a boundary names its own way (a CLI flag, an environment
 * variable): its error names the option as the boundary does, in place of the rule's own label (`max
 * rejects must be…` → `--max-rejects must be…`), or before the message when it does not start with it.
 *
 * @throws InvalidOptionsError with the boundary's name
 */
export function checkAs(name: string, check: () => void, label?: string): void {
  try {
    check();
  } catch (error) {
    const message = (error as Error).message;
    throw new InvalidOptionsError(
      label !== undefined && message.startsWith(label)
        ? `${name}${message.slice(label.length)}`
        : message.startsWith('must ')
          ? `${name} ${message}`
          : `${name}: ${message}`,
    );
  }
}

/** Characters a thousands separator cannot be: they are parts of numbers. */
const NUMBER_CHARACTERS = /^[0-9+\-eE]$/u;

/**
 * Checks the options that say how values are written (a schema file's `options` too).
 *
 * @throws InvalidOptionsError naming the option and what it must be
 */
export function checkValueOptions(options: ValueOptions): void {
  const decimal = options.decimalSeparator ?? CONVERT_DEFAULTS.decimalSeparator;
  if (decimal !== '.' && decimal !== ',')
    throw new InvalidOptionsError(`decimal separator ${JSON.stringify(decimal)} is not usable: give . or ,`);
  const thousands = options.thousandsSeparator;
  if (thousands !== undefined && thousands !== '') {
    if ([...thousands].length !== 1 || NUMBER_CHARACTERS.test(thousands) || /[\r\n]/u.test(thousands))
      throw new InvalidOptionsError(
        `thousands separator ${JSON.stringify(thousands)} is not usable: give one character that is no digit, sign or e`,
      );
    if (thousands === decimal)
      throw new InvalidOptionsError(
        `thousands separator ${JSON.stringify(thousands)} is the decimal separator too: give --decimal-separator ` +
          `${thousands === ',' ? "','" : "'.'"} with the other one as --thousands-separator`,
      );
  }
  for (const [option, time] of [
    ['dateFormat', false],
    ['timestampFormat', true],
  ] as const) {
    const format = options[option];
    if (format === undefined) continue;
    const problem = typeof format === 'string' ? formatProblem(format, time) : 'is not text';
    if (problem !== undefined)
      throw new InvalidOptionsError(
        `${time ? 'timestamp' : 'date'} format ${JSON.stringify(format)} ${problem}, e.g. ${time ? "'%d.%m.%Y %H:%M:%S'" : "'%d.%m.%Y'"}`,
      );
  }
  const words = new Map<string, string>();
  for (const [option, own, other] of [
    ['trueValues', 'true', 'false'],
    ['falseValues', 'false', 'true'],
  ] as const) {
    const values = options[option];
    if (values === undefined) continue;
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'string' && v !== ''))
      throw new InvalidOptionsError(`${own} values must be a list of words, not ${JSON.stringify(values)}`);
    for (const value of values) {
      const word = value.toLowerCase();
      if (word === other || words.get(word) === other)
        throw new InvalidOptionsError(`${JSON.stringify(value)} is given as both a true and a false value`);
      words.set(word, own);
    }
  }
}

/**
 * Checks a rejected-rows limit (`--max-rejects`, the converters' environment, the construct's prop).
 *
 * @throws InvalidOptionsError naming the option and what it must be
 */
export function checkMaxRejects(maxRejects: number | undefined): void {
  if (maxRejects !== undefined && !(Number.isSafeInteger(maxRejects) && maxRejects >= 0))
    throw new InvalidOptionsError(`max rejects must be a whole number >= 0, not ${maxRejects}`);
}

/** The input limits of a conversion and their names in messages. */
const LIMITS = [
  ['maxFieldBytes', 'max field bytes'],
  ['maxRowBytes', 'max row bytes'],
  ['maxColumns', 'max columns'],
] as const;

/**
 * Checks the input limits (`--max-field-bytes`, `--max-row-bytes`, `--max-columns`, and the converters'
 * environment): each a whole number > 0.
 *
 * @throws InvalidOptionsError naming the limit and what it must be
 */
export function checkLimits(
  options: Pick<ConvertOptions, 'maxFieldBytes' | 'maxRowBytes' | 'maxColumns'>,
): void {
  for (const [option, label] of LIMITS) {
    const value = options[option];
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0))
      throw new InvalidOptionsError(`${label} must be a whole number > 0, not ${value}`);
  }
}

/** Checks a Parquet compression name. @throws InvalidOptionsError */
export function checkParquetCompression(compression: ParquetCompression | undefined): void {
  if (compression !== undefined && !PARQUET_COMPRESSIONS.includes(compression))
    throw new InvalidOptionsError(
      `Unknown Parquet compression "${String(compression)}": use ${PARQUET_COMPRESSIONS.join(', ')}.`,
    );
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
  if (options.schema?.options !== undefined) checkValueOptions({ ...options, ...options.schema.options });
  checkMaxRejects(options.maxRejects);
  if (options.columnNames !== undefined && !COLUMN_NAMINGS.includes(options.columnNames))
    throw new InvalidOptionsError(
      `column names ${JSON.stringify(options.columnNames)} is not one of ${COLUMN_NAMINGS.join(', ')}`,
    );
  if (options.table !== undefined) {
    if (options.columnNames === 'exact')
      throw new InvalidOptionsError(
        'a file joining a table has lake column names: exact names are not possible',
      );
    checkTable(options.table);
  }
  checkLimits(options);
  checkParquetCompression(options.parquetCompression);
  if (options.avroCodec !== undefined) checkAvroCodec(options.avroCodec);
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
