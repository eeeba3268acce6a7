/*
 * Copying a value's bytes from one buffer to another (tokenizer → column vector or Avro block, vector →
 * PLAIN page), done per string field. Values of up to 8 bytes go byte by byte; longer ones 4 bytes at a
 * time through DataViews, which allocate nothing. `set(subarray)` allocated a view per value
 * (CreateTypedArray, SubArray and Set took 3% of a one-thread conversion's ticks, and the views most of
 * its young garbage), and a byte loop costs ~1 ns a byte. Measured on the bench file's columns (callgrind,
 * 100k rows, whole process): words from 33 bytes on (instead of set): Parquet 4,855-4,861 -> 4,860 M Ir,
 * Avro 3,005 -> 3,018 M, and on 1M rows 108 -> 36 scavenges, 254 -> 142 ms of GC pauses (Parquet), 85 ->
 * 33 and 202 -> 59 ms (Avro); words from 9 bytes on: Parquet 4,784 -> 4,689 M, Avro 3,018 -> 2,969 M.
 */

const NO_VIEW = new DataView(new ArrayBuffer(0));

/**
 * A DataView of a byte array, kept while the array is the same object (an identity check per use). It
 * keeps the array alive: a holder that drops an outsized array calls {@link forget} too.
 */
export class ByteView {
  private array: Uint8Array | undefined;
  private view: DataView<ArrayBufferLike> = NO_VIEW;

  /** A DataView whose byte k is `a[k]`. */
  of(a: Uint8Array): DataView<ArrayBufferLike> {
    if (a !== this.array) {
      this.array = a;
      this.view = new DataView(a.buffer, a.byteOffset, a.byteLength);
    }
    return this.view;
  }

  /** Lets go of the array viewed last. */
  forget(): void {
    this.array = undefined;
    this.view = NO_VIEW;
  }
}

/** Values up to this length are copied byte by byte (a word loop does not pay below it). */
const BYTEWISE_BYTES = 8;
/** Values up to this length are copied 4 bytes at a time; longer ones with one `set`. */
const WORDWISE_BYTES = 256;

/**
 * Copies `src[s, e)` to `dst` from `at` (which must have room); `srcView` and `dstView` give their
 * views. Integer words only: every bit pattern is copied as it is. `src` and `dst` must not overlap.
 */
export function copyBytes(
  src: Uint8Array,
  srcView: ByteView,
  s: number,
  e: number,
  dst: Uint8Array,
  dstView: ByteView,
  at: number,
): void {
  const n = e - s;
  if (n <= BYTEWISE_BYTES) {
    for (let k = 0; k < n; k++) dst[at + k] = src[s + k]!;
  } else {
    copyLong(src, srcView, s, e, dst, dstView, at);
  }
}

/**
 * {@link copyBytes} of a value longer than BYTEWISE_BYTES: a function of its own, so that the short path
 * inlined into the row loops stays small (inlined whole, it cost the fused Avro encoder 3.4% more
 * instructions).
 */
function copyLong(
  src: Uint8Array,
  srcView: ByteView,
  s: number,
  e: number,
  dst: Uint8Array,
  dstView: ByteView,
  at: number,
): void {
  const n = e - s;
  if (n > WORDWISE_BYTES) {
    dst.set(src.subarray(s, e), at);
    return;
  }
  const from = srcView.of(src);
  const to = dstView.of(dst);
  // Whole words, then the last four bytes (overlapping bytes already copied, with the same values).
  const last = n - 4;
  for (let k = 0; k < last; k += 4) to.setInt32(at + k, from.getInt32(s + k, true), true);
  to.setInt32(at + last, from.getInt32(s + last, true), true);
}
