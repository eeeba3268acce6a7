import type { SchemaFile } from './options';
import { SchemaMismatchError } from './errors';
import { COLUMN_TYPES, type ColumnType } from './schema';

/**
 * Parses and validates the text of a schema file: `{"columns": {"<column name>": "<type>"}}` with types
 * among boolean, int32, int64, double, date, timestamp, string.
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
  for (const [column, type] of Object.entries(columns)) {
    if (!COLUMN_TYPES.includes(type as ColumnType)) {
      throw new SchemaMismatchError(
        `${name}: column "${column}" has type ${JSON.stringify(type)}; use one of ${COLUMN_TYPES.join(', ')}`,
        { column },
      );
    }
  }
  return { columns: columns as Record<string, ColumnType> };
}
