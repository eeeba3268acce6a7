import { progressPrinter, progressText } from '../../../lib/cli/run-command';

const progress = { total: 10, done: 4, failed: 1, rows: 12345, bytes: 8e6, startedAt: 0 };

test('a progress line has files done/failed/total, rows, input per second in human units, elapsed and ETA', () => {
  // Three significant digits in the unit that keeps the number small (issue 14: no "0.0 MB/s" for a small file).
  expect(progressText(progress, 2000)).toBe(
    '4/10 files, 1 failed, 12,345 rows, 4.00 MB/s, 2.0 s elapsed, ETA 3 s',
  );
  expect(progressText({ ...progress, bytes: 2048 }, 1000)).toBe(
    '4/10 files, 1 failed, 12,345 rows, 2.05 KB/s, 1.0 s elapsed, ETA 2 s',
  );
  expect(progressText({ ...progress, done: 0 }, 2000)).toMatch(/ETA \?$/);
});

test("a split file's range items show as shares of it, and their float sums as whole files", () => {
  // 8 range items of one file and 2 whole files: 1/8 eight times does not add up to exactly 1 in floats.
  const eighths = (n: number) => Array.from({ length: n }, () => 1 / 8).reduce((a, b) => a + b, 0);
  const total = eighths(8) + 2;
  expect(progressText({ ...progress, total, done: eighths(4), failed: eighths(1) }, 2000)).toMatch(
    /^0\.5\/3 files, 0\.1 failed, /u,
  );
  expect(progressText({ ...progress, total, done: eighths(8) + 2, failed: 0 }, 2000)).toMatch(
    /^3\/3 files, 0 failed, /u,
  );
});

function stream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, write: (t: string) => writes.push(t) } as unknown as NodeJS.WriteStream };
}

test('on a terminal: a bar redrawn in place, a newline when finished', () => {
  const { writes, stream: s } = stream(true);
  const print = progressPrinter(s);
  print({ ...progress, startedAt: Date.now() });
  print({ ...progress, done: 10, startedAt: Date.now() });
  expect(writes[0]).toMatch(/^\r\[#{10}\.{14}\] 4\/10 files/);
  expect(writes.at(-1)).toBe('\n');
});

test('otherwise: plain lines, not more than one every 2 s, and always the last', () => {
  const { writes, stream: s } = stream(false);
  const print = progressPrinter(s);
  const startedAt = Date.now();
  for (let done = 0; done <= 10; done++) print({ ...progress, done, startedAt });
  expect(writes).toHaveLength(2);
  // Finished also when the shares of split files add up to the total only within float rounding.
  const shares = Array.from({ length: 10 }, () => 0.1).reduce((a, b) => a + b, 0);
  print({ ...progress, total: 1, done: shares, startedAt });
  expect(writes).toHaveLength(3);
  expect(writes.every((w) => w.endsWith('\n') && !w.includes('\r'))).toBe(true);
  expect(writes[1]).toMatch(/^10\/10 files/);
});
