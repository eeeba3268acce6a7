/*
 * The golden corpus: one test per file in test/fixtures/csv, converted by convertFile and read back with
 * DuckDB and hyparquet (Parquet) and avsc (Avro), cell by cell, types included. A decimal cell is its
 * exact text as DuckDB renders it (`12.30`), from each reader.
 */
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConvertOptions } from '../../../lambdas/core/model/options';
import type { ColumnType } from '../../../lambdas/core/model/schema';
import { convertFile, outputStem } from '../../../lambdas/io/convert-file';
import {
  daysToText,
  microsToDuckText,
  readAvro,
  readParquetWithDuckDB,
  readParquetWithHyparquet,
} from '../../support/readers';

const FIXTURES = join(__dirname, '../../fixtures/csv');

interface Expected {
  options?: ConvertOptions;
  columns?: [string, ColumnType][];
  rows?: unknown[][];
  rejects?: [number, string, string][];
  error?: { name: string; message: string[] };
  avroNames?: string[];
  /** What the summary says of the dialect (sniffed or given): the keys given are checked. */
  dialect?: Record<string, unknown>;
  /** Parts of the summary's advice (most rows rejected); none expected when absent. */
  advice?: string[];
}

const DUCK_TYPES: Record<string, string> = {
  boolean: 'BOOLEAN',
  int32: 'INTEGER',
  int64: 'BIGINT',
  double: 'DOUBLE',
  date: 'DATE',
  timestamp: 'TIMESTAMP WITH TIME ZONE',
  string: 'VARCHAR',
};

const AVRO_TYPES: Record<string, unknown> = {
  boolean: 'boolean',
  int32: 'int',
  int64: 'long',
  double: 'double',
  date: { type: 'int', logicalType: 'date' },
  timestamp: { type: 'long', logicalType: 'timestamp-micros' },
  string: 'string',
};

/** DuckDB's type of a column type (a decimal's `DECIMAL(p,s)`). */
function duckType(type: ColumnType): string {
  return DUCK_TYPES[type] ?? type.toUpperCase();
}

/** The Avro type of a column type (a decimal: bytes with the decimal logical type). */
function avroType(type: ColumnType): unknown {
  const decimal = /^decimal\((\d+),(\d+)\)$/u.exec(type);
  if (!decimal) return AVRO_TYPES[type];
  return { type: 'bytes', logicalType: 'decimal', precision: Number(decimal[1]), scale: Number(decimal[2]) };
}

/** A value as an Avro record holds it, rendered like the expected JSON (and DuckDB). */
function avroCell(value: unknown, type: ColumnType): unknown {
  if (value === null) return null;
  switch (type) {
    case 'int64':
      return String(value);
    case 'timestamp':
      return microsToDuckText(value as bigint);
    case 'date':
      return daysToText(value as number);
    default:
      return value;
  }
}

/** A value as hyparquet decodes it, rendered like the expected JSON. */
function hyparquetCell(value: unknown, type: ColumnType): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'int64':
      return String(value);
    case 'date':
      return (value as Date).toISOString().slice(0, 10);
    case 'timestamp':
      return value instanceof Date ? value.toISOString() : String(value);
    default:
      return value;
  }
}

function csvLines(text: string): string[][] {
  // The rejects file is written by csv2lake; parse it with the independent oracle.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parse } = require('csv-parse/sync') as typeof import('csv-parse/sync');
  return parse(text, { relax_column_count: false }) as string[][];
}

let fixtures: string[] = [];
beforeAll(async () => {
  fixtures = (await readdir(FIXTURES)).filter((f) => !f.endsWith('.expected.json'));
});

// jest needs the test names before beforeAll runs: list the directory synchronously.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const names: string[] = (require('node:fs') as typeof import('node:fs'))
  .readdirSync(FIXTURES)
  .filter((f: string) => !f.endsWith('.expected.json'));

describe.each(names)('%s', (file) => {
  test('converts as expected, read back by independent readers', async () => {
    expect(fixtures).toContain(file);
    const expected = JSON.parse(
      await readFile(join(FIXTURES, `${outputStem(file)}.expected.json`), 'utf8'),
    ) as Expected;
    const out = await mkdtemp(join(tmpdir(), 'golden-'));
    const run = convertFile(join(FIXTURES, file), out, expected.options ?? {});

    if (expected.error) {
      await expect(run).rejects.toMatchObject({ name: expected.error.name });
      const error = (await run.catch((e: unknown) => e)) as Error;
      for (const part of expected.error.message) expect(error.message).toContain(part);
      expect(await readdir(out)).toEqual([]); // nothing half-written
      return;
    }

    const result = await run;
    const columns = expected.columns!;
    const rows = expected.rows!;
    expect(result.columns.map((c) => [c.name, c.type])).toEqual(columns);
    expect(result.rows).toBe(rows.length);
    expect(result.rejectedRows).toBe(expected.rejects?.length ?? 0);
    if (expected.dialect) expect(result.dialect).toMatchObject(expected.dialect);
    if (expected.advice) for (const part of expected.advice) expect(result.advice).toContain(part);
    else expect(result.advice).toBeUndefined();

    // Parquet, read by DuckDB: names, types and every cell.
    const duck = await readParquetWithDuckDB(result.outputs.parquet!);
    expect(duck.columns).toEqual(columns.map(([name, type]) => [name, duckType(type)]));
    expect(duck.rows).toEqual(
      rows.map((row) =>
        row.map((cell, i) => (columns[i]![1] === 'double' && cell !== null ? Number(cell) : cell)),
      ),
    );

    // Parquet, read by hyparquet.
    const hy = await readParquetWithHyparquet(result.outputs.parquet!);
    expect(Number(hy.metadata.num_rows)).toBe(rows.length);
    expect(hy.rows.map((r) => columns.map(([name, type]) => hyparquetCell(r[name], type)))).toEqual(
      rows.map((row) =>
        row.map((cell, i) => {
          const type = columns[i]![1];
          if (cell === null || type !== 'timestamp') return cell;
          // hyparquet gives Dates (milliseconds): compare at that precision.
          const [day, time] = String(cell).replace('+00', '').split(' ');
          return new Date(`${day}T${time}Z`).toISOString();
        }),
      ),
    );

    // Avro, read by avsc: schema types, names, original names, every cell.
    const avroFile = await readAvro(result.outputs.avro!);
    const fields = avroFile.schema.fields as { name: string; type: unknown[]; doc: string }[];
    expect(fields.map((f) => f.type)).toEqual(columns.map(([, type]) => ['null', avroType(type)]));
    expect(fields.map((f) => f.doc)).toEqual(columns.map(([name]) => name));
    if (expected.avroNames) expect(fields.map((f) => f.name)).toEqual(expected.avroNames);
    expect(avroFile.rows.map((r) => fields.map((f, i) => avroCell(r[f.name], columns[i]![1])))).toEqual(rows);

    // Rejects: line, reason, raw text, parsed back with csv-parse.
    if (expected.rejects) {
      const rejects = csvLines(await readFile(result.outputs.rejects!, 'utf8'));
      expect(rejects[0]).toEqual(['line', 'reason', 'raw']);
      expect(rejects.slice(1).map(([line, reason, raw]) => [Number(line), reason, raw])).toEqual(
        expected.rejects.map(([line, reason, raw]) => [line, expect.stringContaining(reason), raw]),
      );
    } else {
      expect(result.outputs.rejects).toBeUndefined();
    }
  });

  test('Avro alone (encoded straight from the CSV bytes) is the two-format Avro, byte for byte', async () => {
    const expected = JSON.parse(
      await readFile(join(FIXTURES, `${outputStem(file)}.expected.json`), 'utf8'),
    ) as Expected;
    const options = expected.options ?? {};
    const both = await mkdtemp(join(tmpdir(), 'golden-both-'));
    const alone = await mkdtemp(join(tmpdir(), 'golden-avro-'));
    const runBoth = convertFile(join(FIXTURES, file), both, { ...options, formats: ['parquet', 'avro'] });
    const runAlone = convertFile(join(FIXTURES, file), alone, { ...options, formats: ['avro'] });
    if (expected.error) {
      await expect(runAlone).rejects.toMatchObject({ name: expected.error.name });
      await expect(runBoth).rejects.toMatchObject({ name: expected.error.name });
      expect(await readdir(alone)).toEqual([]);
      return;
    }
    const [a, b] = await Promise.all([runAlone, runBoth]);
    expect(a.columns).toEqual(b.columns);
    expect([a.rows, a.rejectedRows]).toEqual([b.rows, b.rejectedRows]);
    expect(await readFile(a.outputs.avro!)).toEqual(await readFile(b.outputs.avro!));
    expect((await readAvro(a.outputs.avro!)).rows).toHaveLength(expected.rows!.length);
    if (b.outputs.rejects)
      expect(await readFile(a.outputs.rejects!)).toEqual(await readFile(b.outputs.rejects));
  });
});
