/*
 * Helpers for the Parquet writer tests: build batches from plain JS cells, write a file, and read it back
 * with two readers that share no code with the writer: DuckDB and hyparquet.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { parquetMetadata, parquetReadObjects, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { parquetHeader } from 'hyparquet/src/column.js';
import { ColumnBatch, type ColumnVector } from '../../../../lambdas/core/model/column-batch';
import type { WriterStats } from '../../../../lambdas/core/model/writer';
import {
  createParquetWriter,
  type ParquetWriterOptions,
} from '../../../../lambdas/core/parquet/parquet-writer';
import type { ColumnType, TableSchema } from '../../../../lambdas/core/model/schema';
import { MemorySink, type ByteSink } from '../../../../lambdas/core/model/sink';

/**
 * One cell as the tests write and expect it: boolean, int32 and double as numbers/booleans, int64 and
 * timestamp (microseconds since the epoch) as bigint, date as days since the epoch, string as string.
 */
export type Cell = null | boolean | number | bigint | string;

/** A schema from `[name, type]` pairs (sourceName gets a marker so the key/value metadata can be checked). */
export function tableSchema(columns: readonly (readonly [string, ColumnType])[]): TableSchema {
  return {
    columns: columns.map(([name, type], i) => ({
      name,
      sourceName: `${name} (source)`,
      avroName: `c${i}`,
      type,
    })),
  };
}

function append(vector: ColumnVector, type: ColumnType, cell: Cell): void {
  if (cell === null) return vector.appendNull();
  switch (type) {
    case 'boolean':
      return vector.appendBoolean(cell as boolean);
    case 'int32':
    case 'date':
      return vector.appendInt32(cell as number);
    case 'int64':
    case 'timestamp':
      return vector.appendInt64BigInt(cell as bigint);
    case 'double':
      return vector.appendDouble(cell as number);
    case 'string':
      return vector.appendString(cell as string);
  }
}

let dir: string | undefined;
let files = 0;

/** A fresh path in this test file's temporary folder. */
export function tempPath(name = 'out.parquet'): string {
  dir ??= mkdtempSync(join(tmpdir(), 'parquet-writer-test-'));
  return join(dir, `${files++}-${name}`);
}

/** Removes the temporary folder and closes DuckDB (call from afterAll). */
export function cleanUp(): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
  connection?.then((c) => c.closeSync()).catch(() => undefined);
  connection = undefined;
}

/** How {@link writeParquet} feeds the writer. */
export interface Feed {
  /** Rows per batch. @default 1000 */
  batchRows?: number;
  /** Where the writer writes. @default a MemorySink */
  sink?: ByteSink & { bytes(): Buffer };
  /** Also write an empty batch first. @default false */
  emptyBatch?: boolean;
  /** Called after each write with the rows written so far. */
  afterWrite?: (rows: number) => void;
}

/**
 * Writes `rows` with the Parquet writer in batches, reusing ONE ColumnBatch (reset after each write, as the
 * converter does), and stores the file. Returns its path, bytes and the writer's stats.
 */
export async function writeParquet(
  schema: TableSchema,
  rows: readonly (readonly Cell[])[],
  options: ParquetWriterOptions,
  feed: Feed = {},
): Promise<{ path: string; bytes: Buffer; stats: WriterStats }> {
  const batchRows = feed.batchRows ?? 1000;
  const sink = feed.sink ?? new MemorySink();
  const writer = createParquetWriter(schema, sink, options);
  const batch = new ColumnBatch(schema, 4);
  if (feed.emptyBatch) await writer.write(batch);
  for (let start = 0; start < rows.length; start += batchRows) {
    batch.reset();
    for (const row of rows.slice(start, start + batchRows))
      schema.columns.forEach((c, i) => append(batch.columns[i]!, c.type, row[i]!));
    await writer.write(batch);
    feed.afterWrite?.(Math.min(rows.length, start + batchRows));
  }
  const stats = await writer.close();
  const bytes = sink.bytes();
  const path = tempPath();
  writeFileSync(path, bytes);
  return { path, bytes, stats };
}

let connection: Promise<DuckDBConnection> | undefined;

/** Runs a query on an in-memory DuckDB and returns its rows as objects of native values. */
export async function duck(sql: string): Promise<Record<string, unknown>[]> {
  connection ??= DuckDBInstance.create(':memory:').then((db) => db.connect());
  const result = await (await connection).runAndReadAll(sql);
  return result.getRowObjects() as Record<string, unknown>[];
}

/** A path as an SQL string literal. */
export const sqlPath = (path: string): string => `'${path.replaceAll("'", "''")}'`;

/** A DuckDB value as a {@link Cell}: DATE as days, TIMESTAMP WITH TIME ZONE as microseconds. */
function fromDuck(value: unknown): Cell {
  if (value === null || typeof value !== 'object') return value as Cell;
  if ('days' in value) return (value as { days: number }).days;
  if ('micros' in value) return (value as { micros: bigint }).micros;
  throw new Error(`unexpected DuckDB value ${String(value)}`);
}

/** DuckDB's column names and types, and every row as cells in column order. */
export async function readWithDuckDB(path: string): Promise<{ columns: [string, string][]; rows: Cell[][] }> {
  const described = await duck(`DESCRIBE SELECT * FROM read_parquet(${sqlPath(path)})`);
  const columns = described.map((d) => [String(d.column_name), String(d.column_type)] as [string, string]);
  const result = await (await connection!).runAndReadAll(`SELECT * FROM read_parquet(${sqlPath(path)})`);
  return { columns, rows: result.getRows().map((row) => row.map(fromDuck)) };
}

const parsers = {
  timestampFromMicroseconds: (micros: bigint) => micros,
  dateFromDays: (days: number) => days,
};

/**
 * hyparquet's metadata, every row as cells in schema order, and per column the values (rows) of each data
 * page, from the page headers as hyparquet parses them (checking that the pages fill each chunk exactly).
 */
export async function readWithHyparquet(
  bytes: Buffer,
  schema: TableSchema,
): Promise<{ metadata: FileMetaData; rows: Cell[][]; pages: Map<string, number[]> }> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  const metadata = parquetMetadata(file, { parsers });
  const objects = await parquetReadObjects({ file, compressors, utf8: true, parsers });
  const rows = objects.map((o) => schema.columns.map((c) => (o[c.name] ?? null) as Cell));
  const pages = new Map<string, number[]>();
  for (const group of metadata.row_groups) {
    for (const chunk of group.columns) {
      const meta = chunk.meta_data!;
      const name = meta.path_in_schema.join('.');
      const start = Number(meta.dictionary_page_offset ?? meta.data_page_offset);
      const reader = { view: new DataView(file), offset: start };
      const end = start + Number(meta.total_compressed_size);
      while (reader.offset < end) {
        const header = parquetHeader(reader);
        if (header.type === 'DATA_PAGE')
          pages.set(name, [...(pages.get(name) ?? []), header.data_page_header!.num_values]);
        else expect(header.type).toBe('DICTIONARY_PAGE');
        reader.offset += header.compressed_page_size;
      }
      expect(reader.offset).toBe(end);
    }
  }
  return { metadata, rows, pages };
}
