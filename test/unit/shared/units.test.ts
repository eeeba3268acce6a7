import { formatBytes, formatDuration } from '../../../lambdas/shared/units';

test('sizes print in the unit that keeps them small, three significant digits at most', () => {
  expect(formatBytes(0)).toBe('0 B');
  expect(formatBytes(812)).toBe('812 B');
  expect(formatBytes(2048)).toBe('2.05 KB');
  expect(formatBytes(45_300)).toBe('45.3 KB');
  expect(formatBytes(237_000_000)).toBe('237 MB');
  expect(formatBytes(1_204_000_000)).toBe('1.20 GB');
  // Rounding that would print 1000 steps up to the next unit.
  expect(formatBytes(999_950)).toBe('1.00 MB');
  expect(formatBytes(999_499)).toBe('999 KB');
  expect(() => formatBytes(-1)).toThrow(RangeError);
  expect(() => formatBytes(Number.NaN)).toThrow(RangeError);
});

test('durations print in ms, s, min and h', () => {
  expect(formatDuration(0)).toBe('0 ms');
  expect(formatDuration(850)).toBe('850 ms');
  expect(formatDuration(4_200)).toBe('4.2 s');
  expect(formatDuration(12_400)).toBe('12 s');
  expect(formatDuration(185_000)).toBe('3 min 05 s');
  expect(formatDuration(7_620_000)).toBe('2 h 07 min');
  expect(() => formatDuration(Number.POSITIVE_INFINITY)).toThrow(RangeError);
});
