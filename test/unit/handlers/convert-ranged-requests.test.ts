/*
 * The S3 requests of a split key's join (issue 16), counted on the client over fauxqs: K range items, then
 * the join, in both formats. The join reads each range's record with ONE GET (the listing already named
 * it; no HEAD before it), reads no verdict (round 1: the listing shows none, so nothing asks S3 for a
 * missing key, which S3 may answer 403 rather than 404), and deletes its parts folder with one
 * DeleteObjects per listed page instead of a DeleteObject per object. A key that DeleteObjects does not
 * delete (its per-key error in a 200 answer) is treated as a failed DeleteObject was: logged, the join
 * recorded converted.
 */
import '../lake/quiet';
import type { S3Client } from '@aws-sdk/client-s3';
import type { OutputFormat } from '../../../lambdas/core/model/options';
import { createConverterHandler } from '../../../lambdas/handlers/converter-handler';
import { readText } from '../../../lambdas/io/object-text';
import { S3ObjectStore } from '../../../lambdas/io/s3-object-store';
import { cutEvenly } from '../../../lambdas/ranges/range-plan';
import { logger } from '../../../lambdas/shared/observability';
import type { ConvertResult } from '../../../lambdas/shared/payloads';
import { itemRecordKey, rangePartsPrefix } from '../../../lambdas/shared/run-keys';
import { startS3Server, type S3Server } from '../../support/s3-server';
import { awkwardCsv } from '../ranges/csv-samples';
import { LANDING_LAYOUT, runContext } from '../../support/run-context';

const KEY = 'landing/sales/big.csv';
const K = 5;

let server: S3Server;
let s3: S3Client;
/** Every request the client makes while `counting`: its command and the keys it names. */
const sent: { command: string; keys: string[] }[] = [];
let counting = false;
/** A key every DeleteObjects answers AccessDenied for (in its 200 answer, as S3 does), not deleting it. */
let refused: string | undefined;
beforeAll(async () => {
  server = await startS3Server();
  s3 = server.client();
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Key?: string; Delete?: { Objects?: { Key?: string }[] } };
      if (counting)
        sent.push({
          command: context.commandName!.replace(/Command$/, ''),
          keys: input.Delete?.Objects?.map((o) => o.Key ?? '') ?? [input.Key ?? ''],
        });
      const objects = input.Delete?.Objects;
      if (!refused || !objects?.some((o) => o.Key === refused)) return next(args);
      input.Delete!.Objects = objects.filter((o) => o.Key !== refused);
      const answer = await next(args);
      const output = answer.output as { Errors?: unknown[] };
      output.Errors = [
        ...(output.Errors ?? []),
        { Key: refused, Code: 'AccessDenied', Message: 'Access Denied' },
      ];
      return answer;
    },
    // Before the retry middleware: one count per request the code makes, whatever the SDK retries.
    { step: 'initialize', name: 'countRequests' },
  );
  for (const b of ['landing', 'out']) await server.createBucket(b);
}, 30_000);
afterAll(() => server.stop());

/** A split key's K range items in `format`, converted; then its join (a key whose output is not there yet). */
async function rangesOf(format: OutputFormat, runId: string, key = KEY) {
  const store = new S3ObjectStore(s3);
  await store.put('landing', key, awkwardCsv(12_000));
  const { etag, size } = (await store.head('landing', key))!;
  const run = runContext(runId, {
    inputBucket: 'landing',
    outputPrefixes: { [format]: `${format}/` },
    layout: LANDING_LAYOUT,
  });
  const handler = createConverterHandler(format, { store, env: {}, s3: () => s3 });
  const item = { bucket: 'landing', key: key, etag, size, run };
  for (const r of cutEvenly(size, K)) await handler({ ...item, range: { ...r, count: K } });
  const folder = rangePartsPrefix(run.runId, format, key);
  const listFolder = async () => (await store.list('out', folder)).objects.map((o) => o.key).sort();
  return {
    store,
    folder,
    listFolder,
    join: async () => (await handler({ ...item, count: K } as never)) as { status: string },
    record: async () =>
      JSON.parse(await readText(store, 'out', itemRecordKey(run.runId, format, key))) as ConvertResult,
  };
}

test.each<OutputFormat>(['parquet', 'avro'])(
  '%s: the join GETs each range record once (no HEAD) and deletes its parts folder in one DeleteObjects',
  async (format) => {
    // prepare
    const { folder, listFolder, join } = await rangesOf(format, `night-${format}`);
    const inFolder = await listFolder();
    sent.length = 0;

    // act
    counting = true;
    const joined = await join();
    counting = false;

    // assert
    const folderRequests = (command: string) =>
      sent.filter((s) => s.command === command && s.keys.some((k) => k.startsWith(folder)));
    const jsonGets = folderRequests('GetObject').flatMap((s) => s.keys.filter((k) => k.endsWith('.json')));
    expect(joined.status).toBe('converted');
    // K records and K parts (no verdict: round 1 was right).
    expect(inFolder).toHaveLength(2 * K);
    expect(folderRequests('HeadObject')).toEqual([]);
    expect(jsonGets.sort()).toEqual(Array.from({ length: K }, (_, i) => `${folder}r1-${i}.json`).sort());
    expect(folderRequests('DeleteObject')).toEqual([]);
    const batches = folderRequests('DeleteObjects');
    expect(batches).toHaveLength(1);
    expect(batches[0]!.keys.sort()).toEqual(inFolder);
    expect(await listFolder()).toEqual([]);
  },
  120_000,
);

test('a part that DeleteObjects does not delete (AccessDenied) is logged; the join is converted, as with a DeleteObject', async () => {
  // prepare
  const { folder, listFolder, join, record } = await rangesOf(
    'parquet',
    'night-refused',
    'landing/refused/big.csv',
  );
  refused = `${folder}r1-2.json`;
  const info = jest.spyOn(logger, 'info');

  // act
  const joined = await join().finally(() => (refused = undefined));

  // assert
  expect(joined.status).toBe('converted');
  expect(await record()).toMatchObject({ status: 'converted' });
  expect(await listFolder()).toEqual([`${folder}r1-2.json`]);
  const logged = info.mock.calls.filter(([message]) => message === 'range parts not deleted');
  expect(logged).toHaveLength(1);
  expect(String((logged[0]![1] as { error: unknown }).error)).toContain('AccessDenied');
  info.mockRestore();
}, 120_000);
