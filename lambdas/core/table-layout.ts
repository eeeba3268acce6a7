import { toAvroNames } from './avro/avro-names';
import { columnNames, LAKE_NAME, lakeColumnNames } from './column-names';
import { InvalidOptionsError } from './errors';
import { COLUMN_TYPES, type Column, type ColumnType, type TableLayout, type TableSchema } from './schema';

/*
 * How a file's columns become the output's: on their own (exact naming, file order), or joining a table
 * (lake naming, the table's order, its missing columns all null, new ones appended). Pure functions over
 * names and types, shared by the conversion, the passes and the threads that convert part of a file.
 */

const VALID_AVRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/u;

/** The output schema of a file that stands alone: header names made unique, Avro names derived apart. */
export function tableSchema(headers: readonly string[], types: readonly ColumnType[]): TableSchema {
  const names = columnNames(headers);
  const avroNames = toAvroNames(names);
  return {
    columns: names.map((name, i) => ({
      name,
      sourceName: headers[i]!,
      avroName: avroNames[i]!,
      type: types[i]!,
    })),
  };
}

/**
 * The output schema of a file (header texts, final types, in file order): without a table,
 * {@link tableSchema}; with one, lake names (the Parquet column and the Avro field alike), the table's
 * columns in the table's order (a column the file lacks with the table's type, its `sourceName` its name),
 * then the file's new columns in file order, `sources` saying where each takes its values from, and the
 * table's Avro record name.
 */
export function outputSchema(
  headers: readonly string[],
  types: readonly ColumnType[],
  table?: TableLayout,
): TableSchema {
  if (!table) return tableSchema(headers, types);
  const names = lakeColumnNames(headers);
  const position = new Map(names.map((name, i) => [name, i]));
  const columns: Column[] = [];
  const sources: number[] = [];
  const add = (i: number) => {
    columns.push({ name: names[i]!, sourceName: headers[i]!, avroName: names[i]!, type: types[i]! });
    sources.push(i);
  };
  for (const column of table.columns) {
    const i = position.get(column.name);
    if (i !== undefined) {
      add(i);
      position.delete(column.name);
      continue;
    }
    const { name, type } = column;
    columns.push({ name, sourceName: name, avroName: name, type });
    sources.push(-1);
  }
  for (const i of position.values()) add(i); // a Map iterates in insertion order: the file's
  return { columns, sources, recordName: table.recordName };
}

/**
 * The columns a conversion's summary lists: the output's, in output order, name and type; with a table,
 * also the header text of each column the file has.
 */
export function summaryColumns(
  schema: TableSchema,
): { readonly name: string; readonly type: ColumnType; readonly sourceName?: string }[] {
  const sources = schema.sources;
  return schema.columns.map(({ name, type, sourceName }, o) =>
    sources !== undefined && sources[o]! >= 0 ? { name, type, sourceName } : { name, type },
  );
}

/** The output columns that hold the file's columns, in file order (the order rows are read in). */
export function fileColumns(schema: TableSchema): Column[] {
  const sources = schema.sources;
  if (!sources) return [...schema.columns];
  const columns: Column[] = [];
  sources.forEach((source, o) => {
    if (source >= 0) columns[source] = schema.columns[o]!;
  });
  return columns;
}

/**
 * Per file column, the type of the table column of the same lake name (the floor its type widens from),
 * or undefined for a column new to the table.
 */
export function tableFloors(headers: readonly string[], table: TableLayout): (ColumnType | undefined)[] {
  const types = new Map(table.columns.map((c) => [c.name, c.type]));
  return lakeColumnNames(headers).map((name) => types.get(name));
}

/**
 * Checks a table layout given to a conversion: a valid Avro record name, lake column names (the names a
 * file's columns are matched by), each once, with known types.
 *
 * @throws InvalidOptionsError naming what is wrong
 */
export function checkTable(table: TableLayout): void {
  if (typeof table.recordName !== 'string' || !VALID_AVRO_NAME.test(table.recordName))
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
    if (!COLUMN_TYPES.includes(type))
      throw new InvalidOptionsError(
        `table column "${name}" has type ${JSON.stringify(type)}; use one of ${COLUMN_TYPES.join(', ')}`,
      );
  }
}
