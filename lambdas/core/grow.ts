/**
 * A copy of `bytes` large enough for `needed` bytes (doubling), keeping its first `used` bytes; `bytes`
 * itself when it is large enough. Shared by the writers' growable buffers.
 */
export function growBytes(bytes: Uint8Array, used: number, needed: number): Uint8Array {
  if (needed <= bytes.length) return bytes;
  let size = Math.max(bytes.length * 2, 64);
  while (size < needed) size *= 2;
  const next = new Uint8Array(size);
  next.set(bytes.subarray(0, used));
  return next;
}
