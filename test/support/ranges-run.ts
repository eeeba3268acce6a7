/*
 * Shapes of the range workflow tests (test/workflow/ranges*.test.ts): an input folder holding one CSV, the
 * outputs read by the independent readers, and a `fault` hook that records what each converter task was
 * given (and injects errors where a test says).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OutputFormat } from '../../lambdas/core/model/options';
import { STATES } from '../../lib/workflow/definition';
import { readAvro, readParquetWithDuckDB, readParquetWithHyparquet } from './readers';

/** An output's values in row order: Avro's schema and rows; Parquet's rows as DuckDB and hyparquet read them. */
export async function rowsOf(format: OutputFormat, path: string): Promise<unknown[]> {
  if (format === 'avro') {
    const { schema, rows } = await readAvro(path);
    return [schema, rows];
  }
  return [(await readParquetWithDuckDB(path)).rows, (await readParquetWithHyparquet(path)).rows];
}

/** A new input folder (`<tmp>/in`) holding `csv` as `sales/big.csv`; its parent is free for outputs. */
export function inputFolderWith(csv: string): string {
  const input = join(mkdtempSync(join(tmpdir(), 'ranges-run-')), 'in');
  mkdirSync(join(input, 'sales'), { recursive: true });
  writeFileSync(join(input, 'sales', 'big.csv'), csv);
  return input;
}

/** What a converter task was given: its state, and a range item's range (or a join's count). */
export interface Call {
  readonly state: string;
  readonly range?: { index: number; round?: number; exactStart?: boolean };
  readonly count?: number;
}

/** A `fault` hook that records every converter call (and injects nothing unless `inject` says). */
export function recorder(
  calls: Call[],
  inject: (call: Call, attempt: number) => Error | undefined = () => undefined,
) {
  return (state: string, payload: unknown, attempt: number) => {
    const p = payload as { range?: Call['range'] | null; count?: number };
    if (!state.endsWith(STATES.convertParquet) && !state.endsWith(STATES.convertAvro)) return undefined;
    const call = { state, ...(p.range ? { range: p.range } : {}), ...(p.count ? { count: p.count } : {}) };
    calls.push(call);
    return inject(call, attempt);
  };
}
