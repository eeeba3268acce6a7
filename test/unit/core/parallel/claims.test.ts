/*
 * The shared words between the split run and the thread converting the second part (parallel/claims.ts):
 * the thread takes its chunks one by one; the other thread may stop it at an offset it has not taken yet,
 * never at one behind it, and exactly one of the two wins a race.
 */
import {
  claimedChunks,
  claimedUpTo,
  claimFrom,
  isReady,
  markReady,
  sharedClaims,
  stopAt,
} from '../../../../lambdas/core/parallel/claims';

async function* chunksOf(sizes: number[]): AsyncGenerator<Uint8Array> {
  let v = 0;
  for (const n of sizes) yield Uint8Array.from({ length: n }, () => v++ & 0xff);
}

/** Reads `chunks` to the end; `each` runs after each chunk is taken, as the consumer would work. */
async function drain(chunks: AsyncIterable<Uint8Array>, each: (taken: number) => void = () => {}) {
  const out: number[] = [];
  for await (const chunk of chunks) {
    out.push(...chunk);
    each(out.length);
  }
  return out;
}

test('ready once marked', () => {
  const claims = sharedClaims();
  expect(isReady(claims)).toBe(false);
  markReady(claims);
  expect(isReady(claims)).toBe(true);
});

test('without a stop, every chunk is handed on and claimed', async () => {
  const claims = sharedClaims();
  claimFrom(claims, 100);
  const seen: (number | undefined)[] = [];
  const stopped = jest.fn();
  const out = await drain(claimedChunks(chunksOf([4, 4, 2]), 100, claims, stopped), () =>
    seen.push(claimedUpTo(claims)),
  );
  expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(seen).toEqual([104, 108, 110]);
  expect(stopped).not.toHaveBeenCalled();
});

test('a stop ahead of what was taken ends the part there, once the consumer has had every byte', async () => {
  const claims = sharedClaims();
  claimFrom(claims, 0);
  let takenWhenStopped = -1;
  let taken = 0;
  const chunks = claimedChunks(chunksOf([4, 4, 4, 4]), 0, claims, () => (takenWhenStopped = taken));
  const out = await drain(chunks, (n) => {
    taken = n;
    // After the first chunk: stop in the middle of the third.
    if (n === 4) expect(stopAt(claims, 10)).toBe(true);
  });
  expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(takenWhenStopped).toBe(10);
  expect(claimedUpTo(claims)).toBeUndefined();
});

test('a stop at the end of what was taken: nothing more is handed on', async () => {
  const claims = sharedClaims();
  claimFrom(claims, 0);
  const stopped = jest.fn();
  const out = await drain(claimedChunks(chunksOf([4, 4]), 0, claims, stopped), (n) => {
    if (n === 4) expect(stopAt(claims, 4)).toBe(true);
  });
  expect(out).toEqual([0, 1, 2, 3]);
  expect(stopped).toHaveBeenCalledTimes(1);
});

test('a stop behind what the thread has taken is refused, and the thread reads on', async () => {
  const claims = sharedClaims();
  claimFrom(claims, 0);
  const stopped = jest.fn();
  const out = await drain(claimedChunks(chunksOf([4, 4, 4]), 0, claims, stopped), (n) => {
    if (n === 8) expect(stopAt(claims, 6)).toBe(false);
  });
  expect(out).toHaveLength(12);
  expect(stopped).not.toHaveBeenCalled();
  expect(claimedUpTo(claims)).toBe(12);
});
