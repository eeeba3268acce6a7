import { compareKeys, KeyCursor, mergeByKey } from '../../../lambdas/lake/inventory-io';

/** The folder store's (and S3's) order: UTF-8 bytes, then code units (lambdas/io/fs-object-store.ts). */
const s3Order = (a: string, b: string) =>
  Buffer.compare(Buffer.from(a), Buffer.from(b)) || (a < b ? -1 : a > b ? 1 : 0);

test('compareKeys is S3 order (UTF-8 bytes), also where UTF-16 order differs, on generated keys', () => {
  const alphabet = [
    'a',
    'b',
    '/',
    '.',
    '\uffff',
    '\ue000',
    '\u00e9',
    '\ud83d\ude00',
    '\ud800',
    '\udc00',
    'z',
  ];
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const keys = Array.from({ length: 3000 }, () =>
    Array.from(
      { length: 1 + Math.floor(random() * 6) },
      () => alphabet[Math.floor(random() * alphabet.length)],
    ).join(''),
  );
  for (let i = 1; i < keys.length; i++) {
    const [a, b] = [keys[i - 1]!, keys[i]!];
    expect([a, b, Math.sign(compareKeys(a, b))]).toEqual([a, b, Math.sign(s3Order(a, b))]);
  }
  // Where UTF-16 code units and UTF-8 bytes disagree: U+FFFF sorts before an astral character in UTF-8.
  expect(compareKeys('\uffff', '\ud83d\ude00')).toBeLessThan(0);
  expect('\uffff' < '\ud83d\ude00').toBe(false);
});

test('mergeByKey merges ascending streams, the earliest stream winning a key', async () => {
  const key = (x: { k: string }) => x.k;
  const merged = [];
  for await (const x of mergeByKey(
    key,
    [{ k: 'b', from: 1 }],
    (async function* () {
      yield { k: 'a', from: 2 };
      yield { k: 'b', from: 2 };
      yield { k: 'c', from: 2 };
    })(),
    [
      { k: 'c', from: 3 },
      { k: 'd', from: 3 },
    ],
  ))
    merged.push(x);
  expect(merged).toEqual([
    { k: 'a', from: 2 },
    { k: 'b', from: 1 },
    { k: 'c', from: 2 },
    { k: 'd', from: 3 },
  ]);
});

test('a KeyCursor asked out of order opens its stream again and is never wrong', async () => {
  const items = ['a', 'c', 'e'].map((k) => ({ k }));
  const cursor = new KeyCursor(async function* () {
    yield* items;
  });
  expect(await cursor.seek('a')).toEqual({ k: 'a' });
  expect(await cursor.seek('b')).toBeUndefined();
  expect(await cursor.seek('e')).toEqual({ k: 'e' });
  expect(cursor.opened).toBe(1);
  expect(await cursor.seek('c')).toEqual({ k: 'c' });
  expect(cursor.opened).toBe(2);
  expect(await cursor.seek('f')).toBeUndefined();
});
