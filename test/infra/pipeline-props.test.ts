/*
 * The pipeline's props checked before anything is built (lib/pipeline-props.ts): item batching with range
 * items (issue 16). The ItemBatcher groups consecutive items, and a split key's range items are consecutive,
 * so one child converts a batch of ranges one after another: a batch that could not fit the converter's
 * timeout is refused at synth, saying what to lower.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { resolvePipelineProps } from '../../lib/pipeline-props';

function buckets() {
  const stack = new Stack(new App(), 'Props');
  return { inputBucket: new s3.Bucket(stack, 'In'), outputBucket: new s3.Bucket(stack, 'Out') };
}

test('item batching: a batch of range items that fits the converter timeout is accepted, one that cannot is refused', () => {
  // 20 × 1 GiB at 40 MB/s ≈ 537 s: within the default 15 minutes.
  expect(() => resolvePipelineProps({ ...buckets(), itemBatching: { maxItemsPerBatch: 20 } })).not.toThrow();
  // 40 × 1 GiB ≈ 1,074 s: over 900 s.
  expect(() => resolvePipelineProps({ ...buckets(), itemBatching: { maxItemsPerBatch: 40 } })).toThrow(
    /itemBatching\.maxItemsPerBatch 40 with rangeBytes 1073741824: .* ~1074 s at 40 MB\/s, over the converter timeout of 900 s; lower maxItemsPerBatch or rangeBytes/,
  );
  // Smaller ranges or a longer timeout make the same batch fit.
  expect(() =>
    resolvePipelineProps({ ...buckets(), itemBatching: { maxItemsPerBatch: 40 }, rangeBytes: 256 << 20 }),
  ).not.toThrow();
  expect(() =>
    resolvePipelineProps({
      ...buckets(),
      itemBatching: { maxItemsPerBatch: 20 },
      converterTimeout: Duration.minutes(5),
    }),
  ).toThrow(/over the converter timeout of 300 s/);
  // No batching: one range per child, nothing to check.
  expect(() => resolvePipelineProps({ ...buckets(), rangeBytes: 64 << 30 })).not.toThrow();
});
