/*
 * The converter handler on a split key (issue 16): range items convert their ranges into parts under the
 * run's folder, the join item makes the key's ONE output per format. On a folder store and on fauxqs
 * (multipart join), the outputs equal the one-item conversion value for value in row order (DuckDB,
 * hyparquet, avsc), the rejects file is the same bytes (true line numbers), the item record is the file's,
 * and the parts folder is gone. A range whose item never ran is converted by the join.
 */
import '../lake/quiet';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { OutputFormat } from '../../../lambdas/core/model/options';
import { createConverterHandler } from '../../../lambdas/handlers/converter-handler';
import { FsObjectStore } from '../../../lambdas/io/fs-object-store';
import type { ObjectStore } from '../../../lambdas/io/object-store';
import { S3ObjectStore } from '../../../lambdas/io/s3-object-store';
import { cutEvenly } from '../../../lambdas/ranges/range-plan';
import type { ConvertResult, RunContext } from '../../../lambdas/shared/payloads';
import { itemRecordKey, rangePartsPrefix } from '../../../lambdas/shared/run-keys';
import { readAvro, readParquetWithDuckDB, readParquetWithHyparquet } from '../../support/readers';
import { startS3Server, type S3Server } from '../../support/s3-server';
import { awkwardCsv } from '../ranges/csv-samples';

/** ~2 MB: quoted line breaks, CRLF, multi-byte text; ragged rows (rejects) in several ranges, `n` widened late. */
const csv = awkwardCsv(20_000, (i) =>
  i % 4_001 === 13 ? `${i},ragged` : i === 19_000 ? `${i},late,12.5,x,2024-01-01` : undefined,
);
const KEY = 'landing/sales/big.csv';
const COUNT = 6;

const runOf = (runId: string, outputBucket: string): RunContext => ({
  runId,
  inputBucket: 'landing',
  inputPrefix: 'landing/',
  outputBucket,
  outputPrefixes: { parquet: 'parquet/', avro: 'avro/' },
  layout: { root: 'landing/', pattern: '{dataset}/**/{file}' },
});

let server: S3Server;
let s3: S3Client;
beforeAll(async () => {
  server = await startS3Server({ storageDir: mkdtempSync(join(tmpdir(), 'ranged-fauxqs-')) });
  s3 = server.client();
  for (const b of ['landing', 'whole', 'ranged']) await server.createBucket(b);
}, 30_000);
afterAll(() => server.stop());

async function bytesOf(store: ObjectStore, bucket: string, key: string): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const c of await store.get(bucket, key)) chunks.push(c);
  return Buffer.concat(chunks);
}

async function rowsOf(format: OutputFormat, bytes: Buffer): Promise<unknown[]> {
  const path = join(mkdtempSync(join(tmpdir(), 'ranged-out-')), `o.${format}`);
  writeFileSync(path, bytes);
  if (format === 'avro') {
    const { schema, rows } = await readAvro(path);
    return [schema, rows];
  }
  return [(await readParquetWithDuckDB(path)).rows, (await readParquetWithHyparquet(path)).rows];
}

describe.each(['folder', 'fauxqs'] as const)('on a %s store', (kind) => {
  test.each<OutputFormat>(['parquet', 'avro'])(
    '%s: range items then the join equal the one-item conversion; a range that never ran is converted by the join',
    async (format) => {
      // prepare
      const root = mkdtempSync(join(tmpdir(), 'ranged-'));
      const store: ObjectStore =
        kind === 'folder'
          ? new FsObjectStore({
              landing: join(root, 'in'),
              whole: join(root, 'whole'),
              ranged: join(root, 'ranged'),
            })
          : new S3ObjectStore(s3);
      await store.put('landing', KEY, csv);
      const { etag, size } = (await store.head('landing', KEY))!;
      const handler = createConverterHandler(format, { store, env: {}, s3: () => s3 });
      const whole = runOf(`whole-${format}`, 'whole');
      const ranged = runOf(`ranged-${format}`, 'ranged');
      const item = { bucket: 'landing', key: KEY, etag, size };
      // The range that never ran: its child failed, or is still to be redriven.
      const skipped = kind === 'fauxqs' ? 3 : -1;
      // act
      await handler({ ...item, run: whole });
      const parts = await Promise.all(
        cutEvenly(size, COUNT)
          .filter((r) => r.index !== skipped)
          .map((r) => handler({ ...item, run: ranged, range: { ...r, count: COUNT } })),
      );
      const joined = (await handler({ ...item, count: COUNT, run: ranged } as never)) as { status: string };
      // assert
      expect(parts.every((p) => p.status === 'part')).toBe(true);
      // The ranges were converted as parts (not the key whole by a fallback): their rows add up to the file's.
      const partRows = parts.reduce((n, p) => n + (p.rows ?? 0), 0);
      expect(partRows).toBeGreaterThan(0);
      expect(joined.status).toBe('converted');
      const out = `${format}/sales/big.${format}`;
      expect(await rowsOf(format, await bytesOf(store, 'ranged', out))).toEqual(
        await rowsOf(format, await bytesOf(store, 'whole', out)),
      );
      const record = (r: RunContext, bucket: string) =>
        bytesOf(store, bucket, itemRecordKey(r.runId, format, KEY)).then(
          (b) => JSON.parse(b.toString('utf8')) as ConvertResult,
        );
      const [a, b] = [await record(ranged, 'ranged'), await record(whole, 'whole')];
      expect(a).toMatchObject({ status: 'converted', rows: b.rows, rejectedRows: b.rejectedRows });
      expect(a.columns).toEqual(b.columns);
      expect(a.rejectedRows).toBe(5);
      if (skipped < 0) expect(partRows).toBe(a.rows);
      if (format === 'parquet') {
        // The rejects file (the Parquet converter's): the same rows with the same true line numbers.
        const rejects = 'parquet/_rejects/sales/big.rejects.csv';
        const rk = a.rejectsKey ?? rejects;
        expect((await bytesOf(store, 'ranged', rk)).toString('utf8')).toBe(
          (await bytesOf(store, 'whole', b.rejectsKey ?? rejects)).toString('utf8'),
        );
      }
      expect((await store.list('ranged', rangePartsPrefix(ranged.runId, format, KEY))).objects).toEqual([]);
      if (kind === 'fauxqs') expect(server.openMultipartUploads()).toEqual([]);
    },
    300_000,
  );
});
