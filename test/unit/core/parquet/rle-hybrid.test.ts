/*
 * The RLE / bit-packing hybrid encoder, decoded by hyparquet's own decoder, for every bit width the
 * writer can use.
 */
import fc from 'fast-check';
import { readRleBitPackedHybrid } from 'hyparquet/src/encoding.js';
import { ByteBuffer } from '../../../../lambdas/core/bytes/byte-buffer';
import { encodeAllValid, encodeHybrid } from '../../../../lambdas/core/parquet/rle-hybrid';

function decode(out: ByteBuffer, bitWidth: number, n: number): number[] {
  const data = out.bytes.slice(0, out.pos);
  const output = new Array<number>(n).fill(-1);
  readRleBitPackedHybrid({ view: new DataView(data.buffer), offset: 0 }, bitWidth, output, data.length);
  return output;
}

describe('encodeHybrid', () => {
  test('any values at any bit width 1-24, runs and scatter mixed, decode to themselves', () => {
    const input = fc.integer({ min: 1, max: 24 }).chain((bitWidth) =>
      fc.record({
        bitWidth: fc.constant(bitWidth),
        // Runs of random lengths (1-30) of random values: both RLE runs and bit-packed groups.
        runs: fc.array(
          fc.tuple(fc.integer({ min: 0, max: 2 ** bitWidth - 1 }), fc.integer({ min: 1, max: 30 })),
          {
            maxLength: 40,
          },
        ),
      }),
    );
    fc.assert(
      fc.property(input, ({ bitWidth, runs }) => {
        const values = runs.flatMap(([value, length]) => Array<number>(length).fill(value));
        const out = new ByteBuffer(4);

        encodeHybrid(Int32Array.from(values), values.length, bitWidth, out);

        expect(decode(out, bitWidth, values.length)).toEqual(values);
      }),
      { numRuns: 300 },
    );
  });

  test('a long run of one value is a few bytes (one RLE run)', () => {
    const out = new ByteBuffer(4);

    encodeHybrid(new Int32Array(100_000).fill(1), 100_000, 1, out);

    expect(out.pos).toBe(4); // a 3-byte varint header and the value
    expect(decode(out, 1, 100_000).every((v) => v === 1)).toBe(true);
  });

  test('levels (bit width 1), alternating: bit-packed', () => {
    const valid = Int32Array.from({ length: 21 }, (_, i) => i % 2);
    const out = new ByteBuffer(4);

    encodeHybrid(valid, valid.length, 1, out);

    expect(Array.from(out.bytes.subarray(0, out.pos))).toEqual([(3 << 1) | 1, 0xaa, 0xaa, 0x0a]);
    expect(decode(out, 1, valid.length)).toEqual(Array.from(valid));
  });

  test.each([1, 2, 3, 4, 5, 8, 9, 13, 16, 24])(
    'whole groups and a partial last group at bit width %i, values up to the largest',
    (bitWidth) => {
      // 8 * 5 + 3 scattered values (no run of 8): five whole groups, then a padded one.
      const top = 2 ** bitWidth - 1;
      const values = Int32Array.from({ length: 43 }, (_, i) => (i % 2 ? top : (i * 7919) % (top + 1)));
      const out = new ByteBuffer(4);

      encodeHybrid(values, values.length, bitWidth, out);

      expect(out.bytes[0]).toBe((6 << 1) | 1);
      expect(out.pos).toBe(1 + 6 * bitWidth);
      expect(decode(out, bitWidth, values.length)).toEqual(Array.from(values));
    },
  );
});

describe('encodeAllValid', () => {
  test.each([0, 1, 7, 8, 9, 127, 128, 100_000])(
    '%i rows: the bytes encodeHybrid gives for as many ones',
    (n) => {
      const expected = new ByteBuffer(4);
      encodeHybrid(new Int32Array(n).fill(1), n, 1, expected);
      const out = new ByteBuffer(4);

      encodeAllValid(n, out);

      expect(Array.from(out.used())).toEqual(Array.from(expected.used()));
      expect(decode(out, 1, n).every((v) => v === 1)).toBe(true);
    },
  );
});
