/*
 * "Fix the schema, then Redrive" through the local runner, with the converters kept warm between the run and
 * its redrive (conversions in the runner's thread, as `wrapStore` makes them: one module, one schema cache,
 * as a warm Lambda container has). The fixed schema applies at the redrive's first invocation.
 */
import './quiet';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ObjectStore } from '../../lambdas/io/object-store';
import { LocalRunner } from '../../lib/local/runner';
import { readParquetWithDuckDB } from '../support/readers';

let root = '';
afterAll(() => rmSync(root, { recursive: true, force: true }));

test('a schema fixed after a failed run applies when the run is redriven on the same warm converters', async () => {
  root = mkdtempSync(join(tmpdir(), 'schema-redrive-'));
  const input = join(root, 'in');
  mkdirSync(join(input, 'schemas'), { recursive: true });
  writeFileSync(join(input, 'a.csv'), 'id,name\n1,x\n');
  const schema = join(input, 'schemas', 'schema.json');
  // A typo: the schema names a column the file does not have, so the file fails in both maps.
  writeFileSync(schema, '{"columns": {"id": "int64", "nmae": "string"}}');
  const output = { kind: 'dir', path: join(root, 'out') } as const;
  const options = {
    schemaLocation: 's3://csv2lake-input/schemas/schema.json',
    retryIntervalMs: 1,
    wrapStore: (store: ObjectStore) => store,
  };
  const first = await LocalRunner.run({
    input: { kind: 'dir', path: input },
    output,
    runId: 'r1',
    ...options,
  });
  expect(first).toMatchObject({ status: 'FAILED', items: { failed: 1 } });
  const report = readFileSync(join(output.path, '_runs/r1/report.json'), 'utf8');
  expect(report).toContain('SchemaMismatchError');

  writeFileSync(schema, '{"columns": {"id": "int64", "name": "string"}}');
  const redriven = await LocalRunner.redrive('r1', output, options);
  expect(redriven).toMatchObject({ status: 'SUCCEEDED', items: { converted: 1, failed: 0 } });
  const parquet = await readParquetWithDuckDB(join(output.path, 'parquet/a/a.parquet'));
  expect(parquet.columns).toEqual([
    ['id', 'BIGINT'],
    ['name', 'VARCHAR'],
  ]);
});
