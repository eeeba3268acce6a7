import * as avro from 'avsc';
import fc from 'fast-check';
import { putInt, putLong, putLongBigInt, putLongWords } from '../../../../lambdas/core/bytes/byte-buffer';

const longType = avro.Type.forSchema('long');
const intType = avro.Type.forSchema('int');
const bytesOf = (put: (b: Uint8Array, p: number) => number) => {
  const b = new Uint8Array(16);
  return Buffer.from(b.subarray(0, put(b, 0)));
};

const EDGES = [
  0,
  1,
  -1,
  63,
  -64,
  64,
  2 ** 31,
  -(2 ** 31),
  2 ** 32,
  2 ** 52 - 1,
  2 ** 52,
  -(2 ** 52),
  -(2 ** 52) - 1,
];
const safe = fc.oneof(
  fc.maxSafeInteger(),
  fc.constantFrom(...EDGES, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER),
);

/** Decodes one zig-zag varint with BigInt arithmetic: slow, and obviously right. */
function decodeLong(bytes: Buffer): bigint {
  let z = 0n;
  let shift = 0n;
  for (const byte of bytes) {
    z |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
  }
  return (z >> 1n) ^ -(z & 1n);
}

test('putLong encodes every safe integer exactly (past ±2^52 too, where zig-zag in floating point is not)', () => {
  fc.assert(
    fc.property(safe, (n) => {
      expect(decodeLong(bytesOf((b, p) => putLong(b, p, n)))).toBe(BigInt(n));
    }),
    { numRuns: 2000 },
  );
});

test('putLong agrees with avsc within ±2^52 (avsc itself rounds beyond: it writes -2^52-1 as 2^52)', () => {
  fc.assert(
    fc.property(
      safe.filter((n) => Math.abs(n) <= 2 ** 52),
      (n) => {
        expect(bytesOf((b, p) => putLong(b, p, n))).toEqual(longType.toBuffer(n));
      },
    ),
    { numRuns: 2000 },
  );
});

test('putLongWords and putLongBigInt agree with putLong on safe integers', () => {
  fc.assert(
    fc.property(safe, (n) => {
      const hi = Math.floor(n / 2 ** 32);
      const expected = bytesOf((b, p) => putLong(b, p, n));
      expect(bytesOf((b, p) => putLongWords(b, p, (n - hi * 2 ** 32) | 0, hi | 0))).toEqual(expected);
      expect(bytesOf((b, p) => putLongBigInt(b, p, BigInt(n)))).toEqual(expected);
    }),
    { numRuns: 2000 },
  );
});

test('putInt encodes every int32 as avsc does', () => {
  fc.assert(
    fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (n) => {
      expect(bytesOf((b, p) => putInt(b, p, n))).toEqual(intType.toBuffer(n));
    }),
    { numRuns: 2000 },
  );
});
