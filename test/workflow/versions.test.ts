/*
 * Both outputs of a file hold one version of it. A file rewritten between the two converters' reads is
 * caught after the Parallel (SameVersion), and the retry map, whose items ask for the current version,
 * converts again only the format that holds the older one.
 */
import './quiet';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ObjectStore } from '../../lambdas/io/object-store';
import { type Invocation, LocalRunner } from '../../lib/local/runner';
import { readAvro, readParquetWithDuckDB } from '../support/readers';

test('a file rewritten between the Parquet and the Avro conversion fails its child, and the retry map makes both hold the new version', async () => {
  const root = mkdtempSync(join(tmpdir(), 'versions-'));
  mkdirSync(join(root, 'in'));
  const file = join(root, 'in/a.csv');
  writeFileSync(file, 'id\n1\n');
  // The Avro converter starts only once the Parquet one has written its output from the first version and
  // the file has been rewritten: the two read different versions, deterministically.
  let rewritten!: () => void;
  const gate = new Promise<void>((resolve) => (rewritten = resolve));
  const wrap = (store: ObjectStore): ObjectStore => ({
    ...store,
    head: async (bucket, key) => {
      if (key === 'avro/a/a.avro') await gate;
      return store.head(bucket, key);
    },
    get: (bucket, key, options) => store.get(bucket, key, options),
    localFile: (bucket, key) => store.localFile?.(bucket, key),
    createWriter: (bucket, key, options) => {
      const writer = store.createWriter(bucket, key, options);
      if (key !== 'parquet/a/a.parquet') return writer;
      const complete = writer.complete.bind(writer);
      return Object.assign(writer, {
        complete: async () => {
          const info = await complete();
          writeFileSync(file, 'id\n22\n33\n');
          rewritten();
          return info;
        },
      });
    },
  });
  const invocations: Invocation[] = [];
  const result = await LocalRunner.run({
    input: { kind: 'dir', path: join(root, 'in') },
    output: { kind: 'dir', path: join(root, 'out') },
    wrapStore: wrap,
    invocations,
    retryIntervalMs: 1,
  });
  expect(result).toMatchObject({ status: 'SUCCEEDED', items: { total: 1, converted: 1, failed: 0 } });
  expect(invocations.filter((i) => i.key === 'a.csv').map((i) => [i.state, i.outcome])).toEqual(
    expect.arrayContaining([
      ['ConvertParquet', 'ok'],
      ['ConvertAvro', 'ok'],
      ['RetryConvertParquet', 'ok'],
      ['RetryConvertAvro', 'ok'],
    ]),
  );
  // Both outputs now hold the second version (a top-level a.csv is dataset a; ids are int64: DuckDB
  // renders BIGINT as text, avsc's longs are BigInt here).
  expect((await readParquetWithDuckDB(join(root, 'out/parquet/a/a.parquet'))).rows).toEqual([['22'], ['33']]);
  expect((await readAvro(join(root, 'out/avro/a/a.avro'))).rows).toEqual([{ id: 22n }, { id: 33n }]);
});
