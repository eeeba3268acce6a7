import type { SchemaFile } from './options';
import { decimalType, parseDecimalType } from './decimal';
import { SchemaMismatchError } from './errors';
import { COLUMN_TYPE_LIST, COLUMN_TYPES, type ColumnType } from './schema';

/**
 * Parses and validates the text of a schema file: `{"columns": {"<column name>": "<type>"}}` with types
 * among boolean, int32, int64, double, date, timestamp, string and `decimal(p,s)` (precision 1-38, scale
 * 0-p; `decimal(p)` is `decimal(p,0)`, case and spaces inside the parentheses do not matter), each decimal
 * then spelled `decimal(p,s)`.
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
  const columns = (doc as { columns?: unknown } | null)?.columns;
  if (typeof columns !== 'object' || columns === null || Array.isArray(columns)) {
    throw new SchemaMismatchError(`${name} has no "columns" object; expected {"columns": {"name": "type"}}`);
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
  return { columns: types };
}

/** A type as a schema file may write it, in its one spelling; undefined when it is none. */
export function schemaFileType(type: unknown): ColumnType | undefined {
  if (typeof type !== 'string') return undefined;
  if (COLUMN_TYPES.includes(type as ColumnType)) return type as ColumnType;
  const shape = parseDecimalType(type);
  return shape && decimalType(shape.precision, shape.scale);
}
