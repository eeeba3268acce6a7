/*
 * The converter handler on a split key (issue 16): range items convert their ranges into parts under the
 * run's folder, the join item makes the key's ONE output per format. On a folder store and on fauxqs
 * (multipart join), the outputs equal the one-item conversion value for value in row order (DuckDB,
 * hyparquet, avsc), the rejects file is the same bytes (true line numbers), the item record is the file's,
 * and the parts folder is gone. The join converts a misplaced start itself; it hands back to the state
 * machine (RangesToConvertError, the ranges in its record) a range whose item never ran and round 2 (a
 * value widened a column in a late range): the test plays the reconcile loop the workflow runs (the
 * reducer's range items with `current`, then the join again).
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
import { LANDING_LAYOUT, runContext } from '../../support/run-context';

/**
 * ~1.7 MB: quoted line breaks, CRLF, multi-byte text; ragged rows (rejects) in several ranges, `n` widened
 * in the last range, past the head's 1 MiB sample.
 */
const csv = awkwardCsv(30_000, (i) =>
  i % 6_001 === 13 ? `${i},ragged` : i === 29_500 ? `${i},late,12.5,x,2024-01-01` : undefined,
);
const KEY = 'landing/sales/big.csv';
const COUNT = 6;

const runOf = (runId: string, outputBucket: string): RunContext =>
  runContext(runId, { inputBucket: 'landing', outputBucket, layout: LANDING_LAYOUT });

let server: S3Server;
let s3: S3Client;
beforeAll(async () => {
  server = await startS3Server({ storageDir: mkdtempSync(join(tmpdir(), 'ranged-fauxqs-')) });
  s3 = server.client();
  // A bucket pair per format: the dataset schema one format's run widened must not be the other's floor.
  for (const b of ['landing', 'whole-parquet', 'ranged-parquet', 'whole-avro', 'ranged-avro'])
    await server.createBucket(b);
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
    '%s: range items, then the join through the reconcile loop, equal the one-item conversion; a range that never ran goes round it',
    async (format) => {
      // prepare
      const root = mkdtempSync(join(tmpdir(), 'ranged-'));
      const store: ObjectStore =
        kind === 'folder'
          ? new FsObjectStore({
              landing: join(root, 'in'),
              [`whole-${format}`]: join(root, 'whole'),
              [`ranged-${format}`]: join(root, 'ranged'),
            })
          : new S3ObjectStore(s3);
      await store.put('landing', KEY, csv);
      const { etag, size } = (await store.head('landing', KEY))!;
      const handler = createConverterHandler(format, { store, env: {}, s3: () => s3 });
      const [wb, rb] = [`whole-${format}`, `ranged-${format}`];
      const whole = runOf(wb, wb);
      const ranged = runOf(rb, rb);
      const item = { bucket: 'landing', key: KEY, etag, size };
      // The range that never ran: its child failed, or is still to be redriven.
      const skipped = kind === 'fauxqs' ? 3 : -1;
      const record = (r: RunContext, bucket: string) =>
        bytesOf(store, bucket, itemRecordKey(r.runId, format, KEY)).then(
          (b) => JSON.parse(b.toString('utf8')) as ConvertResult,
        );
      // act
      await handler({ ...item, run: whole });
      const parts = await Promise.all(
        cutEvenly(size, COUNT)
          .filter((r) => r.index !== skipped)
          .map((r) => handler({ ...item, run: ranged, range: { ...r, count: COUNT } })),
      );
      // The loop: the join, and while it hands ranges back, those range items (as the reducer lists them).
      const handedBack: { round: number; ranges: number[]; message: string }[] = [];
      let joined: { status: string } | undefined;
      while (!joined && handedBack.length < 5) {
        try {
          joined = (await handler({ ...item, count: COUNT, run: ranged } as never)) as { status: string };
        } catch (error) {
          expect((error as Error).name).toBe('RangesToConvertError');
          const { rangesToConvert, error: e } = await record(ranged, rb);
          handedBack.push({
            round: rangesToConvert!.round,
            ranges: rangesToConvert!.ranges.map((r) => r.index),
            message: e!.message,
          });
          for (const range of rangesToConvert!.ranges)
            await handler({ ...item, run: ranged, current: true, range });
        }
      }
      // assert
      const all = [0, 1, 2, 3, 4, 5];
      expect(handedBack.map((h) => [h.round, h.ranges])).toEqual([
        ...(skipped >= 0 ? [[1, [skipped]]] : []),
        [2, all],
      ]);
      expect(handedBack.at(-1)!.message).toContain(
        'round 2: 6 of 6 ranges convert again: column n widened int64 → double',
      );
      expect(parts.every((p) => p.status === 'part')).toBe(true);
      // The ranges were converted as parts (not the key whole by a fallback): their rows add up to the file's.
      const partRows = parts.reduce((n, p) => n + (p.rows ?? 0), 0);
      expect(partRows).toBeGreaterThan(0);
      expect(joined?.status).toBe('converted');
      const out = `${format}/sales/big.${format}`;
      expect(await rowsOf(format, await bytesOf(store, rb, out))).toEqual(
        await rowsOf(format, await bytesOf(store, wb, out)),
      );
      const [a, b] = [await record(ranged, rb), await record(whole, wb)];
      expect(a).toMatchObject({ status: 'converted', rows: b.rows, rejectedRows: b.rejectedRows });
      expect(a.columns).toEqual(b.columns);
      expect(a.rejectedRows).toBe(5);
      if (skipped < 0) expect(partRows).toBe(a.rows);
      // The join's record lists its parts: every one of round 2, their rows the file's.
      expect(a.parts?.map((p) => [p.index, p.round])).toEqual(all.map((i) => [i, 2]));
      expect(a.parts?.reduce((n, p) => n + p.rows, 0)).toBe(a.rows);
      expect(a.parts?.every((p) => p.durationMs >= 0 && p.bytesIn > 0)).toBe(true);
      if (format === 'parquet') {
        // The rejects file (the Parquet converter's): the same rows with the same true line numbers.
        const rejects = 'parquet/_rejects/sales/big.rejects.csv';
        const rk = a.rejectsKey ?? rejects;
        expect((await bytesOf(store, rb, rk)).toString('utf8')).toBe(
          (await bytesOf(store, wb, b.rejectsKey ?? rejects)).toString('utf8'),
        );
      }
      expect((await store.list(rb, rangePartsPrefix(ranged.runId, format, KEY))).objects).toEqual([]);
      if (kind === 'fauxqs') expect(server.openMultipartUploads()).toEqual([]);
    },
    300_000,
  );
});
