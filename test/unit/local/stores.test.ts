import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteObjects } from '../../../lambdas/io/object-store';
import { INPUT_BUCKET, storesFor } from '../../../lib/local/stores';
import { startS3Server, type S3Server } from '../../support/s3-server';

let server: S3Server;
let dir: string;

beforeAll(async () => {
  server = await startS3Server();
  await server.createBucket('lake');
  dir = mkdtempSync(join(tmpdir(), 'stores-'));
});

afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("a local run's store deletes many keys with the S3 store's DeleteObjects, and a folder's a file each", async () => {
  // prepare: the input a folder, the output a bucket on fauxqs
  const store = storesFor(
    { input: { kind: 'dir', path: dir }, output: { kind: 's3', bucket: 'lake', prefix: '' } },
    server.endpoint,
  );
  const keys = Array.from({ length: 5 }, (_, i) => `_runs/r/ranges/parquet/x/r1-${i}.json`);
  for (const key of keys) await store.put('lake', key, '{}');
  mkdirSync(join(dir, 'in'), { recursive: true });
  for (const name of ['a.csv', 'b.csv']) writeFileSync(join(dir, 'in', name), 'x\n1\n');

  // act
  await deleteObjects(store, 'lake', keys);
  await deleteObjects(store, INPUT_BUCKET, ['in/a.csv', 'in/b.csv']);

  // assert: the router forwards deleteMany (one DeleteObjects per 1,000 keys on S3), and both are gone
  expect(store.deleteMany).toBeDefined();
  expect((await store.list('lake', '_runs/')).objects).toEqual([]);
  expect(['a.csv', 'b.csv'].map((name) => existsSync(join(dir, 'in', name)))).toEqual([false, false]);
});
