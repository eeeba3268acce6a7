/*
 * What `run` and `redrive` print when a run ends: a summary that gives the run's own redrive
 * command and mentions rejects only when there are some. And `run --range-bytes`: parsed, validated and
 * handed to the runner (the runner itself is replaced here; test/unit/cli/run-range-bytes.test.ts runs it).
 */
import { MIN_RANGE_BYTES } from '../../../lambdas/ranges/range-plan';
import { run, summaryTable } from '../../../lib/cli/run-command';
import { UsageError } from '../../../lib/cli/command';
import { LocalRunner } from '../../../lib/local/runner';

jest.mock('../../../lib/local/runner', () => ({
  LocalRunner: { run: jest.fn() },
  parseLocation: (text: string) => ({ text }),
}));
const runnerRun = jest.mocked(LocalRunner.run);

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

describe('run --range-bytes', () => {
  const succeeded = {
    runId: 'run-3',
    status: 'SUCCEEDED',
    items: { total: 1, converted: 1, skipped: 0, failed: 0, ignored: 0 },
    rejectedRows: 0,
    reportPath: '/out/_runs/run-3/report.json',
  };
  beforeEach(() => {
    runnerRun.mockReset().mockResolvedValue(succeeded as Awaited<ReturnType<typeof LocalRunner.run>>);
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => jest.restoreAllMocks());
  const runWith = (...extra: string[]) => run.run(['-i', '/in', '-o', '/out', '--json', ...extra]);

  test('a whole number of bytes at least MIN_RANGE_BYTES is handed to the runner as rangeBytes', async () => {
    expect(MIN_RANGE_BYTES).toBe(1_048_576);

    await expect(runWith('--range-bytes', '1048576')).resolves.toBe(0);
    await expect(runWith('--range-bytes=5000000000')).resolves.toBe(0);

    expect(runnerRun).toHaveBeenCalledTimes(2);
    expect(runnerRun.mock.calls[0]![0]).toMatchObject({ rangeBytes: 1_048_576, input: { text: '/in' } });
    expect(runnerRun.mock.calls[1]![0]).toMatchObject({ rangeBytes: 5_000_000_000 });
  });

  test('without the flag the runner gets no rangeBytes (the template default, 1 GiB, applies)', async () => {
    await runWith();
    expect(runnerRun).toHaveBeenCalledTimes(1);
    expect(runnerRun.mock.calls[0]![0]).not.toHaveProperty('rangeBytes');
  });

  test.each([
    ['below the minimum', '1048575'],
    ['zero', '0'],
    ['negative', '-2000000'],
    ['a fraction', '1048576.5'],
    ['not a number', '1GiB'],
    ['empty', ''],
    ['beyond a safe integer', '9007199254740993'],
  ])('%s (%j) is bad usage (exit 2) and starts no run', async (_, value) => {
    const error = await runWith(`--range-bytes=${value}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as UsageError).message).toBe('--range-bytes must be a whole number >= 1048576');
    expect(runnerRun).not.toHaveBeenCalled();
  });

  test('the usage names the flag and its default', () => {
    expect(run.usage).toMatch(
      /--range-bytes N +a file larger than N bytes \(uncompressed\) is converted in byte ranges/,
    );
    expect(run.usage).toContain('default 1073741824 (1 GiB)');
  });
});
