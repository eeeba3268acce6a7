/*
 * What the split run and the thread converting the second part share (one SharedArrayBuffer, read and
 * written with Atomics): whether the thread has loaded, how far it has claimed the file, and where it must
 * stop when the first thread, done with its own part, takes the end of the file off it. Shared memory, not
 * messages: the first pass reads its file with synchronous calls, and a message would wait for a turn of
 * its event loop.
 */

const READY = 0;
/** The offset up to which the thread has taken the file's bytes, or {@link STOPPED}. */
const CLAIMED = 1;
/** Where the thread stops, once {@link CLAIMED} is {@link STOPPED}. */
const STOP = 2;
const STOPPED = -1n;

/** The shared words (see {@link sharedClaims}). */
export type Claims = BigInt64Array;

/** New shared words: not ready, nothing claimed. */
export function sharedClaims(): Claims {
  return new BigInt64Array(new SharedArrayBuffer(3 * BigInt64Array.BYTES_PER_ELEMENT));
}

/** Marks the thread loaded (its script evaluated, waiting for its part). */
export function markReady(claims: Claims): void {
  Atomics.store(claims, READY, 1n);
}

/** Whether the thread has loaded. */
export function isReady(claims: Claims): boolean {
  return Atomics.load(claims, READY) === 1n;
}

/** Sets where the thread's part starts, before it is given the part. */
export function claimFrom(claims: Claims, start: number): void {
  Atomics.store(claims, CLAIMED, BigInt(start));
}

/** How far the thread has taken the file, or undefined once it was stopped. */
export function claimedUpTo(claims: Claims): number | undefined {
  const at = Atomics.load(claims, CLAIMED);
  return at === STOPPED ? undefined : Number(at);
}

/**
 * Stops the thread at `stop`, when it has not taken bytes past it: true when it will stop there.
 * The thread takes each chunk by a compare-and-swap of {@link CLAIMED}; this one swaps in
 * {@link STOPPED} instead, so that exactly one of the two wins.
 */
export function stopAt(claims: Claims, stop: number): boolean {
  for (;;) {
    const at = Atomics.load(claims, CLAIMED);
    if (at === STOPPED || Number(at) > stop) return false;
    Atomics.store(claims, STOP, BigInt(stop));
    if (Atomics.compareExchange(claims, CLAIMED, at, STOPPED) === at) return true;
  }
}

/**
 * The chunks of a part starting at `start`, each claimed before it is handed on; once the other thread has
 * stopped this one (see {@link stopAt}), up to the stop. `stopped` is called when the consumer asks for
 * more after the stop: everything up to it has then been consumed.
 */
export async function* claimedChunks(
  chunks: AsyncIterable<Uint8Array>,
  start: number,
  claims: Claims,
  stopped: () => void,
): AsyncGenerator<Uint8Array> {
  let at = start;
  for await (const chunk of chunks) {
    const end = at + chunk.length;
    if (Atomics.compareExchange(claims, CLAIMED, BigInt(at), BigInt(end)) === BigInt(at)) {
      at = end;
      yield chunk;
      continue;
    }
    const stop = Number(Atomics.load(claims, STOP));
    if (stop > at) yield stop < end ? chunk.subarray(0, stop - at) : chunk;
    if (stop <= end) {
      stopped();
      return;
    }
    at = end;
  }
}
