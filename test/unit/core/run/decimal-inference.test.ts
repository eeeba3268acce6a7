/*
 * DECIMAL across the passes: a 23-digit id after the first MiB (the type guess breaks, a second pass
 * writes decimal(38,0)), a table whose column is a decimal (the floor values are checked against), Avro
 * alone and the worker-less column path; read back by DuckDB, hyparquet and avsc.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertFile } from '../../../../lambdas/io/convert-file';
import { query, readAvro, readParquetWithHyparquet, sqlPath } from '../../../support/readers';

async function csvFile(name: string, text: string): Promise<{ path: string; out: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'decimal-'));
  const path = join(dir, name);
  await writeFile(path, text);
  return { path, out: join(dir, 'out') };
}

test('int64 ids, then a 23-digit id past the sample: decimal(38,0), every id exact, in both formats', async () => {
  const pad = 'p'.repeat(40);
  const rows = Array.from({ length: 30000 }, (_, i) => `${i},${pad}`);
  rows.push(`12345678901234567890123,${pad}`);
  const { path, out } = await csvFile('ids.csv', `id,pad\n${rows.join('\n')}\n`);
  const result = await convertFile(path, out);
  expect(result.columns).toEqual([
    { name: 'id', type: 'decimal(38,0)' },
    { name: 'pad', type: 'string' },
  ]);
  expect(result.passes).toBe(2);
  const duck = await query(
    `SELECT any_value(typeof(id)) AS t, max(id)::VARCHAR AS max, sum(id)::VARCHAR AS total FROM read_parquet(${sqlPath(result.outputs.parquet!)})`,
  );
  expect(duck).toEqual([
    {
      t: 'DECIMAL(38,0)',
      max: '12345678901234567890123',
      total: String(12345678901234567890123n + 449985000n),
    },
  ]);
  const hy = await readParquetWithHyparquet(result.outputs.parquet!);
  expect(hy.rows[30000]!.id).toBe('12345678901234567890123');
  expect(hy.rows[29999]!.id).toBe('29999');
  const avro = await readAvro(result.outputs.avro!);
  expect(avro.rows[30000]!.id).toBe('12345678901234567890123');
  expect(avro.rows[1]!.id).toBe('1');
});

test('a table column that is a decimal: values it holds keep it, a value it does not makes the column text', async () => {
  const table = {
    recordName: 'Orders',
    columns: [
      { name: 'amount', type: 'decimal(10,2)' as const },
      { name: 'fee', type: 'decimal(10,2)' as const },
    ],
  };
  const { path, out } = await csvFile('orders.csv', 'amount,fee\n12.5,1\n-3,1.005\n,2\n');
  const result = await convertFile(path, out, { table });
  expect(result.columns).toEqual([
    { name: 'amount', type: 'decimal(10,2)', sourceName: 'amount' },
    { name: 'fee', type: 'string', sourceName: 'fee' }, // 1.005 needs a scale of 3: text, never rounded
  ]);
  const rows = await query(
    `SELECT amount::VARCHAR AS a, fee FROM read_parquet(${sqlPath(result.outputs.parquet!)})`,
  );
  expect(rows).toEqual([
    { a: '12.50', fee: '1' },
    { a: '-3.00', fee: '1.005' },
    { a: null, fee: '2' },
  ]);
});

test('Avro alone writes the decimals the two-format path writes, byte for byte', async () => {
  const text = 'id,amount\n12345678901234567890123,1.10\n-5,-0.01\n,\n';
  const schema = { columns: { amount: 'decimal(12,2)' as const } };
  const a = await csvFile('a.csv', text);
  const b = await csvFile('a.csv', text);
  const alone = await convertFile(a.path, a.out, { schema, formats: ['avro'] });
  const both = await convertFile(b.path, b.out, { schema });
  const [x, y] = await Promise.all([readAvro(alone.outputs.avro!), readAvro(both.outputs.avro!)]);
  expect(x.rows).toEqual([
    { id: '12345678901234567890123', amount: '1.10' },
    { id: '-5', amount: '-0.01' },
    { id: null, amount: null },
  ]);
  expect(y.rows).toEqual(x.rows);
});
