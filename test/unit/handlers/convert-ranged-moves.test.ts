/*
 * The join's inline budget (issue 16's reconcile loop): a range whose speculative start was wrong (a cut
 * inside a quoted field whose lines look like rows) is converted again by the join itself while that
 * safely fits the function's remaining time, and handed back to the state machine (one range at a time,
 * round 1 with its exact start) when it does not. Either way the output equals the one-item conversion
 * (DuckDB, hyparquet).
 */
import '../lake/quiet';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConverterHandler } from '../../../lambdas/handlers/converter-handler';
import { FsObjectStore } from '../../../lambdas/io/fs-object-store';
import { readText } from '../../../lambdas/io/object-text';
import { cutEvenly } from '../../../lambdas/ranges/range-plan';
import type { ConvertResult, RunContext } from '../../../lambdas/shared/payloads';
import { itemRecordKey } from '../../../lambdas/shared/run-keys';
import { readParquetWithDuckDB, readParquetWithHyparquet } from '../../support/readers';
import { LANDING_LAYOUT, runContext } from '../../support/run-context';

/** A quoted field over most of the file whose lines have the header's width: every cut lands inside it. */
const csv = [
  'a,b,c',
  ...Array.from({ length: 200 }, (_, i) => `${i},head ${i},${i * 2}`),
  `200,"${Array.from({ length: 20_000 }, (_, i) => `${i},y,z`).join('\n')}",400`,
  ...Array.from({ length: 200 }, (_, i) => `${i + 201},tail ${i},${i * 3}`),
  '',
].join('\n');
const KEY = 'landing/sales/quoted.csv';
const COUNT = 4;

const runOf = (runId: string): RunContext =>
  runContext(runId, {
    inputBucket: 'landing',
    outputBucket: runId,
    outputPrefixes: { parquet: 'parquet/' },
    layout: LANDING_LAYOUT,
  });

async function rowsOf(path: string): Promise<unknown[]> {
  return [(await readParquetWithDuckDB(path)).rows, (await readParquetWithHyparquet(path)).rows];
}

test.each([
  ['time to spare: the join converts each misplaced range itself', undefined, []],
  [
    // Ranges 1 and 2 move past their ends (the quoted row ends in the tail): they own no row and cost nothing.
    'no time to spare: a misplaced range with bytes to convert is handed back, with its exact start',
    1,
    [[{ index: 3, exactStart: true }]],
  ],
])('%s', async (_label, remainingMs, handedBack) => {
  // prepare
  const root = mkdtempSync(join(tmpdir(), 'ranged-moves-'));
  const store = new FsObjectStore({
    landing: join(root, 'in'),
    whole: join(root, 'whole'),
    ranged: join(root, 'ranged'),
  });
  await store.put('landing', KEY, csv);
  const { etag, size } = (await store.head('landing', KEY))!;
  const handler = createConverterHandler('parquet', { store, env: {} });
  const context = remainingMs === undefined ? undefined : { getRemainingTimeInMillis: () => remainingMs };
  const [whole, ranged] = [runOf('whole'), runOf('ranged')];
  const item = { bucket: 'landing', key: KEY, etag, size };
  const record = async (r: RunContext) =>
    JSON.parse(await readText(store, r.runId, itemRecordKey(r.runId, 'parquet', KEY))) as ConvertResult;
  // act
  await handler({ ...item, run: whole });
  for (const r of cutEvenly(size, COUNT))
    await handler({ ...item, run: ranged, range: { ...r, count: COUNT } });
  const back: unknown[] = [];
  let joined: { status: string } | undefined;
  while (!joined && back.length < 6) {
    try {
      joined = (await handler({ ...item, count: COUNT, run: ranged } as never, context)) as {
        status: string;
      };
    } catch (error) {
      expect((error as Error).name).toBe('RangesToConvertError');
      const { rangesToConvert } = await record(ranged);
      back.push(
        rangesToConvert!.ranges.map((r) => ({ index: r.index, exactStart: r.exactStart, round: r.round })),
      );
      for (const range of rangesToConvert!.ranges)
        await handler({ ...item, run: ranged, current: true, range });
    }
  }
  // assert
  expect(joined?.status).toBe('converted');
  expect(back).toEqual(handedBack);
  const out = join(root, 'ranged', 'parquet', 'sales', 'quoted.parquet');
  const a = await record(ranged);
  expect(a.rows).toBe(401);
  expect(a.parts?.map((p) => p.round)).toEqual([1, 1, 1, 1]);
  // The ranges after the first own no row: the quoted field's row starts in range 0 and ends in the tail.
  expect(a.parts?.reduce((n, p) => n + p.rows, 0)).toBe(401);
  expect(await rowsOf(out)).toEqual(await rowsOf(join(root, 'whole', 'parquet', 'sales', 'quoted.parquet')));
});
