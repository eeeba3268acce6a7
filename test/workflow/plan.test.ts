/*
 * The plan through the local runner, on the synthesized definition: a night over unchanged files starts
 * no child and invokes no converter; a changed file is the only one converted; a file replaced after the
 * plan is converted at its new version and planned no more; a failure is redriven and then inventoried.
 */
import './quiet';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Invocation, LocalRunner } from '../../lib/local/runner';
import { readParquetWithDuckDB } from '../support/readers';

jest.setTimeout(120_000);

function folder(files: Record<string, string>): { input: string; output: string } {
  const root = mkdtempSync(join(tmpdir(), 'plan-'));
  for (const [key, text] of Object.entries(files)) {
    mkdirSync(join(root, 'in', key, '..'), { recursive: true });
    writeFileSync(join(root, 'in', key), text);
  }
  return { input: join(root, 'in'), output: join(root, 'out') };
}

const FILES = {
  'orders/a.csv': 'id,amount\n1,2.5\n',
  'orders/b.csv': 'id,amount\n2,3.5\n',
  'crm/c.csv': 'id,name\n1,Ada\n',
  'notes.md': '# not a CSV',
};

function run(dir: { input: string; output: string }, invocations: Invocation[], more = {}) {
  return LocalRunner.run({
    input: { kind: 'dir', path: dir.input },
    output: { kind: 'dir', path: dir.output },
    invocations,
    retryIntervalMs: 1,
    ...more,
  });
}

const states = (log: Invocation[]) => [...new Set(log.map((i) => i.state))].sort();
const converted = (log: Invocation[]) =>
  [...new Set(log.filter((i) => /Convert(Parquet|Avro)$/.test(i.state)).map((i) => i.key))].sort();

function report(path: string) {
  return JSON.parse(readFileSync(path, 'utf8')) as {
    items: Record<string, number>;
    plan: { planned: number; unchanged: number; ignored: number; listed: number };
    files: { key: string; status: string }[];
    ignoredKeys: string[];
    cost: { stateTransitions: number; lambdaRequests: number };
  };
}

test('a second night over unchanged files starts no child: only the planner and the reducer are invoked', async () => {
  const dir = folder(FILES);
  const first: Invocation[] = [];
  expect((await run(dir, first)).items).toEqual({
    total: 4,
    converted: 3,
    skipped: 0,
    failed: 0,
    ignored: 1,
  });
  expect(converted(first)).toEqual(['crm/c.csv', 'orders/a.csv', 'orders/b.csv']);

  const second: Invocation[] = [];
  const again = await run(dir, second);
  expect(again).toMatchObject({ status: 'SUCCEEDED' });
  expect(again.items).toEqual({ total: 4, converted: 0, skipped: 3, failed: 0, ignored: 1 });
  expect(states(second)).toEqual(['Plan', 'Reduce']);
  const r = report(again.reportPath);
  expect(r.plan).toMatchObject({ listed: 4, planned: 0, unchanged: 3, ignored: 1 });
  expect([...r.files.map((f) => f.key), ...r.ignoredKeys].sort()).toEqual(Object.keys(FILES).sort());
  expect(r.files.every((f) => f.status === 'skipped')).toBe(true);
  // What ran: the top level and the plan, no child; the planner and the reducer.
  // 13: NothingPlanned → NoJoins (the join step since issue 16) → Reduce.
  expect(r.cost).toMatchObject({ stateTransitions: 13, lambdaRequests: 2 });

  // One file changes: only it is converted.
  writeFileSync(join(dir.input, 'orders/b.csv'), 'id,amount\n2,3.5\n3,4.5\n');
  const third: Invocation[] = [];
  expect((await run(dir, third)).items).toEqual({
    total: 4,
    converted: 1,
    skipped: 2,
    failed: 0,
    ignored: 1,
  });
  expect(converted(third)).toEqual(['orders/b.csv']);
});

test('a file replaced after the plan is converted at its new version, and the next night plans nothing', async () => {
  const dir = folder(FILES);
  let replaced = false;
  const first = await run(dir, [], {
    // Between the plan and the conversion of a.csv, the file is replaced.
    fault: (state: string, payload: { key?: string }) => {
      if (state === 'ConvertParquet' && payload.key === 'orders/a.csv' && !replaced) {
        writeFileSync(join(dir.input, 'orders/a.csv'), 'id,amount\n1,2.5\n7,7.5\n');
        replaced = true;
      }
      return undefined;
    },
  });
  expect(replaced).toBe(true);
  expect(first.items).toMatchObject({ converted: 3, failed: 0 });
  const parquet = await readParquetWithDuckDB(join(dir.output, 'parquet/orders/a.parquet'));
  expect(parquet.rows).toEqual([
    ['1', 2.5],
    ['7', 7.5],
  ]);
  const next: Invocation[] = [];
  expect((await run(dir, next)).items).toMatchObject({ converted: 0, skipped: 3 });
  expect(converted(next)).toEqual([]);
});

test('a failed file is redriven; its fix is inventoried, and the next night plans nothing', async () => {
  const dir = folder({ ...FILES, 'orders/bad.csv': '' });
  const first = await run(dir, []);
  expect(first.status).toBe('FAILED');
  expect(first.items).toEqual({ total: 5, converted: 3, skipped: 0, failed: 1, ignored: 1 });

  // Not fixed: the next run plans it again (and only it).
  const retried: Invocation[] = [];
  expect((await run(dir, retried)).status).toBe('FAILED');
  expect(converted(retried)).toEqual(['orders/bad.csv']);

  writeFileSync(join(dir.input, 'orders/bad.csv'), 'id,amount\n9,9.5\n');
  const redriveLog: Invocation[] = [];
  const redriven = await LocalRunner.redrive(
    first.runId,
    { kind: 'dir', path: dir.output },
    { invocations: redriveLog, retryIntervalMs: 1 },
  );
  expect(redriven).toMatchObject({ status: 'SUCCEEDED' });
  expect(redriven.items).toEqual({ total: 5, converted: 4, skipped: 0, failed: 0, ignored: 1 });
  expect(converted(redriveLog)).toEqual(['orders/bad.csv']);
  const r = report(redriven.reportPath);
  expect([...r.files.map((f) => f.key), ...r.ignoredKeys].sort()).toEqual(
    [...Object.keys(FILES), 'orders/bad.csv'].sort(),
  );

  const next: Invocation[] = [];
  expect((await run(dir, next)).items).toEqual({ total: 5, converted: 0, skipped: 4, failed: 0, ignored: 1 });
  expect(states(next)).toEqual(['Plan', 'Reduce']);
});
