/*
 * A file converted in byte ranges and joined (lambdas/ranges) against the one-item conversion of the same
 * file: the same rows, value for value and in row order (read back by DuckDB, hyparquet and avsc), the same
 * rejects file, whatever the cuts.
 */
import { readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ConvertOptions, OutputFormat } from '../../../lambdas/core/model/options';
import { convertFile } from '../../../lambdas/io/convert-file';
import { convertFileInRanges } from '../../../lambdas/ranges/local-ranges';
import { cutEvenly } from '../../../lambdas/ranges/range-plan';
import { readAvro, readParquetWithDuckDB, readParquetWithHyparquet } from '../../support/readers';
import { folder } from '../core/table-support';
import { awkwardCsv } from './csv-samples';

async function rowsOf(format: OutputFormat, path: string): Promise<unknown[]> {
  if (format === 'avro') return (await readAvro(path)).rows;
  return (await readParquetWithDuckDB(path)).rows;
}

/** Converts both ways and checks they agree; returns the ranged summary. */
async function bothWays(
  text: string | Buffer,
  format: OutputFormat,
  pieces: number,
  options: ConvertOptions = {},
) {
  const dir = folder('ranges-');
  const input = join(dir, 'in.csv');
  writeFileSync(input, text);
  const opts: ConvertOptions = {
    rowGroupBytes: 64 * 1024,
    avroBlockBytes: 16 * 1024,
    ...options,
    formats: [format],
  };
  const one = await convertFile(input, join(dir, 'one'), opts);
  const out = join(dir, `ranged.${format}`);
  const rejects = join(dir, 'ranged.rejects.csv');
  const size = Buffer.byteLength(text);
  const summary = await convertFileInRanges(input, out, rejects, {
    options: opts,
    format,
    ranges: cutEvenly(size, pieces),
    partsDir: join(dir, 'parts'),
  });
  if (!summary) throw new Error('not split');
  expect(await rowsOf(format, out)).toEqual(await rowsOf(format, one.outputs[format]!));
  if (format === 'parquet') {
    const a = await readParquetWithHyparquet(out);
    const b = await readParquetWithHyparquet(one.outputs.parquet!);
    expect(a.rows).toEqual(b.rows);
    expect(a.metadata.schema).toEqual(b.metadata.schema);
  } else {
    expect((await readAvro(out)).schema).toEqual((await readAvro(one.outputs.avro!)).schema);
  }
  expect(existsSync(rejects) ? readFileSync(rejects, 'utf8') : undefined).toEqual(
    one.outputs.rejects ? readFileSync(one.outputs.rejects, 'utf8') : undefined,
  );
  expect(summary.rows).toBe(one.rows);
  expect(summary.rejectedRows).toBe(one.rejectedRows);
  expect(summary.columns).toEqual(one.columns);
  // Parts are deleted after the join.
  expect(readdirSync(join(dir, 'parts'))).toEqual([]);
  return summary;
}

describe.each<OutputFormat>(['parquet', 'avro'])('%s in ranges', (format) => {
  test('quoted line breaks, CRLF and multi-byte characters across many cuts, rejects in several parts', async () => {
    const text = awkwardCsv(6000, (i) => (i % 1500 === 77 ? `${i},ragged` : undefined));
    const summary = await bothWays(text, format, 9);
    expect(summary.ranges).toBe(9);
    expect(summary.rejectedRows).toBe(4);
    expect(summary.rounds).toBe(1);
  });

  test('a value in a late range widens a column: round 2 over every range, same output', async () => {
    // Past the head's 1 MiB sample, so that the guess (int32) holds until the last range.
    const text = awkwardCsv(30000, (i) => (i === 29500 ? `${i},late,12.5,x,2024-01-01` : undefined));
    expect(text.indexOf('12.5,x')).toBeGreaterThan(1 << 20);
    const summary = await bothWays(text, format, 6);
    expect(summary.rounds).toBe(2);
    expect(summary.columns.map((c) => c.type)[2]).toBe('double');
  });

  test('every cut falls inside a long quoted field: the starts are moved, same output', async () => {
    // Rows whose quoted field spans many lines, each line looking like an ordinary row of the file.
    const fake = Array.from({ length: 40 }, (_, k) => `${k},x,${k},1.5,2024-01-01`).join('\n');
    const text = awkwardCsv(3000, (i) => (i % 600 === 300 ? `${i},"${fake}",1,2.5,2024-02-02` : undefined));
    const summary = await bothWays(text, format, 12);
    expect(summary.rows).toBe(3000);
    // Some cut's speculative start was inside a quoted field, and was moved to the range before's end.
    expect(summary.moved).toBeGreaterThan(0);
  });

  test('more ranges than rows: empty ranges own nothing', async () => {
    const text = awkwardCsv(5);
    await bothWays(text, format, 40);
  });
});

test('too many rejects across parts: the one-item error, with its true line', async () => {
  const dir = folder('ranges-');
  const input = join(dir, 'in.csv');
  const text = awkwardCsv(3000, (i) => (i % 300 === 5 ? `${i},bad` : undefined));
  writeFileSync(input, text);
  const opts: ConvertOptions = { formats: ['avro'], maxRejects: 4 };
  const one = await convertFile(input, join(dir, 'one'), opts).catch((e: Error) => e);
  const ranged = await convertFileInRanges(input, join(dir, 'o.avro'), join(dir, 'r.csv'), {
    options: opts,
    format: 'avro',
    ranges: cutEvenly(text.length, 7),
    partsDir: join(dir, 'parts'),
  }).catch((e: Error) => e);
  expect(one).toBeInstanceOf(Error);
  expect(ranged).toBeInstanceOf(Error);
  expect({ name: (ranged as Error).name, message: (ranged as Error).message }).toEqual({
    name: (one as Error).name,
    message: (one as Error).message,
  });
  expect(existsSync(join(dir, 'o.avro'))).toBe(false);
});

test('a gzip file cannot be split: it is one item (undefined: convert it as today)', async () => {
  const { gzipSync } = await import('node:zlib');
  const dir = folder('ranges-');
  const input = join(dir, 'in.csv.gz');
  writeFileSync(input, gzipSync(awkwardCsv(3000)));
  const ranged = await convertFileInRanges(input, join(dir, 'o.avro'), join(dir, 'r.csv'), {
    options: { formats: ['avro'] },
    format: 'avro',
    ranges: cutEvenly(readFileSync(input).length, 4),
    partsDir: join(dir, 'parts'),
  });
  expect(ranged).toBeUndefined();
  expect(existsSync(join(dir, 'o.avro'))).toBe(false);
});
