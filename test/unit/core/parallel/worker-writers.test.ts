/*
 * The writer thread with decimal columns: their vectors cross to the worker in their storage type (int64
 * up to 18 digits, bytes beyond), so a schema with decimals is written there, as on one thread.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { convertFile } from '../../../../lambdas/io/convert-file';
import { query, readAvro, sqlPath } from '../../../support/readers';
import { folder, writerWorkerForTests } from '../table-support';

const worker = writerWorkerForTests('worker-writers');

test('decimal(12,2) and decimal(38,0) columns: the writer thread writes what one thread writes', async () => {
  // Prepare: more rows than a batch (16,384), so that buffers go to the worker and come back.
  const rows = Array.from(
    { length: 40000 },
    (_, i) => `${i % 7 === 0 ? '' : `${i}.${i % 100}`},${12345678901234567890n + BigInt(i)},n${i % 13}`,
  );
  const dir = folder('worker-writers-');
  const path = join(dir, 'orders.csv');
  await writeFile(path, `amount,ref,name\n${rows.join('\n')}\n`);
  const schema = { columns: { amount: 'decimal(12,2)' as const, ref: 'decimal(38,0)' as const } };

  // Act
  const one = await convertFile(path, join(dir, 'one'), { schema });
  const two = await convertFile(path, join(dir, 'two'), {
    schema,
    writerWorkerPath: worker,
    secondThreadMinBytes: 0,
  });

  // Assert: the same columns and files; DuckDB reads the decimals exact.
  expect(two.columns).toEqual(one.columns);
  expect(two.columns.map((c) => c.type)).toEqual(['decimal(12,2)', 'decimal(38,0)', 'string']);
  const [a, b] = await Promise.all([readFile(one.outputs.parquet!), readFile(two.outputs.parquet!)]);
  expect(b.equals(a)).toBe(true);
  const [x, y] = await Promise.all([readAvro(one.outputs.avro!), readAvro(two.outputs.avro!)]);
  expect(y.rows).toEqual(x.rows);
  const duck = await query(
    `SELECT count(amount) AS n, sum(amount)::VARCHAR AS amounts, max(ref)::VARCHAR AS ref FROM read_parquet(${sqlPath(two.outputs.parquet!)})`,
  );
  const amounts = rows.reduce((sum, r) => sum + Math.round(Number(r.split(',')[0] || 0) * 100), 0);
  expect(duck).toEqual([
    {
      n: String(rows.filter((r) => !r.startsWith(',')).length),
      amounts: (amounts / 100).toFixed(2),
      ref: String(12345678901234567890n + 39999n),
    },
  ]);
});
