/*
 * Which byte ranges a large CSV object is converted in: nominal cut points only. Where each range's rows
 * really start and end is decided by the range's own conversion (see range-bounds.ts).
 */

/**
 * The default bytes of CSV per range: 1 GiB. A converter streams 35-90 MB/s of CSV from S3 on one vCPU
 * (README, "File size": 1 GB in 11-15 s for Avro, 13-30 s for Parquet; 2 GB in 48-67 s), and
 * `CSV2LAKE_THROUGHPUT_MBPS` assumes 40: a 1 GiB range takes ~27 s at that rate, 3% of Lambda's 15
 * minutes, so a range survives a throttled S3, a second round (a widened column) and retries with room to
 * spare, while a 50 GB file makes ~47 ranges: one wave at the default concurrency of 50. Smaller ranges
 * add parallelism but also children, part objects and row groups (the footer lists every row group).
 */
export const DEFAULT_RANGE_BYTES = 1 << 30;

/**
 * The smallest range accepted: 1 MiB, the type guess's sample (below it a range is mostly its boundary
 * scans). Ranges under 8 MiB work but cost the join reads: every part but the last of the joined object
 * must reach S3's 5 MiB multipart minimum, so a smaller part is read through the join's memory (at most
 * 5 MiB per part boundary, see multipart-join.ts `uploadSteps`) instead of copied server-side. Small
 * ranges are for tests and small machines; the default is {@link DEFAULT_RANGE_BYTES}.
 */
export const MIN_RANGE_BYTES = 1 << 20;

/**
 * The most ranges a key is cut in: the join assembles ONE multipart upload, which S3 caps at 10,000 parts,
 * and a range's part takes one copy part, plus at most one uploaded part where a part object under 5 MiB is
 * topped up (multipart-join.ts `uploadSteps`), plus the footer's. 4,000 ranges keep the upload under 8,001
 * parts; a key that would make more gets larger ranges (at the default 1 GiB, a key over ~4.3 TB).
 */
export const MAX_RANGES = 4000;

/** One range of an object: it owns the rows that START in [start, end). */
export interface ByteRange {
  readonly index: number;
  readonly start: number;
  readonly end: number;
}

/** Options of {@link planRanges}. */
export interface RangePlanOptions {
  /** Target bytes per range. @default DEFAULT_RANGE_BYTES */
  readonly rangeBytes?: number;
  /**
   * Whether the object is compressed (gzip, zstd: a `.gz` / `.zst` key, or its magic bytes). A compressed
   * stream cannot be entered at an offset, so such an object is ONE range, converted as today.
   * @default false
   */
  readonly compressed?: boolean;
}

/**
 * The nominal ranges of an object of `size` bytes: one when it is compressed or not larger than
 * `rangeBytes`, else `ceil(size / rangeBytes)` ranges (at most {@link MAX_RANGES}) of equal size (within a
 * byte) covering [0, size).
 * @throws RangeError when `rangeBytes` is below {@link MIN_RANGE_BYTES} or not a whole number
 */
export function planRanges(size: number, options: RangePlanOptions = {}): ByteRange[] {
  const rangeBytes = options.rangeBytes ?? DEFAULT_RANGE_BYTES;
  if (!Number.isSafeInteger(rangeBytes) || rangeBytes < MIN_RANGE_BYTES)
    throw new RangeError(`rangeBytes must be a whole number >= ${MIN_RANGE_BYTES}, not ${rangeBytes}`);
  return cutEvenly(size, options.compressed ? 1 : Math.min(MAX_RANGES, Math.max(1, Math.ceil(size / rangeBytes))));
}

/** `count` ranges of equal size (within a byte) covering [0, size); no minimum (tests cut small files). */
export function cutEvenly(size: number, count: number): ByteRange[] {
  const n = Math.max(1, Math.min(count, size));
  return Array.from({ length: n }, (_, index) => ({
    index,
    start: Math.floor((index * size) / n),
    end: Math.floor(((index + 1) * size) / n),
  }));
}
