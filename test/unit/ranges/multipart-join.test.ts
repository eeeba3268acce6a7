/*
 * How the join's multipart parts are laid out (uploadSteps): every part but the last at least the minimum,
 * none over the maximum, the bytes exactly the segments' in order, server-side copies wherever a part
 * object has enough bytes, and little read back.
 */
import fc from 'fast-check';
import type { Segment } from '../../../lambdas/ranges/join-parts';
import { uploadSteps, type UploadStep } from '../../../lambdas/ranges/multipart-join';

/** The bytes a list of segments stands for, as [key, offset] pairs ('' for written bytes). */
function expand(segments: readonly Segment[]): string[] {
  return segments.flatMap((s) =>
    s.kind === 'bytes'
      ? [...s.bytes].map((b) => `=${b}`)
      : Array.from({ length: s.end - s.start }, (_, i) => `${s.key}@${s.start + i}`),
  );
}

const sizeOf = (step: UploadStep) => (step.kind === 'copy' ? step.end - step.start : step.bytes);

test('every part but the last reaches the minimum, none passes the maximum, bytes in order', () => {
  const segment = fc.oneof(
    fc.record({
      kind: fc.constant('copy' as const),
      key: fc.constantFrom('p0', 'p1', 'p2'),
      start: fc.constant(0),
      end: fc.integer({ min: 0, max: 60 }),
    }),
    fc.uint8Array({ minLength: 1, maxLength: 6 }).map((bytes) => ({ kind: 'bytes' as const, bytes })),
  );
  fc.assert(
    fc.property(fc.array(segment, { maxLength: 8 }), (segments) => {
      const min = 5;
      const max = 12;
      const steps = uploadSteps(segments, min, max);
      steps.forEach((s, i) => {
        if (i < steps.length - 1) expect(sizeOf(s)).toBeGreaterThanOrEqual(min);
        expect(sizeOf(s)).toBeLessThanOrEqual(s.kind === 'copy' ? max : 2 * min);
      });
      const pieces = steps.flatMap((s): Segment[] => (s.kind === 'copy' ? [s] : [...s.pieces]));
      expect(expand(pieces)).toEqual(expand(segments));
    }),
  );
});

test('large parts are copied by the server; only the footer is uploaded', () => {
  const MiB = 1 << 20;
  const footer = new Uint8Array(1000);
  const steps = uploadSteps([
    { kind: 'copy', key: 'p0', start: 0, end: 300 * MiB },
    { kind: 'copy', key: 'p1', start: 0, end: 7 * 1024 * MiB },
    { kind: 'bytes', bytes: footer },
  ]);
  expect(steps.map((s) => [s.kind, sizeOf(s)])).toEqual([
    ['copy', 300 * MiB],
    ['copy', 5 * 1024 * MiB],
    ['copy', 2 * 1024 * MiB],
    ['upload', 1000],
  ]);
});

test('a small part between large ones is read and topped up from the next part', () => {
  const MiB = 1 << 20;
  const steps = uploadSteps([
    { kind: 'copy', key: 'p0', start: 0, end: 20 * MiB },
    { kind: 'copy', key: 'p1', start: 0, end: 1 * MiB },
    { kind: 'copy', key: 'p2', start: 0, end: 30 * MiB },
  ]);
  expect(steps.map((s) => [s.kind, sizeOf(s)])).toEqual([
    ['copy', 20 * MiB],
    ['upload', 5 * MiB],
    ['copy', 26 * MiB],
  ]);
});
