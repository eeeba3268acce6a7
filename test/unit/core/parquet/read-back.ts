/*
 * Helpers for the Parquet writer tests: build batches from plain JS cells and write a file; the tests read
 * it back with the independent readers of test/support/readers.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ColumnBatch, type ColumnVector } from '../../../../lambdas/core/model/column-batch';
import type { WriterStats } from '../../../../lambdas/core/model/writer';
import {
  createParquetWriter,
  type ParquetWriterOptions,
} from '../../../../lambdas/core/parquet/parquet-writer';
import type { ColumnType, TableSchema } from '../../../../lambdas/core/model/schema';
import { MemorySink, type ByteSink } from '../../../../lambdas/core/model/sink';
import { closeDuckdb, type Cell } from '../../../support/readers';

export type { Cell } from '../../../support/readers';

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
  closeDuckdb();
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
