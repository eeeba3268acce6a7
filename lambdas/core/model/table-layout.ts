import { toAvroNames } from './avro-names';
import { columnNames, lakeColumnNames } from './column-names';
import { CONVERT_DEFAULTS } from './defaults';
import type { Column, ColumnNaming, ColumnType, TableLayout, TableSchema } from './schema';

/*
 * How a file's columns become the output's: on their own (exact naming, file order), or joining a table
 * (lake naming, the table's order, its missing columns all null, new ones appended). Pure functions over
 * names and types, shared by the conversion, the passes and the threads that convert part of a file.
 */

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

/** The output schema of a file that stands alone under `lake` naming: one name per column for both formats. */
export function lakeSchema(headers: readonly string[], types: readonly ColumnType[]): TableSchema {
  return {
    columns: lakeColumnNames(headers).map((name, i) => ({
      name,
      sourceName: headers[i]!,
      avroName: name,
      type: types[i]!,
    })),
  };
}

/**
 * The output schema of a file (header texts, final types, in file order): without a table,
 * {@link lakeSchema}, or {@link tableSchema} under `exact` naming; with one, lake names (the Parquet column and the Avro field alike), the table's
 * columns in the table's order (a column the file lacks with the table's type, its `sourceName` its name),
 * then the file's new columns in file order, `sources` saying where each takes its values from, and the
 * table's Avro record name.
 */
export function outputSchema(
  headers: readonly string[],
  types: readonly ColumnType[],
  table?: TableLayout,
  naming: ColumnNaming = CONVERT_DEFAULTS.columnNames,
): TableSchema {
  if (!table) return naming === 'exact' ? tableSchema(headers, types) : lakeSchema(headers, types);
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
