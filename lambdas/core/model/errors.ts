/**
 * Errors of the conversion core. Each class sets `name`, which is what Step Functions matches in Retry and
 * Catch (`errorType`), so the workflow can tell data errors (never retried) from transient ones.
 */
export class Csv2LakeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Where in the input a problem is. All fields optional; the message already states them. */
export interface InputLocation {
  readonly line?: number;
  readonly byteOffset?: number;
  readonly column?: string;
}

/** A problem with the data itself: retrying does not help; the file or the options must change. */
export class DataError extends Csv2LakeError {
  constructor(
    message: string,
    readonly location: InputLocation = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The CSV cannot be read as CSV (or too many rows were rejected). */
export class MalformedCsvError extends DataError {}

/** The bytes are not valid in the declared/assumed text encoding. */
export class UnsupportedEncodingError extends DataError {}

/** The input has no bytes at all. */
export class EmptyInputError extends DataError {}

/** An explicit schema does not fit the file (unknown column, unknown type, bad schema file). */
export class SchemaMismatchError extends DataError {}

/** The options given are invalid (bad delimiter, unknown codec...). */
export class InvalidOptionsError extends DataError {}

/**
 * A value from the data (a column name, a field) as an error message quotes it: in double quotes, with
 * control characters escaped (`\r`, `\u001b`, C1 controls), so that a CR or an escape sequence in the
 * data cannot overprint or restyle the one line the CLI prints.
 */
export function quoted(value: string): string {
  return JSON.stringify(value).replace(
    /[\u007f-\u009f\u2028\u2029]/gu,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * Text for one line of a terminal or a Markdown report, whatever it holds: control characters (line
 * breaks included), DEL and C1 controls escaped as in JSON (`\n`, `\r`, `\u001b`). {@link quoted} marks a
 * value inside a message; this guards the whole line, paths and keys included, where they come unquoted.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what it looks for
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/gu, (c) => {
    const json = JSON.stringify(c).slice(1, -1);
    return json.length > 1 ? json : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}
