/*
 * report.md written for the run it describes: a local run names its folder (or endpoint) and its exact
 * redrive command, a run on AWS its bucket and execution; sizes and durations in human units; nothing about
 * rejects when there are none; column types per dataset, bounded.
 */
import type { ItemAccount } from '../../../../lambdas/handlers/report/accounting';
import { FileSchemas } from '../../../../lambdas/handlers/report/file-schemas';
import { renderReport, SplitFiles } from '../../../../lambdas/handlers/report/markdown';
import { runReport as report, splitFile } from './report-fixture';

const LOCAL_COMMAND = "csv2lake redrive run-20261207-abc123 --output '/home/ada/my lake'";

test('a folder run names its folder and the exact csv2lake redrive command, not s3://csv2lake-input/', () => {
  const md = renderReport(
    report({
      origin: { input: '/home/ada/exports', redrive: { kind: 'local', command: LOCAL_COMMAND } },
    }),
  );
  expect(md).toContain('Input: `/home/ada/exports` — generated 2026-12-07T11:00:00.000Z');
  expect(md).not.toContain('csv2lake-input');
  expect(md).toContain(`\`\`\`sh\n${LOCAL_COMMAND}\n\`\`\``);
  expect(md).not.toMatch(/Step Functions|stepfunctions/);
  expect(md).toContain('On AWS, this run would cost about $0.0010');
});

test('a run on a local S3 endpoint names the bucket, prefix and endpoint', () => {
  const md = renderReport(
    report({
      origin: {
        input: 's3://landing/exports/',
        endpoint: 'http://127.0.0.1:4566',
        redrive: { kind: 'local', command: 'csv2lake redrive r --output s3://lake/ --endpoint-url http://127.0.0.1:4566' },
      },
    }),
  );
  expect(md).toContain('Input: `s3://landing/exports/` at `http://127.0.0.1:4566` —');
  expect(md).toContain('csv2lake redrive r --output s3://lake/ --endpoint-url http://127.0.0.1:4566\n');
});

test('a run on AWS names its bucket and prefix and the execution to redrive, from the console or the AWS CLI', () => {
  const arn = 'arn:aws:states:eu-west-1:123456789012:execution:Csv2Lake:run-20261207-abc123';
  const aws = renderReport(
    report({
      input: { bucket: 'acme-landing', prefix: 'exports/' },
      origin: { input: 's3://acme-landing/exports/', redrive: { kind: 'aws', executionArn: arn } },
    }),
  );
  expect(aws).toContain('Input: `s3://acme-landing/exports/` — generated');
  expect(aws).toContain('choose **Redrive**');
  expect(aws).toContain(`aws stepfunctions redrive-execution --execution-arn ${arn}\n`);
  expect(aws).not.toContain('csv2lake redrive');
  expect(aws).toContain('Estimated AWS cost: $0.0010');
  // A report with no origin (written by an older reducer's caller) is a run on AWS, its ARN to be looked up.
  const bare = renderReport(report({ input: { bucket: 'acme-landing', prefix: 'exports/' } }));
  expect(bare).toContain('Input: `s3://acme-landing/exports/`');
  expect(bare).toContain("--execution-arn '<the ARN of execution run-20261207-abc123>'");
});

test('sizes and durations print in human units', () => {
  const md = renderReport(report());
  expect(md).toContain('| 2.05 KB | parquet 1.54 KB, avro 1.25 MB | 4.2 s |');
  expect(md).not.toContain('0.0 MB');
});

test('nothing about rejects is printed when there are none; a run with rejects gets the column and the list', () => {
  expect(renderReport(report())).not.toMatch(/reject/i);
  const rejected: ItemAccount = {
    key: 'crm/contacts.csv',
    status: 'converted',
    rows: 3,
    rejectedRows: 2,
    bytesIn: 100,
    bytesOut: {},
    durationMs: 10,
    errors: [],
  };
  const md = renderReport(report({ rejectedRows: 2, rejectedFiles: [rejected] }));
  expect(md).toContain('| rows | rejected rows | in |');
  expect(md).toContain('| 42 | 2 | 2.05 KB |');
  expect(md).toContain('## Files with rejected rows\n\n- `crm/contacts.csv`: 2 rows');
});

test('column types: per dataset, the type most files give each column; the files that differ named, the rest counted', () => {
  const schemas = new FileSchemas();
  const files: [number, string][] = [];
  const main = [
    { name: 'id', type: 'int64' },
    { name: 'amount', type: 'double' },
    { name: 'note', type: 'string' },
  ];
  for (let i = 0; i < 1000; i++) {
    const key = `orders/${String(i).padStart(4, '0')}.csv`;
    // Five files read amount as text, and have no note.
    const odd = i % 200 === 7;
    schemas.set(i, odd ? [main[0]!, { name: 'amount', type: 'string' }] : main);
    files.push([i, key]);
  }
  schemas.set(1000, [{ name: 'x', type: 'int32' }]);
  files.push([1000, 'sensors/readings.csv']);
  const columnTypes = schemas.columnTypes(files, (key) => key.slice(0, key.indexOf('/')));

  const md = renderReport(report({ columnTypes }));

  expect(md).toContain(
    [
      '### `orders`: 1,000 files, 3 columns',
      '',
      '| column | type | files that differ |',
      '|---|---|---|',
      '| id | int64 |  |',
      '| amount | double | string in 5 files (`orders/0007.csv`, `orders/0207.csv`, `orders/0407.csv`, … 2 more) |',
      '| note | string | missing in 5 files (`orders/0007.csv`, `orders/0207.csv`, `orders/0407.csv`, … 2 more) |',
    ].join('\n'),
  );
  expect(md).toContain('### `sensors`: 1 file, 1 column\n\n| column | type |\n|---|---|\n| x | int32 |\n');
});

test('column types stay readable for wide files and many datasets: capped, with a count of the rest', () => {
  const schemas = new FileSchemas();
  const wide = Array.from({ length: 150 }, (_, i) => ({ name: `c${i}`, type: 'int32' }));
  const files: [number, string][] = [];
  for (let i = 0; i < 60; i++) {
    schemas.set(i, wide);
    files.push([i, `d${String(i).padStart(2, '0')}/f.csv`]);
  }
  const md = renderReport(
    report({ columnTypes: schemas.columnTypes(files, (key) => key.slice(0, key.indexOf('/'))) }),
  );
  expect(md.match(/^### /gm)).toHaveLength(50);
  expect(md).toContain('| c99 | int32 |\n\n… and 50 more columns in report.json.');
  expect(md).not.toContain('| c100 |');
  expect(md).toContain('… and 10 more datasets in report.json.');
});

/** The SplitFiles of `files`, as writeRunReport gathers them while report.json streams. */
function splitOf(...files: ItemAccount[]): SplitFiles {
  const split = new SplitFiles();
  for (const f of files) split.add(f);
  return split;
}

test('a file converted in byte ranges is shown once, its ranges under it: bytes, rows, time', () => {
  const big = splitFile('logs/big.csv', 3);

  const md = renderReport(report(), splitOf(big));

  expect(md).toContain(
    [
      '## Files converted in byte ranges',
      '',
      'Each file below was cut at row boundaries into byte ranges converted at once, then joined into one output',
    ].join('\n'),
  );
  expect(md).toContain(
    [
      '### `logs/big.csv`: 3 ranges, 3,003 rows, 3.22 GB; slowest range 20 s, all ranges 1 min 00 s',
      '',
      '| range | bytes | rows | time |',
      '|---|---|---|---|',
      '| 0 | 1.07 GB | 1,000 | 20 s |',
      '| 1 | 1.07 GB | 1,001 | 20 s |',
      '| 2 | 1.07 GB | 1,002 | 20 s |',
      '',
    ].join('\n'),
  );
  expect(md.split('logs/big.csv')).toHaveLength(2);
  expect(md).not.toMatch(/reject|round/i);
});

test("a split file's rejects and its round 2 get their columns, and one line says why round 2 ran", () => {
  const big = splitFile('logs/big.csv', 3, (p) =>
    p.index === 1 ? { rejectedRows: 4 } : p.index === 2 ? { round: 2, durationMs: 95_000 } : {},
  );

  const md = renderReport(report({ rejectedRows: 4 }), splitOf(big));

  expect(md).toContain('### `logs/big.csv`: 3 ranges, 3,003 rows, 4 rejected, 3.22 GB; slowest range 1 min 35 s');
  expect(md).toContain(
    [
      'Round 2 ran: a value in a later range widened a column past the type guessed from the head of the file,',
      'so 1 range was converted again with the file’s final types (all its parts must hold one schema).',
      '',
      '| range | bytes | rows | rejected rows | time | round |',
      '|---|---|---|---|---|---|',
      '| 0 | 1.07 GB | 1,000 | 0 | 20 s | 1 |',
      '| 1 | 1.07 GB | 1,001 | 4 | 20 s | 1 |',
      '| 2 | 1.07 GB | 1,002 | 0 | 1 min 35 s | 2 |',
    ].join('\n'),
  );
});

test('a file of 1,000 ranges lists its 10 slowest and the totals of the rest; 50 ranges are listed in full', () => {
  // Range i takes 20 s + i × 100 ms: the slowest are 999 down to 990.
  const huge = splitFile('dumps/1tb.csv', 1000);
  const fifty = splitFile('dumps/50gb.csv', 50);

  const md = renderReport(report(), splitOf(fifty, huge));

  const fiftyTable = md.slice(md.indexOf('### `dumps/50gb.csv`'), md.indexOf('### `dumps/1tb.csv`'));
  expect(fiftyTable.match(/^\| \d+ \|/gm)).toHaveLength(50);
  const hugeTable = md.slice(md.indexOf('### `dumps/1tb.csv`'));
  expect(hugeTable).toContain(
    '### `dumps/1tb.csv`: 1,000 ranges, 1,499,500 rows, 1.07 TB; slowest range 2 min 00 s, all ranges 19 h 25 min',
  );
  expect(hugeTable).toContain(
    'The 10 slowest of its 1,000 ranges:\n\n| range | bytes | rows | time |\n|---|---|---|---|\n| 999 | 1.07 GB | 1,999 | 2 min 00 s |\n',
  );
  expect(hugeTable.match(/^\| \d+ \|/gm)?.map((row) => Number(row.slice(2, -2)))).toEqual([
    999, 998, 997, 996, 995, 994, 993, 992, 991, 990,
  ]);
  // The other 990: ranges 0-989, 1,000 + i rows each, 20.0 s to 1 min 59 s.
  expect(hugeTable).toContain(
    "The other 990 ranges (each in report.json's `files[].parts`): 1.06 TB, 1,479,555 rows, 20 s to 1 min 59 s each (median 1 min 10 s).",
  );
});

test('files without parts are not in the section; past 20 split files, the rest are counted', () => {
  const plain: ItemAccount = { ...splitFile('plain.csv', 1), parts: undefined };
  const files = Array.from({ length: 23 }, (_, i) => splitFile(`big/${String(i).padStart(2, '0')}.csv`, 2));

  expect(renderReport(report(), splitOf(plain))).not.toContain('byte ranges');
  expect(renderReport(report())).not.toContain('byte ranges');
  const md = renderReport(report(), splitOf(plain, ...files));

  expect(md.match(/^### `big\//gm)).toHaveLength(20);
  expect(md).toContain('### `big/19.csv`');
  expect(md).not.toContain('`big/20.csv`');
  expect(md).toContain('… and 3 more files converted in ranges, in report.json.');
  expect(md).not.toContain('plain.csv');
});
