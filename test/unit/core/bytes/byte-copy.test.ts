import fc from 'fast-check';
import { ByteView, copyBytes } from '../../../../lambdas/core/bytes/byte-copy';

describe('copyBytes', () => {
  test('any bytes, any length (byte by byte, word by word, one set) at any offsets, and nothing else', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 400 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        (source, a, b, c) => {
          // Prepare: a slice of the source (possibly a view at an offset of a larger buffer), a target
          // with bytes before and after where the copy goes.
          const s = source.length === 0 ? 0 : a % source.length;
          const e = s + (source.length === 0 ? 0 : b % (source.length - s + 1));
          const at = c % 16;
          const outer = new Uint8Array(source.length + 8);
          outer.set(source, 8);
          const src = outer.subarray(8);
          const dst = new Uint8Array(at + (e - s) + 5).fill(0xa5);

          copyBytes(src, new ByteView(), s, e, dst, new ByteView(), at);

          expect(Buffer.from(dst.subarray(at, at + e - s))).toEqual(Buffer.from(source.subarray(s, e)));
          expect(dst.subarray(0, at).every((x) => x === 0xa5)).toBe(true);
          expect(dst.subarray(at + e - s).every((x) => x === 0xa5)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('copies every bit pattern as it is, NaN-like words included', () => {
    // A signalling NaN's bytes (little-endian), which a copy through floating point could change.
    const nan = [0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x7f];
    const source = Uint8Array.from({ length: 96 }, (_, k) => nan[k % 8]!);
    const target = new Uint8Array(101);

    copyBytes(source, new ByteView(), 0, 96, target, new ByteView(), 5);

    expect([...target.subarray(5)]).toEqual([...source]);
  });
});

describe('ByteView', () => {
  test('follows the array it is given: a replaced array gets a view of its own', () => {
    const view = new ByteView();
    const first = Uint8Array.of(1, 2, 3, 4);
    const second = new Uint8Array(new ArrayBuffer(12), 4, 4).fill(9);

    const a = view.of(first);
    const again = view.of(first);
    const b = view.of(second);

    expect(again).toBe(a);
    expect(a.getUint8(0)).toBe(1);
    expect(b.getUint8(0)).toBe(9);
    expect(b.byteLength).toBe(4);
  });
});

test('ByteView.forget lets go of the array: the next use views the array given then', () => {
  const view = new ByteView();
  const first = Uint8Array.of(1, 2, 3, 4);
  const a = view.of(first);

  view.forget();
  const b = view.of(first);

  expect(b).not.toBe(a);
  expect(b.getUint8(3)).toBe(4);
});
