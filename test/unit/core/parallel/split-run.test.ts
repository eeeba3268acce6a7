/*
 * Avro alone from a large file, cut in two and converted on two threads (parallel/split-run.ts), against the same
 * conversion on one thread: the same rows (read back by avsc), the same rejects file, the same errors,
 * wherever the cut falls; no temporary file left behind.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ConvertOptions, OutputFormat } from '../../../../lambdas/core/model/options';
import { SplitRun } from '../../../../lambdas/core/parallel/split-run';
import { convertFile, type FileConversionResult } from '../../../../lambdas/io/convert-file';
import { readAvro, readParquetWithDuckDB, readParquetWithHyparquet } from '../../../support/readers';
import { folder, writerWorkerForTests } from '../table-support';

// Bundled for this file and removed after it, with every scratch folder (see table-support.ts).
const worker = writerWorkerForTests('split-test');

// This process's part files only (the name carries the pid): other jest workers and runs share the temp folder.
const parts = () => readdirSync(tmpdir()).filter((f) => f.startsWith(`csv2lake-part-${process.pid}-`)).length;

function file(name: string, text: string | Buffer): string {
  const dir = folder('split-');
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

type Outcome =
  | {
      ok: true;
      result: FileConversionResult;
      rows: unknown[];
      rejects: string | undefined;
    }
  | { ok: false; error: Error };

async function outcome(run: Promise<FileConversionResult>): Promise<Outcome> {
  try {
    const result = await run;
    return {
      ok: true,
      result,
      rows: result.outputs.avro
        ? (await readAvro(result.outputs.avro)).rows
        : (await readParquetWithDuckDB(result.outputs.parquet!)).rows,
      rejects: result.outputs.rejects ? readFileSync(result.outputs.rejects, 'utf8') : undefined,
    };
  } catch (error) {
    return { ok: false, error: error as Error };
  }
}

/**
 * Converts to one format with the cut (two threads) and without (one), and checks that the two agree: rows
 * read back by avsc (Avro) or DuckDB (Parquet), rejects, summary, errors.
 */
async function bothWays(
  path: string,
  options: ConvertOptions = {},
  format: OutputFormat = 'avro',
  writerWorkerPath = worker,
) {
  const before = parts();
  const dir = folder('split-out-');
  const opts: ConvertOptions = { ...options, formats: [format] };
  const two = await outcome(
    convertFile(path, join(dir, 'two'), { ...opts, writerWorkerPath, secondThreadMinBytes: 1 << 20 }),
  );
  const one = await outcome(convertFile(path, join(dir, 'one'), opts));
  expect(parts()).toBe(before);
  if (!one.ok) {
    expect(!two.ok && { name: two.error.name, message: two.error.message }).toEqual({
      name: one.error.name,
      message: one.error.message,
    });
    return { one, two };
  }
  if (!two.ok) throw two.error;
  const { outputs: _a, timings: _b, parts: _c, bytesOut: _d, ...summaryTwo } = two.result;
  const { outputs: _e, timings: _f, parts: _g, bytesOut: _h, ...summaryOne } = one.result;
  expect(summaryTwo).toEqual(summaryOne);
  expect(two.rows).toEqual(one.rows);
  expect(two.rejects).toEqual(one.rejects);
  return { one, two };
}

function rows(n: number, row: (i: number) => string): string {
  return Array.from({ length: n }, (_, i) => row(i)).join('\n');
}

test.each<OutputFormat>(['avro', 'parquet'])(
  '%s: a large file is cut in two: the same rows, rejects (lines counted across the cut) and summary',
  async (format) => {
    // Ragged rows and broken quoting on both sides of the middle, quoted line breaks, CRLF rows.
    const body = rows(40000, (i) => {
      if (i % 9973 === 17) return `${i},short`;
      if (i === 31000) return `${i},"unclosed" tail,x,1.5,2024-01-01`;
      const text = i % 5 === 0 ? `"line one\nline ""two"" ${i}"` : `plain ${i}`;
      return `${i},${text},${i * 7919},${(i / 8).toFixed(3)},2024-0${(i % 9) + 1}-1${i % 10}${i % 3 === 0 ? '\r' : ''}`;
    });
    const path = file('orders.csv', `id,text,n,amount,day\n${body}\n`);
    // Small row groups, so that each part has several.
    const { one, two } = await bothWays(path, { rowGroupBytes: 256 * 1024 }, format);
    if (!one.ok || !two.ok) throw new Error('unexpected error');
    expect(two.result.parts).toBe(2);
    expect(one.result.parts).toBe(1);
    expect(two.result.passes).toBe(1);
    expect(two.result.rejectedRows).toBe(6);
    // Row 31000 starts on line 31000 + 2, plus one for each quoted line break before it.
    const breaks = Array.from({ length: 31000 }, (_, i) => i % 5 === 0 && i % 9973 !== 17).filter(Boolean);
    expect(two.rejects).toContain(`${31002 + breaks.length},broken quoting: text after a closing quote`);
    // Five rows were rejected before it.
    expect(two.rows[39000 - 5]).toEqual(
      format === 'avro'
        ? {
            id: 39000n,
            text: 'line one\nline "two" 39000',
            n: BigInt(39000 * 7919),
            amount: 4875,
            day: 19823,
          }
        : ['39000', 'line one\nline "two" 39000', String(39000 * 7919), 4875, '2024-04-10'],
    );
    if (format === 'parquet') {
      // One footer over both parts' row groups, as an independent reader sees it.
      const { metadata, rows } = await readParquetWithHyparquet(two.result.outputs.parquet!);
      expect(Number(metadata.num_rows)).toBe(39994);
      expect(metadata.row_groups.length).toBeGreaterThan(2);
      expect(rows[39994 - 1]).toMatchObject({ id: 39999n, text: 'plain 39999' });
    }
  },
);

test('a cut that falls inside a quoted field is not kept: one thread reads on, same outcome', async () => {
  // One long quoted field of many lines across the middle of the file.
  // Past the 1 MiB sample, so that the other thread starts, and the middle inside the field.
  const lines = rows(100000, (i) => `${i},ok ${i}`);
  const field = `"${rows(100000, (i) => `inside ${i}, still quoted`)}"`;
  const path = file('quoted.csv', `id,text\n${lines}\n100000,${field}\n100001,after\n`);
  const { two } = await bothWays(path);
  if (!two.ok) throw two.error;
  expect(two.result.parts).toBe(1);
  expect(two.rows).toHaveLength(100002);
});

test.each<OutputFormat>(['avro', 'parquet'])(
  '%s: a value past the cut that breaks the type guess: both threads give way to a second pass',
  async (format) => {
    const body = rows(300000, (i) => (i === 250000 ? `${i},not a number` : `${i},${i * 2}`));
    const path = file('late.csv', `id,n\n${body}\n`);
    const { two } = await bothWays(path, {}, format);
    if (!two.ok) throw two.error;
    expect(two.result.passes).toBe(2);
    expect(two.result.parts).toBe(1);
    expect(two.result.columns).toEqual([
      { name: 'id', type: 'int64' },
      { name: 'n', type: 'string' },
    ]);
  },
);

test('invalid UTF-8 or too many rejects past the cut: the same one error, with the same line', async () => {
  const good = rows(300000, (i) => `${i},café ${i}`);
  const bad = Buffer.concat([Buffer.from(`id,text\n${good}\n`), Buffer.from('300000,caf\xe9\n', 'latin1')]);
  const invalid = await bothWays(file('bad.csv', bad));
  expect(!invalid.two.ok && invalid.two.error.message).toMatch(/line 300002, byte offset/);
  const ragged = rows(300000, (i) => (i > 200000 && i % 1000 === 0 ? `${i}` : `${i},x`));
  const many = await bothWays(file('ragged.csv', `a,b\n${ragged}\n`), { maxRejects: 10 });
  expect(!many.two.ok && many.two.error.message).toMatch(
    /more than 10 rows rejected \(latest at line 211002/,
  );
});

test('a gzip file is not cut', async () => {
  const { gzipSync } = await import('node:zlib');
  const path = file(
    'packed.csv.gz',
    gzipSync(`a,b\n${rows(200000, (i) => `${i},${i % 7}`)}\n`, { level: 0 }),
  );
  const { two } = await bothWays(path);
  if (!two.ok) throw two.error;
  expect(two.result.parts).toBe(1);
  expect(two.rows).toHaveLength(200000);
});

test.each<OutputFormat>(['avro', 'parquet'])(
  '%s: a one-column headerless file under # lines, with blank lines (null rows) on both sides of the cut',
  async (format) => {
    const body = rows(400000, (i) => (i % 7 === 3 ? '' : `${i}`));
    const path = file('column.csv', `# one value a line\n# blank lines are missing values\n${body}\n\n`);
    const { one, two } = await bothWays(path, {}, format);
    if (!one.ok || !two.ok) throw new Error('unexpected error');
    expect(two.result.parts).toBe(2);
    expect(two.result.dialect).toMatchObject({ header: false, skipRows: 2 });
    expect(two.result.columns).toEqual([{ name: 'column_1', type: 'int64' }]);
    // Every line after the preamble is a row, the last blank line included.
    expect(two.result.rows).toBe(400001);
    const nulls = two.rows.filter(
      (r) => (format === 'avro' ? (r as { column_1: unknown }).column_1 : (r as unknown[])[0]) === null,
    );
    // 57,143 empty values (every i ≡ 3 mod 7) and the trailing blank line.
    expect(nulls).toHaveLength(57144);
  },
);

test('a zstd file is not cut (its offsets are the compressed ones)', async () => {
  const { zstdCompressSync } = (await import('node:zlib')) as unknown as {
    zstdCompressSync: (b: Buffer, o?: object) => Buffer;
  };
  // Barely compressible, so that the file is past the 1 MiB split threshold.
  const body = rows(200000, (i) => `${i},${((i * 2654435761) >>> 0).toString(36)}`);
  const path = file('packed.csv.zst', zstdCompressSync(Buffer.from(`a,b\n${body}\n`)));
  const { two } = await bothWays(path);
  if (!two.ok) throw two.error;
  expect(two.result.parts).toBe(1);
  expect(two.rows).toHaveLength(200000);
});

/**
 * The writer worker, loading only after `ms`: this thread reaches its cut long before the other has read
 * anything, and takes the end of the file off it (a third part, converted here).
 */
function slowWorker(ms: number): string {
  const path = join(dirname(worker), `slow-${ms}.cjs`);
  writeFileSync(
    path,
    `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${ms});\nrequire(${JSON.stringify(worker)});\n`,
  );
  return path;
}

/** The parts past the first that the split runs of `run` joined (spied on `SplitRun.finish`). */
async function joinedParts(run: () => Promise<unknown>): Promise<number[]> {
  const spy = jest.spyOn(SplitRun.prototype, 'finish');
  try {
    await run();
    return await Promise.all(spy.mock.results.map(async (r) => ((await r.value) ?? []).length));
  } finally {
    spy.mockRestore();
  }
}

test.each<OutputFormat>(['avro', 'parquet'])(
  '%s: this thread takes the end of the file off a late other thread: three parts, the same outcome',
  async (format) => {
    // Rejects in each of the three parts (before the first cut, between the cuts, past the second), so
    // that each part's line numbers are checked; quoted line breaks throughout.
    const body = rows(160000, (i) => {
      if (i % 20011 === 5) return `${i},short`;
      const text = i % 7 === 0 ? `"two\nlines ${i}"` : `plain ${i}`;
      return `${i},${text},${(i / 4).toFixed(2)}`;
    });
    const path = file('late-thread.csv', `id,text,amount\n${body}\n`);
    let result: Awaited<ReturnType<typeof bothWays>> | undefined;
    const joined = await joinedParts(async () => {
      result = await bothWays(path, { rowGroupBytes: 256 * 1024 }, format, slowWorker(3000));
    });
    const { one, two } = result!;
    if (!one.ok || !two.ok) throw new Error('unexpected error');
    // The two-thread run joined two parts after its own (the one-thread run has no split run).
    expect(joined).toEqual([2]);
    expect(two.result.parts).toBe(2);
    expect(two.result.passes).toBe(1);
    expect(two.result.rejectedRows).toBe(8);
  },
);

test('the second cut inside a quoted field: the parts are dropped and this thread reads on', async () => {
  // Ordinary rows up to ~6.5 MiB, then one quoted field of many lines to the end (~8 MiB): the first cut
  // (some three quarters in, as the other thread is late) falls before it, the second inside it.
  const lines = rows(440000, (i) => `${i},ok ${i}`);
  const field = `"${rows(63000, (i) => `inside ${i}, still quoted`)}"`;
  const path = file('late-quoted.csv', `id,text\n${lines}\n440000,${field}\n440001,after\n`);
  let result: Awaited<ReturnType<typeof bothWays>> | undefined;
  const joined = await joinedParts(async () => {
    result = await bothWays(path, {}, 'parquet', slowWorker(3000));
  });
  const { two } = result!;
  if (!two.ok) throw two.error;
  expect(joined).toEqual([0]);
  expect(two.result.parts).toBe(1);
  expect(two.rows).toHaveLength(440002);
});
