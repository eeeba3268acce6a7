/*
 * The nominal ranges of a key (issue 16): ceil(size / rangeBytes) equal ranges covering the object, one for a
 * compressed object, and never more than MAX_RANGES, so that the join's ONE multipart upload stays within
 * S3's 10,000 parts (a range's copy, a top-up upload at most, the footer).
 */
import { uploadSteps } from '../../../lambdas/ranges/multipart-join';
import { MAX_RANGES, MIN_RANGE_BYTES, planRanges } from '../../../lambdas/ranges/range-plan';

test('ranges cover the object without gaps; compressed is one; too many ranges become fewer, larger ones', () => {
  const size = 10 * MIN_RANGE_BYTES + 3;
  const ranges = planRanges(size, { rangeBytes: MIN_RANGE_BYTES });
  expect(ranges).toHaveLength(11);
  expect(ranges[0]!.start).toBe(0);
  expect(ranges.at(-1)!.end).toBe(size);
  expect(ranges.every((r, i) => i === 0 || r.start === ranges[i - 1]!.end)).toBe(true);
  expect(planRanges(size, { rangeBytes: MIN_RANGE_BYTES, compressed: true })).toHaveLength(1);
  // 20 GB in 1 MiB ranges would be ~19,000 ranges: capped, each range larger than asked.
  const huge = planRanges(20e9, { rangeBytes: MIN_RANGE_BYTES });
  expect(huge).toHaveLength(MAX_RANGES);
  expect(huge.at(-1)!.end).toBe(20e9);
  expect(() => planRanges(size, { rangeBytes: MIN_RANGE_BYTES - 1 })).toThrow(RangeError);
});

test('the join of MAX_RANGES parts, each just under the multipart minimum (the worst case: a top-up per boundary), fits 10,000 parts', () => {
  const part = 5 * 1024 * 1024 - 1;
  const segments = Array.from({ length: MAX_RANGES }, (_, i) => ({
    kind: 'copy' as const,
    key: `p${i}`,
    start: 0,
    end: part,
  }));
  const steps = uploadSteps([...segments, { kind: 'bytes', bytes: new Uint8Array(1_000) }]);
  expect(steps.length).toBeLessThanOrEqual(10_000);
  expect(steps.length).toBeGreaterThan(MAX_RANGES / 2);
});
