/*
 * CSV built to hurt, each converted (to Parquet and Avro) in its own process: it converts or fails with a
 * one-line error, within the converter's memory bound (peak RSS of the whole process, Node included), and
 * never hangs (a bounded wait kills it). Outputs that exist are read back by DuckDB and avsc. Full sizes
 * (a 100 MB field, 50,000 columns, 4,096 columns over 250 MB, a 2 GB file) are in `npm run bench:reliability`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query, readAvro, readParquetWithDuckDB } from '../support/readers';
import * as hostile from './hostile-csv';

jest.setTimeout(120_000);

/** The converter's bound (the Lambda has 1,769 MB; the core is meant to stay within this). */
const RSS_BOUND_MB = 256;
const ROOT = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'hostile-csv-'));

interface Outcome {
  ok: boolean;
  rows?: number;
  rejectedRows?: number;
  columns?: number;
  error?: { name: string; message: string };
  peakRssMb: number;
}

/** Converts `input` in a child process; a conversion still running after `hangGuardMs` is killed and fails the test. */
function convertInChild(input: string, out: string, hangGuardMs = 60_000): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
        join(__dirname, 'fixtures/convert-file-child.ts'),
        JSON.stringify({ input, out }),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const guard = setTimeout(() => child.kill('SIGKILL'), hangGuardMs);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (signal)
        return reject(new Error(`the conversion of ${input} was killed (${signal}): it hung or ran away`));
      try {
        resolve(JSON.parse(stdout.trim()) as Outcome);
      } catch {
        reject(new Error(`the converter exited with ${code} without an outcome: ${stderr.slice(0, 500)}`));
      }
    });
  });
}

/** A failure is one line that names the file and says what to do. */
function expectOneLineError(outcome: Outcome, input: string) {
  expect(outcome.ok).toBe(false);
  expect(outcome.error!.message).not.toContain('\n');
  expect(outcome.error!.message).toContain(input);
}

/** Nothing half-written: no output, no rejects file. */
function expectNoOutput(out: string) {
  expect(
    ['input.parquet', 'input.avro', 'input.rejects.csv'].filter((f) => existsSync(join(out, f))),
  ).toEqual([]);
}

const cases: [
  string,
  (path: string) => Promise<number>,
  (o: Outcome, input: string, out: string) => Promise<void>,
][] = [
  [
    'a 10 MB quoted field (doubled quotes, line breaks inside) converts whole',
    (p) => hostile.singleField(p, 10_000_000),
    async (o, _input, out) => {
      expect(o).toMatchObject({ ok: true, rows: 3, rejectedRows: 0 });
      const { rows } = await readAvro(join(out, 'input.avro'));
      expect(rows.map((r) => String(r.blob).length)).toEqual([5, expect.any(Number), 5]);
      expect(String(rows[1]!.blob).length).toBeGreaterThanOrEqual(10_000_000 * 0.9);
      expect(String(rows[1]!.blob)).toContain('lorem "ipsum", dolor\nsit');
    },
  ],
  [
    'a 20 MB field, past the 16 MiB field limit, fails with one line naming its line and column',
    (p) => hostile.singleField(p, 20_000_000),
    async (o, input, out) => {
      expectOneLineError(o, input);
      expect(o.error).toMatchObject({
        name: 'MalformedCsvError',
        message: expect.stringMatching(
          /column "blob" of the row starting at line 3 .*longer than 16 MiB.*raise --max-field-bytes/,
        ),
      });
      expectNoOutput(out);
    },
  ],
  [
    'a quote never closed before 20 MB fails at the field limit, with one line',
    (p) => hostile.unclosedQuote(p, 20_000_000),
    async (o, input, out) => {
      expectOneLineError(o, input);
      expect(o.error).toMatchObject({
        name: 'MalformedCsvError',
        message: expect.stringMatching(/column "b" of the row starting at line 3 .*longer than 16 MiB/),
      });
      expectNoOutput(out);
    },
  ],
  [
    '4,097 columns, one past the column limit, fail on the header with one line',
    (p) => hostile.wideColumns(p, 4097, 3),
    async (o, input, out) => {
      expectOneLineError(o, input);
      expect(o.error).toMatchObject({
        name: 'MalformedCsvError',
        message: expect.stringMatching(/row starting at line 1 .*more than 4096 fields.*raise --max-columns/),
      });
      expectNoOutput(out);
    },
  ],
  [
    '4,096 columns (the column limit) convert, every value',
    (p) => hostile.wideColumns(p, 4096, 300),
    async (o, _input, out) => {
      expect(o).toMatchObject({ ok: true, rows: 300, rejectedRows: 0, columns: 4096 });
      const path = join(out, 'input.parquet').replaceAll("'", "''");
      // Row r holds r * 4096 + c in column c.
      expect(
        await query(
          `SELECT count(*)::INT AS n, sum(c0)::INT AS first, sum(c4095)::INT AS last FROM read_parquet('${path}')`,
        ),
      ).toEqual([{ n: 300, first: 4096 * 44850, last: 4096 * 44850 + 300 * 4095 }]);
      const { rows } = await readAvro(join(out, 'input.avro'));
      expect(rows).toHaveLength(300);
      // An int64 column: avsc (longs as BigInt here) gives a BigInt.
      expect(rows[299]!.c4095).toBe(BigInt(299 * 4096 + 4095));
    },
  ],
  [
    'a million tiny rows convert, every row',
    (p) => hostile.tinyRows(p, 1_000_000),
    async (o, _input, out) => {
      expect(o).toMatchObject({ ok: true, rows: 1_000_000, rejectedRows: 0 });
      const path = join(out, 'input.parquet').replaceAll("'", "''");
      expect(await query(`SELECT count(*)::INT AS n, sum(x)::INT AS s FROM read_parquet('${path}')`)).toEqual(
        [{ n: 1_000_000, s: 7_000_000 }],
      );
    },
  ],
  [
    'a quote never closed swallows the rest into one rejected row; the rows before it convert',
    (p) => hostile.unclosedQuote(p, 5_000_000),
    async (o, _input, out) => {
      expect(o).toMatchObject({ ok: true, rows: 1, rejectedRows: 1 });
      // int64 columns (BIGINT), which DuckDB renders as text.
      expect((await readParquetWithDuckDB(join(out, 'input.parquet'))).rows).toEqual([['1', '2']]);
      expect(existsSync(join(out, 'input.rejects.csv'))).toBe(true);
    },
  ],
  [
    'quote soup in every row fails with one line once the rejects exceed the limit',
    (p) => hostile.quoteSoup(p, 10_000),
    async (o, input, out) => {
      expectOneLineError(o, input);
      expect(o.error).toMatchObject({
        name: 'MalformedCsvError',
        message: expect.stringMatching(/rows rejected .*raise --max-rejects/),
      });
      expectNoOutput(out);
    },
  ],
  [
    'NUL bytes inside fields are kept as text',
    (p) => hostile.nulBytes(p),
    async (o, _input, out) => {
      expect(o).toMatchObject({ ok: true, rows: 4, rejectedRows: 0 });
      // `id` is an int64: avsc (longs as BigInt here) gives a BigInt.
      expect((await readAvro(join(out, 'input.avro'))).rows).toEqual([
        { id: 1n, text: 'a\0b' },
        { id: 2n, text: '\0' },
        { id: 3n, text: '\0\0\0' },
        { id: 4n, text: 'plain' },
      ]);
    },
  ],
  [
    'LF, CRLF and CR mixed in one file (and inside a quoted field) all end rows',
    (p) => hostile.mixedLineEndings(p),
    async (o, _input, out) => {
      expect(o).toMatchObject({ ok: true, rows: 5, rejectedRows: 0 });
      // The first column is an int64 (BIGINT), which DuckDB renders as text.
      expect((await readParquetWithDuckDB(join(out, 'input.parquet'))).rows).toEqual([
        ['1', 'a'],
        ['2', 'b'],
        ['3', 'c'],
        ['4', 'multi\r\nline\rfield\n'],
        ['5', 'e'],
      ]);
    },
  ],
];

test.each(cases)('%s, within the memory bound, without hanging', async (_name, generate, check) => {
  const folder = mkdtempSync(join(dir, 'case-'));
  const input = join(folder, 'input.csv');
  await generate(input);
  const out = join(folder, 'out');
  const outcome = await convertInChild(input, out);
  await check(outcome, input, out);
  expect(outcome.peakRssMb).toBeLessThanOrEqual(RSS_BOUND_MB);
});
