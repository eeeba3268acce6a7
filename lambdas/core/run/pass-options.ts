import { dialectBytes } from '../csv/dialect';
import type { TokenizerOptions } from '../csv/tokens';
import { CONVERT_DEFAULTS } from '../model/defaults';
import {
  VALUE_OPTION_KEYS,
  type ConvertOptions,
  type SchemaFile,
  type TextEncoding,
  type ValueOptions,
} from '../model/options';
import type { TableLayout } from '../model/schema';
import { localeReader } from '../rows/locale';
import type { FieldRules } from '../rows/value-rules';

/** Bytes read before the first pass guesses the column types it converts with speculatively. */
const SAMPLE_BYTES = 1024 * 1024;

/** Options of both passes, defaults applied. */
export interface PassOptions {
  readonly delimiter: string | undefined;
  /** Whether the first row holds column names; undefined: sniffed (see {@link sniffHeader}). */
  readonly header: boolean | undefined;
  /** The quote byte, or -1 when quoting is off. */
  readonly quote: number;
  /** The byte that escapes a quote inside a quoted field (the quote itself: doubled quotes). */
  readonly escape: number;
  /** The comment byte, or -1 for none. */
  readonly comment: number;
  /** Physical lines skipped before the header; undefined: sniffed. */
  readonly skipRows: number | undefined;
  readonly encoding: TextEncoding;
  readonly nullTokens: readonly Uint8Array[];
  /**
   * How the values are written: the conversion's value options, the schema file's `options` over them;
   * undefined when none is given. Plain data (a pass on another thread gets a copy).
   */
  readonly values: ValueOptions | undefined;
  readonly schema: SchemaFile | undefined;
  /** Whether column names are lake names (a schema file may then name a column by its lake name). */
  readonly lakeNames: boolean;
  /** The table the file joins: its types are the floors of the file's (see {@link TableLayout}). */
  readonly table: TableLayout | undefined;
  readonly maxRejects: number;
  /** Bytes read before the first pass guesses the types it converts with. @default 1 MiB */
  readonly sampleBytes: number;
  /** See {@link ConvertOptions.maxFieldBytes}. */
  readonly maxFieldBytes: number;
  /** See {@link ConvertOptions.maxRowBytes}. */
  readonly maxRowBytes: number;
  /** See {@link ConvertOptions.maxColumns}. */
  readonly maxColumns: number;
}

/** Resolves the pass options of a conversion. */
export function passOptions(options: ConvertOptions): PassOptions {
  return {
    delimiter: options.delimiter,
    header: options.header,
    ...dialectBytes(options),
    skipRows: options.skipRows,
    encoding: options.encoding ?? CONVERT_DEFAULTS.encoding,
    nullTokens: (options.nullTokens ?? []).map((t) => Buffer.from(t, 'utf8')),
    values: valueOptions(options),
    schema: options.schema,
    lakeNames:
      options.table !== undefined || (options.columnNames ?? CONVERT_DEFAULTS.columnNames) === 'lake',
    table: options.table,
    maxRejects: options.maxRejects ?? CONVERT_DEFAULTS.maxRejects,
    sampleBytes: SAMPLE_BYTES,
    ...inputLimits(options),
  };
}

/** The value options of a conversion: its own, the schema file's over them; undefined when none is given. */
function valueOptions(options: ConvertOptions): ValueOptions | undefined {
  const values: Record<string, unknown> = {};
  for (const source of [options, options.schema?.options ?? {}])
    for (const key of Object.keys(VALUE_OPTION_KEYS) as (keyof ValueOptions)[])
      if (source[key] !== undefined) values[key] = source[key];
  return Object.keys(values).length > 0 ? values : undefined;
}

/** What a pass's values mean besides their types (null tokens, value options), compiled once per pass. */
export function fieldRules(options: PassOptions): FieldRules {
  return { tokens: options.nullTokens, locale: localeReader(options.values) };
}

/** The input limits of a conversion, defaults applied: the row limit is at least the field limit. */
export function inputLimits(
  options: Pick<ConvertOptions, 'maxFieldBytes' | 'maxRowBytes' | 'maxColumns'>,
): Pick<PassOptions, 'maxFieldBytes' | 'maxRowBytes' | 'maxColumns'> {
  const maxFieldBytes = options.maxFieldBytes ?? CONVERT_DEFAULTS.maxFieldBytes;
  return {
    maxFieldBytes,
    maxRowBytes: options.maxRowBytes ?? Math.max(CONVERT_DEFAULTS.maxRowBytes, maxFieldBytes),
    maxColumns: options.maxColumns ?? CONVERT_DEFAULTS.maxColumns,
  };
}

/** The tokenizer options of a pass over `name`. */
export function tokenizerOptions(
  name: string,
  dialect: { readonly delimiter: string; readonly comment: number },
  options: PassOptions,
  columnName?: (index: number) => string | undefined,
): TokenizerOptions {
  return {
    delimiter: dialect.delimiter.charCodeAt(0),
    quote: options.quote,
    escape: options.escape,
    comment: dialect.comment,
    // A blank line is a null value in a one-column file and nothing in a wider one: the passes decide.
    keepBlankLines: true,
    maxFieldBytes: options.maxFieldBytes,
    maxRowBytes: options.maxRowBytes,
    maxFields: options.maxColumns,
    source: name,
    ...(columnName ? { columnName } : {}),
  };
}
