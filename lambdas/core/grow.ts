/**
 * A copy of `bytes` large enough for `needed` bytes (doubling, or just `needed` when that is more than
 * double: one outsized value must not take twice its size), keeping its first `used` bytes; `bytes`
 * itself when it is large enough. Shared by the writers' growable buffers.
 */
export function growBytes(bytes: Uint8Array, used: number, needed: number): Uint8Array {
  if (needed <= bytes.length) return bytes;
  const size = Math.max(bytes.length * 2, 64, needed);
  const next = new Uint8Array(size);
  next.set(bytes.subarray(0, used));
  return next;
}

/**
 * Buffers grown past this by an outsized value (batches, pages and blocks stay well below it) are dropped
 * once used rather than kept for reuse: a few such values in different columns must not each keep theirs.
 */
export const RETAINED_BYTES = 16 << 20;
