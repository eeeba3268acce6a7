import type { ParseArgsConfig } from 'node:util';
import { checkDialect } from '../../lambdas/core/model/validate';
import { TEXT_ENCODINGS, type CsvDialectOptions, type TextEncoding } from '../../lambdas/core/model/options';
import { UsageError } from './command';

/** The flags that say how to read the CSV text, shared by `convert` and `run`. */
export const CSV_FLAGS = {
  delimiter: { type: 'string', short: 'd' },
  header: { type: 'boolean' },
  'no-header': { type: 'boolean' },
  encoding: { type: 'string' },
  quote: { type: 'string' },
  escape: { type: 'string' },
  comment: { type: 'string' },
  skip: { type: 'string' },
  null: { type: 'string', multiple: true },
  'decimal-separator': { type: 'string' },
  'thousands-separator': { type: 'string' },
  'date-format': { type: 'string' },
  'timestamp-format': { type: 'string' },
  true: { type: 'string', multiple: true },
  false: { type: 'string', multiple: true },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** Their lines in a command's usage text. */
export const CSV_FLAGS_USAGE = `  -d, --delimiter <c>                default: sniffed among , ; tab |  (use '\\t' or tab for tab)
  --header | --no-header             the first row holds column names, or is data (columns column_1..n);
                                     default: sniffed (data when its values fit the types of the rows below)
  --encoding utf-8|latin1|windows-1252   default utf-8 (validated)
  --quote <c>|none                   the quote character, default "; none: quotes are plain characters
  --escape <c>                       what escapes a quote inside quotes, default the quote ("" is "); e.g. '\\'
  --comment <c>                      skip lines that start with <c> (e.g. '#'); default none
  --skip <n>                         lines to skip before the header (title lines); default: sniffed
  --null <token>                     a value read as null (repeatable); the empty unquoted field always is
  How values are written (never guessed; a value these make ambiguous stays text):
  --decimal-separator .|,            default .; with ',' a number written 1.5 or 1.200 is text, not 1.5/1.2
  --thousands-separator <c>          e.g. . , ' or space: 1.234.567,89 with --decimal-separator ,; default none
  --date-format <fmt>                e.g. '%d.%m.%Y', '%m/%d/%Y' (%Y %y %m %d); ISO dates are read too
  --timestamp-format <fmt>           e.g. '%d.%m.%Y %H:%M:%S', '%m/%d/%Y %I:%M %p' (%H %I %M %S %f %p %z; UTC
                                     without %z); ISO 8601 is read too
  --true <word>, --false <word>      words read as true / false (repeatable, any case), e.g. --true ja --false nein`;

type CsvFlagValues = {
  delimiter?: string;
  header?: boolean;
  'no-header'?: boolean;
  encoding?: string;
  quote?: string;
  escape?: string;
  comment?: string;
  skip?: string;
  null?: string[];
  'decimal-separator'?: string;
  'thousands-separator'?: string;
  'date-format'?: string;
  'timestamp-format'?: string;
  true?: string[];
  false?: string[];
};

/** The encoding names people type, mapped to csv2lake's. */
function encodingOf(text: string): TextEncoding {
  const name = text
    .toLowerCase()
    .replace(/^utf8$/, 'utf-8')
    .replace(/^(iso-8859-1|latin-1)$/, 'latin1')
    .replace(/^cp1252$/, 'windows-1252');
  if (!(TEXT_ENCODINGS as readonly string[]).includes(name))
    throw new UsageError(`--encoding must be one of ${TEXT_ENCODINGS.join(', ')}, not '${text}'`);
  return name as TextEncoding;
}

/**
 * The dialect options (how values are written among them) and null tokens of parsed {@link CSV_FLAGS};
 * only the flags given appear, so the rest is sniffed or defaulted by the conversion. Their rules are the
 * core's one validator's (`checkDialect`).
 *
 * @throws UsageError for a flag whose value is unusable
 */
export function csvFlagOptions(values: CsvFlagValues): { csv: CsvDialectOptions; nullTokens?: string[] } {
  if (values.header && values['no-header']) throw new UsageError('give --header or --no-header, not both');
  const char = (flag: string, text: string | undefined): string | undefined => {
    if (text === undefined) return undefined;
    const c = text === '\\t' || text === 'tab' ? '\t' : text;
    if ([...c].length !== 1) throw new UsageError(`--${flag} takes one character, not '${text}'`);
    return c;
  };
  let skipRows: number | undefined;
  if (values.skip !== undefined) {
    skipRows = Number(values.skip);
    if (!Number.isInteger(skipRows) || skipRows < 0)
      throw new UsageError('--skip must be a whole number >= 0');
  }
  const quote = values.quote === 'none' || values.quote === '' ? '' : char('quote', values.quote);
  const csv: CsvDialectOptions = {
    ...(values.delimiter !== undefined ? { delimiter: char('delimiter', values.delimiter)! } : {}),
    ...(values.header ? { header: true } : values['no-header'] ? { header: false } : {}),
    ...(values.encoding !== undefined ? { encoding: encodingOf(values.encoding) } : {}),
    ...(quote !== undefined ? { quote } : {}),
    ...(values.escape !== undefined ? { escape: char('escape', values.escape)! } : {}),
    ...(values.comment !== undefined ? { comment: char('comment', values.comment)! } : {}),
    ...(skipRows !== undefined ? { skipRows } : {}),
    ...(values['decimal-separator'] !== undefined ? { decimalSeparator: values['decimal-separator'] } : {}),
    ...(values['thousands-separator'] !== undefined
      ? {
          thousandsSeparator: char(
            'thousands-separator',
            values['thousands-separator'] === 'space' ? ' ' : values['thousands-separator'],
          )!,
        }
      : {}),
    ...(values['date-format'] !== undefined ? { dateFormat: values['date-format'] } : {}),
    ...(values['timestamp-format'] !== undefined ? { timestampFormat: values['timestamp-format'] } : {}),
    ...(values.true ? { trueValues: values.true } : {}),
    ...(values.false ? { falseValues: values.false } : {}),
  };
  try {
    checkDialect(csv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return { csv, ...(values.null ? { nullTokens: values.null } : {}) };
}
