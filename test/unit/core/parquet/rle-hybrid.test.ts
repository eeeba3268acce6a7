/*
 * The RLE / bit-packing hybrid encoder, decoded by hyparquet's own decoder, for every bit width the
 * writer can use.
 */
import fc from 'fast-check';
import { readRleBitPackedHybrid } from 'hyparquet/src/encoding.js';
import { ByteBuffer } from '../../../../lambdas/core/bytes/byte-buffer';
import { encodeHybrid } from '../../../../lambdas/core/parquet/rle-hybrid';

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

    encodeHybrid(new Uint8Array(100_000).fill(1), 100_000, 1, out);

    expect(out.pos).toBe(4); // a 3-byte varint header and the value
    expect(decode(out, 1, 100_000).every((v) => v === 1)).toBe(true);
  });

  test('levels (bit width 1) from a Uint8Array, alternating: bit-packed', () => {
    const valid = Uint8Array.from({ length: 21 }, (_, i) => i % 2);
    const out = new ByteBuffer(4);

    encodeHybrid(valid, valid.length, 1, out);

    expect(Array.from(out.bytes.subarray(0, out.pos))).toEqual([(3 << 1) | 1, 0xaa, 0xaa, 0x0a]);
    expect(decode(out, 1, valid.length)).toEqual(Array.from(valid));
  });
});
