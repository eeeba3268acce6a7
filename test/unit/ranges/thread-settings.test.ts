/*
 * How many threads a converter converts one key on: `auto` is the vCPU credits Lambda's memory pays for
 * (1,769 MB per vCPU), at most the cores shown; a number is taken as given; a wrong value is refused, named.
 */
import {
  autoThreads,
  DEFAULT_THREADS_MIN_BYTES,
  isRangeThread,
  RANGE_THREAD,
  threadSettings,
} from '../../../lambdas/ranges/thread-settings';

test.each([
  [128, 2, 1],
  [1769, 2, 1],
  [2653, 2, 1],
  [2654, 2, 2],
  [3008, 2, 2],
  [5307, 3, 3],
  [10240, 6, 6],
  [10240, 2, 2],
])('auto at %i MB with %i cores: %i thread(s)', (memory, cores, threads) => {
  expect(autoThreads({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memory) }, cores)).toBe(threads);
});

test('auto outside Lambda is the cores; the default minimum is 64 MiB', () => {
  expect(threadSettings({}, 4)).toEqual({ threads: 4, minBytes: 64 << 20 });
  expect(DEFAULT_THREADS_MIN_BYTES).toBe(67_108_864);
});

test('a number of threads and a minimum are taken as given', () => {
  expect(
    threadSettings(
      { CSV2LAKE_THREADS: '3', CSV2LAKE_THREADS_MIN_BYTES: '1000', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1769' },
      2,
    ),
  ).toEqual({ threads: 3, minBytes: 1000 });
  expect(
    threadSettings({ CSV2LAKE_THREADS: 'auto', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1769' }, 2).threads,
  ).toBe(1);
});

test.each([
  [{ CSV2LAKE_THREADS: '0' }, 'CSV2LAKE_THREADS must be auto or a whole number >= 1, not "0"'],
  [{ CSV2LAKE_THREADS: 'two' }, 'CSV2LAKE_THREADS must be auto or a whole number >= 1, not "two"'],
  [
    { CSV2LAKE_THREADS_MIN_BYTES: '-1' },
    'CSV2LAKE_THREADS_MIN_BYTES must be a whole number of bytes, not "-1"',
  ],
  [
    { CSV2LAKE_THREADS_MIN_BYTES: '64MB' },
    'CSV2LAKE_THREADS_MIN_BYTES must be a whole number of bytes, not "64MB"',
  ],
])('%j is refused', (env, message) => {
  expect(() => threadSettings(env, 2)).toThrow(message);
});

test("a range thread is told by its workerData; the local runner's threads are not range threads", () => {
  expect(isRangeThread(RANGE_THREAD)).toBe(true);
  expect(isRangeThread({ csv2lake: 'something else' })).toBe(false);
  expect(isRangeThread(undefined)).toBe(false);
  expect(isRangeThread(null)).toBe(false);
});
