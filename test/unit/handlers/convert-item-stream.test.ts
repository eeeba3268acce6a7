/*
 * The converter reads an S3 input as it streams, never from a local copy: one GET per pass, the second
 * pinned to the version the first read; a file replaced between the passes, or a body that breaks, fails
 * with an error the workflow retries and leaves nothing behind.
 */
import { statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { convertItem, itemRecordKey } from '../../../lambdas/handlers/convert-item';
import type { GetOptions, ObjectBody } from '../../../lambdas/io/object-store';
import { converterConfig } from '../../../lambdas/shared/config';
import { S3TransientError } from '../../../lambdas/shared/errors';
import type { ConvertItem } from '../../../lambdas/shared/payloads';
import { MemoryObjectStore } from '../../support/memory-store';
import { runContext } from '../../support/run-context';
import { query } from '../../support/readers';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const run = runContext('run-1', { inputBucket: 'in-bucket', outputBucket: 'out-bucket' });
const config = converterConfig({ CSV2LAKE_FORMAT: 'parquet' });

/** A store whose input bodies come in 64 KiB chunks (as S3's do), with each GET of the input recorded. */
class StreamingStore extends MemoryObjectStore {
  readonly reads: { key: string; ifMatch: string | undefined }[] = [];
  /** Runs before the n-th GET of an input (1-based) is answered. */
  beforeRead: (n: number) => Promise<void> = async () => undefined;
  /** Makes a body break after this many bytes. @default never */
  breakAfter: number | undefined;

  override async get(bucket: string, key: string, options: GetOptions = {}): Promise<ObjectBody> {
    if (bucket !== 'in-bucket') return super.get(bucket, key, options);
    this.reads.push({ key, ifMatch: options.ifMatch });
    await this.beforeRead(this.reads.length);
    const body = await super.get(bucket, key, options);
    const breakAfter = this.breakAfter;
    const chunks = async function* () {
      let sent = 0;
      for await (const whole of body)
        for (let at = 0; at < whole.length; at += 1 << 16) {
          if (breakAfter !== undefined && sent >= breakAfter)
            throw new S3TransientError(`GET s3://${bucket}/${key}: the body broke after ${sent} bytes`);
          const chunk = whole.subarray(at, at + (1 << 16));
          sent += chunk.length;
          yield chunk;
        }
    };
    return Object.assign(chunks(), body.etag ? { etag: body.etag } : {});
  }
}

/** 2 MB of integer amounts, then (when `late`) one that is not: past the first MiB the type was guessed from. */
function amounts(late: boolean, first = 0): string {
  const rows = ['id,amount'];
  for (let i = 0; i < 150_000; i++) rows.push(`${i},${first + i * 3}`);
  if (late) rows.push('150000,1.5');
  return `${rows.join('\n')}\n`;
}

async function listed(store: MemoryObjectStore, key: string, size?: number): Promise<ConvertItem> {
  const info = (await store.head('in-bucket', key))!;
  return { bucket: 'in-bucket', key, etag: info.etag, size: size ?? info.size, run };
}

/** Every object under the output bucket but the run's records. */
async function outputs(store: MemoryObjectStore): Promise<string[]> {
  return (await store.list('out-bucket', '')).objects
    .map((o) => o.key)
    .filter((k) => !k.startsWith('_runs/'));
}

test('a file larger than the free space of the temporary folder converts: nothing is copied to local disk', async () => {
  const store = new StreamingStore();
  const key = 'landing/2026/big.csv';
  await store.put('in-bucket', key, amounts(false));
  const free = statfsSync(tmpdir()).bavail * statfsSync(tmpdir()).bsize;
  // As listed: larger than the folder could hold (the version before refused it: "… MB free to spool it").
  const item = await listed(store, key, free + 1);
  expect(await convertItem({ store, config }, item)).toMatchObject({ status: 'converted', rows: 150_000 });
  // One pass, one GET, pinned to the version listed.
  expect(store.reads).toEqual([{ key, ifMatch: item.etag }]);
});

test('a late value that widens a column: the second pass GETs the version the first read, pinned with If-Match', async () => {
  const store = new StreamingStore();
  const key = 'landing/2026/late.csv';
  await store.put('in-bucket', key, amounts(false));
  const item = await listed(store, key);
  // Replaced after the listing: the first GET reads the current version, and the second pass reads that one.
  await store.put('in-bucket', key, amounts(true, 1));
  const current = (await store.head('in-bucket', key))!.etag;
  const result = await convertItem({ store, config }, item);
  expect(result).toMatchObject({ status: 'converted', rows: 150_001, sourceEtag: current });
  expect(result.columns).toEqual([
    { name: 'id', type: 'int64' },
    { name: 'amount', type: 'double' },
  ]);
  expect(store.reads).toEqual([
    { key, ifMatch: item.etag }, // the listed version: gone
    { key, ifMatch: undefined }, // so the current one
    { key, ifMatch: current }, // the second pass: that one again
  ]);
  expect(
    (await store.head('out-bucket', 'parquet/2026/late.parquet'))!.metadata!['csv2lake-source-etag'],
  ).toBe(current);
  const dir = mkdtempSync(join(tmpdir(), 'late-'));
  writeFileSync(join(dir, 'late.parquet'), store.objects.get('out-bucket/parquet/2026/late.parquet')!.body);
  expect(
    await query(
      `SELECT count(*)::INT AS n, sum(amount)::DOUBLE AS s, typeof(any_value(amount)) AS t FROM '${dir}/late.parquet'`,
    ),
  ).toEqual([{ n: 150_001, s: 150_000 + (3 * 149_999 * 150_000) / 2 + 1.5, t: 'DOUBLE' }]);
});

test('a file replaced between the two passes fails with InputChangedError (retried); nothing is written', async () => {
  const store = new StreamingStore();
  const key = 'landing/2026/late.csv';
  await store.put('in-bucket', key, amounts(true));
  const item = await listed(store, key);
  store.beforeRead = async (n) => {
    if (n === 2) await store.put('in-bucket', key, amounts(true, 7));
  };
  const error = await convertItem({ store, config }, item).catch((e: Error) => e);
  expect(error).toMatchObject({
    name: 'InputChangedError',
    message: `s3://in-bucket/${key} changed between the conversion's two passes (version ${item.etag} when first read): nothing was written; a later attempt converts the current version`,
  });
  expect(store.reads).toEqual([
    { key, ifMatch: item.etag },
    { key, ifMatch: item.etag },
  ]);
  expect(await outputs(store)).toEqual([]);
  expect(JSON.parse(store.text('out-bucket', itemRecordKey('run-1', 'parquet', key))!)).toMatchObject({
    status: 'failed',
    error: { type: 'InputChangedError' },
  });
});

test.each([
  ['plain', 'landing/2026/broken.csv', (text: string) => Buffer.from(text)],
  // The core decompresses through Readable.pipe: an error thrown inside it hung or ended the process.
  ['gzip', 'landing/2026/broken.csv.gz', (text: string) => gzipSync(text)],
])(
  'a %s body that breaks mid-stream fails with S3TransientError (retried); nothing is written',
  async (_kind, key, encode) => {
    const store = new StreamingStore();
    await store.put('in-bucket', key, encode(amounts(false)));
    store.breakAfter = 3 << 16;
    await expect(convertItem({ store, config }, await listed(store, key))).rejects.toMatchObject({
      name: 'S3TransientError',
      message: `GET s3://in-bucket/${key}: the body broke after ${3 << 16} bytes`,
    });
    expect(await outputs(store)).toEqual([]);
  },
);
