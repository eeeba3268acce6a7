import { VALUE_OPTION_KEYS, type SchemaFile, type ValueOptions } from './options';
import { decimalType, parseDecimalType } from './decimal';
import { SchemaMismatchError } from './errors';
import { checkShape, checkValueOptions } from './validate';
import { COLUMN_TYPE_LIST, COLUMN_TYPES, type ColumnType } from './schema';

/**
 * Parses and validates the text of a schema file: `{"columns": {"<column name>": "<type>"}, "options":
 * {...}}` with types among boolean, int32, int64, double, date, timestamp, string and `decimal(p,s)`
 * (precision 1-38, scale 0-p; `decimal(p)` is `decimal(p,0)`, case and spaces inside the parentheses do not
 * matter), each decimal then spelled `decimal(p,s)`; `options`, how the values are written (see
 * {@link ValueOptions}: `decimalSeparator`, `thousandsSeparator`, `dateFormat`, `timestampFormat`,
 * `trueValues`, `falseValues`), checked by the one validator. Either may be left out, not both.
 *
 * @throws SchemaMismatchError when the text is not such a document.
 */
export function parseSchemaFile(text: string, name = 'schema file'): SchemaFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new SchemaMismatchError(
      `${name} is not valid JSON (${(error as Error).message}); expected {"columns": {"name": "type"}}`,
    );
  }
  const { columns = {}, options } = (doc ?? {}) as { columns?: unknown; options?: unknown };
  if (
    typeof columns !== 'object' ||
    columns === null ||
    Array.isArray(columns) ||
    ((doc as { columns?: unknown } | null)?.columns === undefined && options === undefined)
  ) {
    throw new SchemaMismatchError(
      `${name} has no "columns" object; expected {"columns": {"name": "type"}} (and/or "options": {...})`,
    );
  }
  const types: Record<string, ColumnType> = {};
  for (const [column, type] of Object.entries(columns)) {
    const known = schemaFileType(type);
    if (known === undefined) {
      throw new SchemaMismatchError(
        `${name}: column "${column}" has type ${JSON.stringify(type)}; use one of ${COLUMN_TYPE_LIST} ` +
          `(precision 1-38, scale 0-precision)`,
        { column },
      );
    }
    types[column] = known;
  }
  return { columns: types, ...(options !== undefined ? { options: valueOptions(options, name) } : {}) };
}

/** A schema file's `options`, checked: known keys of the right types, then the one validator. */
function valueOptions(value: unknown, name: string): ValueOptions {
  try {
    checkShape(value, VALUE_OPTION_KEYS, '{"decimalSeparator": ","}');
    checkValueOptions(value as ValueOptions);
  } catch (error) {
    throw new SchemaMismatchError(`${name}: "options": ${(error as Error).message}`);
  }
  return value as ValueOptions;
}

/** A type as a schema file may write it, in its one spelling; undefined when it is none. */
export function schemaFileType(type: unknown): ColumnType | undefined {
  if (typeof type !== 'string') return undefined;
  if (COLUMN_TYPES.includes(type as ColumnType)) return type as ColumnType;
  const shape = parseDecimalType(type);
  return shape && decimalType(shape.precision, shape.scale);
}
