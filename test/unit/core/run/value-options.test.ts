/*
 * Value options across the passes: a value the options forbid after the sample, a schema file's options
 * over the conversion's (a dataset's own), a declared column's misfits, and the ambiguous file read with
 * no option (kept as text, the summary naming the option to pass); read back by DuckDB and avsc.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertFile } from '../../../../lambdas/io/convert-file';
import { query, readAvro, sqlPath } from '../../../support/readers';

async function csvFile(name: string, text: string): Promise<{ path: string; out: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'values-'));
  const path = join(dir, name);
  await writeFile(path, text);
  return { path, out: join(dir, 'out') };
}

test('decimal commas, then 1.5 past the sample: the column is text, every value as written', async () => {
  const pad = 'p'.repeat(40);
  const rows = Array.from({ length: 30000 }, (_, i) => `${i},5;${pad}`);
  rows.push(`1.5;${pad}`);
  const { path, out } = await csvFile('late.csv', `x;pad\n${rows.join('\n')}\n`);
  const result = await convertFile(path, out, { decimalSeparator: ',' });
  expect(result.columns.map((c) => c.type)).toEqual(['string', 'string']);
  expect(result.passes).toBe(2);
  const [last] = await query(
    `SELECT x FROM read_parquet(${sqlPath(result.outputs.parquet!)}) WHERE pad IS NOT NULL LIMIT 1 OFFSET 30000`,
  );
  expect(last).toEqual({ x: '1.5' });
});

test('the same file before the late value: doubles, read with the decimal comma', async () => {
  const { path, out } = await csvFile('early.csv', 'x;y\n1,5;2\n-0,25;3\n');
  const result = await convertFile(path, out, { decimalSeparator: ',' });
  expect(result.columns.map((c) => c.type)).toEqual(['double', 'int64']);
  expect(await query(`SELECT x FROM read_parquet(${sqlPath(result.outputs.parquet!)})`)).toEqual([
    { x: 1.5 },
    { x: -0.25 },
  ]);
  expect((await readAvro(result.outputs.avro!)).rows.map((r) => r.x)).toEqual([1.5, -0.25]);
});

test("a schema file's options are read over the conversion's (a dataset's own options)", async () => {
  const { path, out } = await csvFile('de.csv', 'betrag;tag\n1.234,5;31.12.2024\n');
  const result = await convertFile(path, out, {
    decimalSeparator: '.',
    dateFormat: '%m/%d/%Y',
    schema: {
      columns: { betrag: 'decimal(10,2)' },
      options: { decimalSeparator: ',', thousandsSeparator: '.', dateFormat: '%d.%m.%Y' },
    },
  });
  expect(result.columns.map((c) => c.type)).toEqual(['decimal(10,2)', 'date']);
  expect(
    await query(
      `SELECT betrag::VARCHAR AS b, tag::VARCHAR AS t FROM read_parquet(${sqlPath(result.outputs.parquet!)})`,
    ),
  ).toEqual([{ b: '1234.50', t: '2024-12-31' }]);
});

test('a declared double under a decimal comma rejects 1.5, naming the column', async () => {
  const { path, out } = await csvFile('declared.csv', 'x;n\n1,5;1\n1.5;2\n');
  const result = await convertFile(path, out, {
    decimalSeparator: ',',
    schema: { columns: { x: 'double' } },
  });
  expect(result.rows).toBe(1);
  expect(result.rejectedRows).toBe(1);
});

test('read with no option, 1.200 beside decimal commas stays text and the summary names the option', async () => {
  const { path, out } = await csvFile('mixed.csv', 'menge;preis\n1.200;3,14\nN/A;12,50\n2.500;0,99\n');
  const result = await convertFile(path, out, { nullTokens: ['N/A'] });
  expect(result.columns.map((c) => [c.name, c.type])).toEqual([
    ['menge', 'string'],
    ['preis', 'string'],
  ]);
  expect(result.warnings).toEqual([expect.stringContaining('column(s) "menge" kept as text')]);
  expect(result.warnings![0]).toContain("--decimal-separator ','");
  // With the option, both are numbers.
  const read = await convertFile(path, `${out}-2`, {
    nullTokens: ['N/A'],
    decimalSeparator: ',',
    thousandsSeparator: '.',
  });
  expect(read.columns.map((c) => c.type)).toEqual(['int64', 'double']);
  expect(read.warnings).toBeUndefined();
});

test('1.200 in a file with no decimal comma is the number 1.2, as always', async () => {
  const { path, out } = await csvFile('us.csv', 'menge,preis\n1.200,3.14\n');
  const result = await convertFile(path, out);
  expect(result.columns.map((c) => c.type)).toEqual(['double', 'double']);
  expect(result.warnings).toBeUndefined();
});

test('a column empty through the sample is classified with the options as its values come (tracked)', async () => {
  const pad = 'p'.repeat(40);
  const rows = Array.from({ length: 30000 }, () => `;${pad};`);
  rows.push(`1,5;${pad};1.5`, `-2,25;${pad};7`);
  const { path, out } = await csvFile('tracked.csv', `x;pad;y\n${rows.join('\n')}\n`);
  const result = await convertFile(path, out, { decimalSeparator: ',' });
  // x: decimal commas, a double; y: 1.5 is no number with a decimal comma, so text (never 1.5).
  expect(result.columns.map((c) => c.type)).toEqual(['double', 'string', 'string']);
  const tail = await query(
    `SELECT x, y FROM read_parquet(${sqlPath(result.outputs.parquet!)}) WHERE x IS NOT NULL ORDER BY x`,
  );
  expect(tail).toEqual([
    { x: -2.25, y: '7' },
    { x: 1.5, y: '1.5' },
  ]);
});
