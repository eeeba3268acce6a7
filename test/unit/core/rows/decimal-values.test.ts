import fc from 'fast-check';
import { decimalText } from '../../../../lambdas/core/model/decimal';
import { classify } from '../../../../lambdas/core/rows/classify';
import { decimalValue, putUnscaledNumber } from '../../../../lambdas/core/rows/decimal-values';
import { T_DECIMAL } from '../../../../lambdas/core/model/type-lattice';

const value = (text: string, precision: number, scale: number) => {
  const b = Buffer.from(text);
  return decimalValue(b, 0, b.length, precision, scale);
};

describe('decimal values', () => {
  test.each([
    ['12.30', 18, 2, 1230],
    ['12.3', 18, 2, 1230],
    ['12', 18, 2, 1200],
    ['-0.05', 18, 2, -5],
    ['0', 18, 2, 0],
    ['-0.00', 18, 2, -0],
    ['9999999999999999.99', 18, 2, 999999999999999999n],
    ['12345678901234567890123', 38, 0, 12345678901234567890123n],
    ['-99999999999999999999.1234567890', 38, 10, -999999999999999999991234567890n],
  ])('%s in decimal(%i,%i) is %s', (text, p, s, unscaled) => {
    expect(value(text, p, s)).toEqual(unscaled);
  });

  test.each([
    ['1.005', 10, 2], // more fraction than the scale: never rounded
    ['100000000', 10, 2], // 9 integer digits, 8 allowed
    ['1.0', 38, 0], // a fraction in a scale of 0
    ['-0', 38, 0], // as an int64, -0 is no integer
    ['007', 10, 0], // leading zeros: a code, as for the integer types
    ['+1', 10, 0],
    ['1e5', 10, 0],
    ['.5', 10, 2],
    ['5.', 10, 2],
    ['1,5', 10, 2],
    ['-', 10, 2],
    ['', 10, 2],
    ['12a', 10, 2],
  ])('%s is no decimal(%i,%i)', (text, p, s) => {
    expect(value(text, p, s)).toBeNaN();
  });

  test('decimal(38,0) holds exactly the values classify gives the decimal bit (integers)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
          fc.stringMatching(/^-?[0-9]{1,3}(\.[0-9]{0,2})?$/u),
        ),
        (text) => {
          const b = Buffer.from(text);
          const fits = value(text, 38, 0) === value(text, 38, 0); // not NaN
          expect(fits).toBe((classify(b, 0, b.length) & T_DECIMAL) !== 0);
        },
      ),
    );
  });

  test('any decimal literal that fits reads back as its own text', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
        fc.integer({ min: 0, max: 8 }),
        (v, scale) => {
          const text = decimalText(v, scale);
          const x = value(text, 38, scale);
          expect(typeof x === 'number' ? BigInt(x) : x).toBe(v);
        },
      ),
    );
  });

  test('a safe unscaled value as Avro bytes: zig-zag length, fewest two’s complement bytes', () => {
    const out = new Uint8Array(18);
    for (const [x, hex] of [
      [0, '0200'],
      [1230, '0404ce'],
      [-1, '02ff'],
      [-129, '04ff7f'],
      [2 ** 53 - 1, '0e1fffffffffffff'],
      [-(2 ** 53) + 1, '0ee0000000000001'],
    ] as const) {
      const end = putUnscaledNumber(out, 0, x);
      expect(Buffer.from(out.subarray(0, end)).toString('hex')).toBe(hex);
    }
  });
});
