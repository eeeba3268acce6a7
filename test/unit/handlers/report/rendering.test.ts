/*
 * What writeRunReport writes of a run with a file converted in byte ranges: report.json's file carries its
 * parts, report.md shows the file once with its parts under it, and the run's files are iterated once.
 */
import { writeRunReport } from '../../../../lambdas/handlers/report/rendering';
import type { ItemAccount } from '../../../../lambdas/handlers/report/accounting';
import { asyncReportList } from '../../../../lambdas/handlers/report/report-types';
import { MemoryObjectStore } from '../../../support/memory-store';
import { runContext } from '../../../support/run-context';
import { runReport, splitFile } from './report-fixture';

const run = runContext('run-20261207-abc123', { inputPrefix: '', outputPrefixes: { parquet: 'parquet/' } });

test("report.json's files carry a split file's parts and report.md shows them, the files iterated once", async () => {
  const store = new MemoryObjectStore();
  const big = splitFile('logs/big.csv', 2, (p) => (p.index === 1 ? { rejectedRows: 1 } : {}));
  const plain: ItemAccount = { ...splitFile('small.csv', 1), parts: undefined };
  let iterations = 0;
  const files = asyncReportList(2, async function* () {
    iterations++;
    yield big;
    yield plain;
  });

  await writeRunReport(store, run, runReport({ files, rejectedRows: 1 }));

  const json = JSON.parse(
    store.objects.get('out/_runs/run-20261207-abc123/report.json')!.body.toString(),
  ) as {
    files: ItemAccount[];
  };
  expect(json.files.map((f) => f.key)).toEqual(['logs/big.csv', 'small.csv']);
  expect(json.files[0]!.parts).toEqual([
    { index: 0, rows: 1000, rejectedRows: 0, bytesIn: 2 ** 30, durationMs: 20_000, round: 1 },
    { index: 1, rows: 1001, rejectedRows: 1, bytesIn: 2 ** 30, durationMs: 20_100, round: 1 },
  ]);
  expect(json.files[1]).not.toHaveProperty('parts');
  const md = store.objects.get('out/_runs/run-20261207-abc123/report.md')!.body.toString();
  expect(md).toContain(
    [
      '### `logs/big.csv`: 2 ranges, 2,001 rows, 1 rejected, 2.15 GB; slowest range 20 s, all ranges 40 s',
      '',
      '| range | bytes | rows | rejected rows | time |',
      '|---|---|---|---|---|',
      '| 0 | 1.07 GB | 1,000 | 0 | 20 s |',
      '| 1 | 1.07 GB | 1,001 | 1 | 20 s |',
    ].join('\n'),
  );
  expect(md).not.toContain('small.csv');
  expect(iterations).toBe(1);
});
