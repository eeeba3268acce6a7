/*
 * What `run` and `redrive` print when a run ends: a summary that gives the run's own redrive
 * command and mentions rejects only when there are some.
 */
import { summaryTable } from '../../../lib/cli/run-command';

test("a failed run's summary prints the redrive command the runner gives, with the run's real options", () => {
  const text = summaryTable({
    runId: 'run-1',
    status: 'FAILED',
    items: { total: 2, converted: 1, skipped: 0, failed: 1 },
    rejectedRows: 3,
    reportPath: '/out/_runs/run-1/report.json',
    redrive: "csv2lake redrive run-1 --output s3://out/lake/ --endpoint-url 'http://127.0.0.1:4566'",
  });
  expect(text.split('\n')).toEqual([
    'Run run-1: FAILED',
    '  files    total 2, converted 1, skipped (unchanged) 0, failed 1',
    '  rows     3 rejected (their lines are in the files under _rejects/ of the output)',
    '  report   /out/_runs/run-1/report.json (and report.md beside it)',
    "  redrive  csv2lake redrive run-1 --output s3://out/lake/ --endpoint-url 'http://127.0.0.1:4566'",
  ]);
});

test('a run without rejects says nothing about them, and a succeeded run offers no redrive', () => {
  const text = summaryTable({
    runId: 'run-2',
    status: 'SUCCEEDED',
    items: { total: 1, converted: 1, skipped: 0, failed: 0 },
    rejectedRows: 0,
    reportPath: '/out/_runs/run-2/report.json',
  });
  expect(text).not.toMatch(/reject/);
  expect(text).not.toMatch(/redrive/);
});
