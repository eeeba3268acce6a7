/*
 * Two children of one run widening one dataset at once lose neither change: 16 concurrent widenings, each
 * of a different column (8 widened, 8 added), against S3 (fauxqs behind the conditional proxy), the folder
 * store and the memory store. Every change is in the final schema, once, and the version counts them.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TableColumn } from '../../../lambdas/core/model/schema';
import { FsObjectStore } from '../../../lambdas/io/fs-object-store';
import type { ObjectStore } from '../../../lambdas/io/object-store';
import { S3ObjectStore } from '../../../lambdas/io/s3-object-store';
import { readDatasetSchema, widenDatasetSchema } from '../../../lambdas/lake/dataset-schema';
import { type ConditionalS3Proxy, startConditionalS3Proxy } from '../../support/conditional-s3-proxy';
import { MemoryObjectStore } from '../../support/memory-store';
import { type S3Server, startS3Server } from '../../support/s3-server';

const BUCKET = 'lake-out';
const WIDENED = 8;
const ADDED = 8;

let server: S3Server;
let proxy: ConditionalS3Proxy;
let dir: string;

beforeAll(async () => {
  server = await startS3Server();
  await server.createBucket(BUCKET);
  proxy = await startConditionalS3Proxy(server.endpoint);
  dir = mkdtempSync(join(tmpdir(), 'schema-concurrency-'));
});
afterAll(async () => {
  await proxy.stop();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const s3 = () =>
  new S3ObjectStore(
    new S3Client({
      endpoint: proxy.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    }),
  );

const col = (name: string, type: TableColumn['type']): TableColumn => ({ name, type });
const widening = (i: number, columns: TableColumn[]) => ({
  columns,
  partitions: ['dt'],
  runId: 'run-1',
  key: `incoming/orders/dt=2026-11-24/part-${i}.csv`,
  at: new Date(0).toISOString(),
});

describe.each([
  ['S3 (fauxqs)', s3],
  ['folder', () => new FsObjectStore({ [BUCKET]: join(dir, 'lake') })],
  ['memory', () => new MemoryObjectStore()],
] as [string, () => ObjectStore][])('16 concurrent widenings of one dataset: %s', (_name, makeStore) => {
  it('lose no change: every column widened or added, version 1 + 16, one history entry each', async () => {
    const store = makeStore();
    const base = [...Array(WIDENED).keys()].map((i) => col(`c${i}`, 'int32'));
    await widenDatasetSchema(store, BUCKET, 'orders', widening(-1, base));

    // Each call widens one column (c<i> int32 → int64) or adds one (n<i>); each file also holds a column
    // it does not change, so every merge meets columns another call changes.
    const results = await Promise.all([
      ...[...Array(WIDENED).keys()].map((i) =>
        widenDatasetSchema(
          store,
          BUCKET,
          'orders',
          widening(i, [col(`c${(i + 1) % WIDENED}`, 'int32'), col(`c${i}`, 'int64')]),
        ),
      ),
      ...[...Array(ADDED).keys()].map((i) =>
        widenDatasetSchema(
          store,
          BUCKET,
          'orders',
          widening(WIDENED + i, [col('c1', 'int32'), col(`n${i}`, 'date')]),
        ),
      ),
    ]);
    const final = (await readDatasetSchema(store, BUCKET, 'orders'))!.schema;

    expect(final.version).toBe(1 + WIDENED + ADDED);
    expect(final.columns.slice(0, WIDENED)).toEqual(base.map((c) => col(c.name, 'int64')));
    expect(final.columns.slice(WIDENED).map((c) => c.type)).toEqual(Array(ADDED).fill('date'));
    expect(new Set(final.columns.slice(WIDENED).map((c) => c.name))).toEqual(
      new Set([...Array(ADDED).keys()].map((i) => `n${i}`)),
    );
    expect(final.history.map((h) => h.version)).toEqual(
      [...Array(1 + WIDENED + ADDED).keys()].map((v) => v + 1),
    );
    // Each call reports its own change, and the history holds each once, with the file that needed it.
    const reported = results.flatMap((r) => r.changes.map((c) => c.column)).sort();
    const recorded = final.history
      .slice(1)
      .flatMap((h) => h.changes.map((c) => c.column))
      .sort();
    expect(reported).toEqual(recorded);
    expect(recorded).toHaveLength(WIDENED + ADDED);
    expect(new Set(final.history.slice(1).map((h) => h.key)).size).toBe(WIDENED + ADDED);
  }, 60_000);
});
