/*
 * The snappy codec and the CRC-32 Avro's snappy appends, checked by decoders the project does not write with:
 * hysnappy (Google's C++ snappy in WebAssembly, what hyparquet-compressors reads our Parquet with; the
 * writer's is the Rust `snap` crate) and a textbook CRC-32.
 */
import fc from 'fast-check';
import { snappyUncompress } from 'hysnappy';
import { crc, snappy } from '../../../../lambdas/core/bytes/codecs';

/** Snappy's compressor works in 64 KiB blocks: lengths on and around a block edge. */
const BLOCK = 65536;
const EDGES = [0, 1, 2, 3, 4, 5, 15, 16, 17, 60, 61, 64, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK + 7, 70_000];

function decode(compressed: Uint8Array, length: number): Uint8Array {
  return snappyUncompress(compressed, length);
}

/** Bytes that compress: runs of a few short words, so that literals, short and long copies all occur. */
function repetitive(length: number, seed: number): Uint8Array {
  const words = ['alpha,', 'beta;', 'gamma\n', '0000', 'x', 'Zürich '].map((w) => Buffer.from(w));
  const out = new Uint8Array(length);
  let s = seed >>> 0;
  for (let i = 0; i < length; ) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const w = words[s % words.length]!;
    for (let j = 0; j < w.length && i < length; j++) out[i++] = w[j]!;
  }
  return out;
}

function random(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 0xff;
  }
  return out;
}

describe('snappy', () => {
  test.each(EDGES)('%i bytes, random, repetitive and constant, decode to the same bytes', (length) => {
    for (const input of [random(length, length + 1), repetitive(length, length), new Uint8Array(length).fill(7)]) {
      const compressed = snappy(input);

      expect(Buffer.compare(decode(compressed, length), input)).toBe(0);
    }
  });

  test('any bytes, any length up to ~70 KiB, as a view at an offset of a larger buffer, decode to the same bytes', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 70_000 }),
        fc.nat({ max: 31 }),
        fc.boolean(),
        fc.nat(),
        (length, offset, compressible, seed) => {
          // Prepare: the input is a subarray, with other bytes before and after it in the same buffer.
          const outer = random(offset + length + 9, seed + 1);
          outer.set(compressible ? repetitive(length, seed) : random(length, seed), offset);
          const input = outer.subarray(offset, offset + length);
          const before = Buffer.from(outer);

          const compressed = snappy(input);

          // (Buffer.compare: jest's toEqual walks a 70 KiB buffer element by element, ~0.2 s a run)
          expect(Buffer.compare(decode(compressed, length), input)).toBe(0);
          expect(Buffer.compare(outer, before)).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });

  test('repetitive input shrinks, random input grows by at most the format bound (32 + n/6)', () => {
    const n = 3 * BLOCK + 5;

    const small = snappy(repetitive(n, 3)).length;
    const large = snappy(random(n, 3)).length;

    expect(small).toBeLessThan(n / 3);
    expect(large).toBeLessThanOrEqual(32 + n + Math.floor(n / 6));
  });

  test('the output owns its bytes: compressing again does not change an earlier output', () => {
    const first = snappy(repetitive(5000, 1));
    const copy = Buffer.from(first);

    snappy(repetitive(5000, 2));

    expect(Buffer.from(first)).toEqual(copy);
    expect(first.buffer.byteLength).toBeLessThan(64 * 1024);
  });
});

/** CRC-32 (IEEE, reflected 0xEDB88320) bit by bit. */
function crcBitwise(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('crc', () => {
  test('the check value of "123456789" is 0xCBF43926, unsigned', () => {
    expect(crc(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  test('any bytes at any offset of a view: the bitwise CRC-32 of exactly those bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat({ max: 15 }), (bytes, offset) => {
        const outer = new Uint8Array(offset + bytes.length + 4).fill(0x5a);
        outer.set(bytes, offset);

        expect(crc(outer.subarray(offset, offset + bytes.length))).toBe(crcBitwise(bytes));
      }),
      { numRuns: 200 },
    );
  });
});
