/*
 * A 4,096-column file through the local runner: the child's output (the Parallel's, as the Map's result file
 * records it) stays far below Step Functions' 262,144-byte state limit, since the converters return what the
 * graph needs and keep the columns in the item records (263,114 bytes before, and the child failed).
 */
import './quiet';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRunner } from '../../lib/local/runner';
import { readParquetWithDuckDB } from '../support/readers';

let root = '';
afterAll(() => rmSync(root, { recursive: true, force: true }));

test("a 4,096-column file converts and its child's output is under 2 KB", async () => {
  root = mkdtempSync(join(tmpdir(), 'wide-'));
  mkdirSync(join(root, 'in'));
  const columns = Array.from({ length: 4096 }, (_, i) => `c${i}`);
  writeFileSync(join(root, 'in/wide.csv'), `${columns.join(',')}\n${columns.map((_, i) => i).join(',')}\n`);
  const out = join(root, 'out');
  const result = await LocalRunner.run({
    input: { kind: 'dir', path: join(root, 'in') },
    output: { kind: 'dir', path: out },
    runId: 'wide',
  });
  expect(result).toMatchObject({ status: 'SUCCEEDED', items: { total: 1, converted: 1 } });
  const manifest = JSON.parse(
    readFileSync(join(out, '_runs/_map/wide-ConvertFiles/manifest.json'), 'utf8'),
  ) as { ResultFiles: { SUCCEEDED: { Key: string }[] } };
  const [succeeded] = manifest.ResultFiles.SUCCEEDED;
  const entries = JSON.parse(readFileSync(join(out, succeeded!.Key), 'utf8')) as { Output: string }[];
  expect(entries).toHaveLength(1);
  const output = entries[0]!.Output;
  expect(Buffer.byteLength(output)).toBeLessThan(2_000);
  expect(JSON.parse(output)).toEqual([
    expect.objectContaining({ key: 'wide.csv', format: 'parquet', status: 'converted', rows: 1 }),
    expect.objectContaining({ key: 'wide.csv', format: 'avro', status: 'converted', rows: 1 }),
  ]);
  expect((await readParquetWithDuckDB(join(out, 'parquet/wide/wide.parquet'))).columns).toHaveLength(4096);
});
