/*
 * report.md written for the run it describes: a local run names its folder (or endpoint) and its exact
 * redrive command, a run on AWS its bucket and execution; sizes and durations in human units; nothing about
 * rejects when there are none; column types per dataset, bounded.
 */
import type { ItemAccount } from '../../../../lambdas/handlers/report/accounting';
import { FileSchemas } from '../../../../lambdas/handlers/report/file-schemas';
import { renderReport } from '../../../../lambdas/handlers/report/markdown';
import { reportList, asyncReportList, type RunReport } from '../../../../lambdas/handlers/report/report-types';

function report(overrides: Partial<RunReport> = {}): RunReport {
  const failures = [{ key: 'orders/bad.csv', errors: [{ format: 'parquet' as const, type: 'MalformedCsvError', message: 'line 3' }] }];
  return {
    runId: 'run-20261207-abc123',
    status: 'FAILED',
    generatedAt: '2026-12-07T11:00:00.000Z',
    // What a folder run's RunContext says: the local bucket name, which no user knows.
    input: { bucket: 'csv2lake-input', prefix: '' },
    items: { total: 3, converted: 2, skipped: 0, failed: 1, ignored: 0 },
    rows: 42,
    rejectedRows: 0,
    bytesIn: 2048,
    bytesOut: { parquet: 1536, avro: 1_250_000 },
    durationMs: 4200,
    drift: [],
    columnTypes: [],
    collisions: [],
    cost: {
      stateTransitions: 31,
      lambdaRequests: 7,
      lambdaGbSeconds: 0.5,
      s3Requests: 20,
      s3Reads: 12,
      s3Writes: 8,
      usd: 0.001,
      prices: { stateTransition: 0, lambdaGbSecond: 0, lambdaRequest: 0, s3Write: 0, s3Read: 0 },
    },
    failures: reportList(failures.length, () => failures[Symbol.iterator]()),
    failedItems: reportList(0, () => [][Symbol.iterator]()),
    files: asyncReportList(0, () => []),
    rejectedFiles: [],
    ignoredKeys: asyncReportList(0, () => []),
    datasets: [],
    staleItems: [],
    partitions: new Map(),
    schemas: new Map(),
    ...overrides,
  };
}

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
