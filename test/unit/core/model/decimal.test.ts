import fc from 'fast-check';
import {
  compareSigned,
  decimalByteWidth,
  decimalShape,
  decimalText,
  joinDecimals,
  parseDecimalType,
  putSignExtended,
  unscaledBytes,
  unscaledValue,
} from '../../../../lambdas/core/model/decimal';
import { parseSchemaFile } from '../../../../lambdas/core/model/schema-file';
import { isColumnType, storageType } from '../../../../lambdas/core/model/schema';
import { floorMask, joinTypes, narrowestType, T_DECIMAL } from '../../../../lambdas/core/model/type-lattice';
import { checkTable } from '../../../../lambdas/core/model/validate';

describe('decimal types', () => {
  test.each([
    ['decimal(18,2)', { precision: 18, scale: 2 }],
    ['DECIMAL(18, 2)', { precision: 18, scale: 2 }],
    ['decimal(10)', { precision: 10, scale: 0 }],
    ['decimal(38,38)', { precision: 38, scale: 38 }],
    ['decimal(39,0)', undefined],
    ['decimal(0,0)', undefined],
    ['decimal(5,6)', undefined],
    ['decimal', undefined],
    ['decimal(1.5,0)', undefined],
  ])('%s reads as %j', (text, shape) => {
    expect(parseDecimalType(text)).toEqual(shape);
  });

  test('a type is a decimal only in its one spelling, as the schema file writes it', () => {
    expect(decimalShape('decimal(18,2)')).toEqual({ precision: 18, scale: 2 });
    expect(decimalShape('decimal(18, 2)')).toBeUndefined();
    expect(isColumnType('decimal(18,2)')).toBe(true);
    expect(isColumnType('decimal(18, 2)')).toBe(false);
    expect(isColumnType('int64')).toBe(true);
    expect(isColumnType('bigint')).toBe(false);
    expect(parseSchemaFile('{"columns":{"a":"DECIMAL(18, 2)","b":"decimal(20)"}}').columns).toEqual({
      a: 'decimal(18,2)',
      b: 'decimal(20,0)',
    });
    expect(() => parseSchemaFile('{"columns":{"a":"decimal(40,2)"}}')).toThrow(
      /column "a" has type "decimal\(40,2\)"; use one of .*decimal\(p,s\) \(precision 1-38, scale 0-precision\)/u,
    );
  });

  test('values are int64 words up to 18 digits, bytes beyond', () => {
    expect(storageType('decimal(18,2)')).toBe('int64');
    expect(storageType('decimal(19,2)')).toBe('string');
    expect(storageType('double')).toBe('double');
  });

  test('a table column may be a decimal; an impossible one is refused', () => {
    expect(() =>
      checkTable({ recordName: 'T', columns: [{ name: 'a', type: 'decimal(18,2)' }] }),
    ).not.toThrow();
    expect(() =>
      checkTable({ recordName: 'T', columns: [{ name: 'a', type: 'decimal(99,2)' as never }] }),
    ).toThrow(/decimal\(p,s\)/u);
  });
});

describe('the lattice with decimals', () => {
  test.each([
    ['decimal(18,2)', 'decimal(18,2)', 'decimal(18,2)'],
    ['decimal(18,2)', 'decimal(10,4)', 'decimal(20,4)'],
    ['decimal(38,0)', 'decimal(10,2)', 'string'], // 40 digits
    ['int64', 'decimal(18,2)', 'decimal(21,2)'],
    ['int32', 'decimal(5,2)', 'decimal(12,2)'],
    ['decimal(38,0)', 'int64', 'decimal(38,0)'],
    ['decimal(18,2)', 'double', 'string'], // a decimal may be no double
    ['decimal(18,2)', 'date', 'string'],
    ['decimal(18,2)', 'string', 'string'],
  ] as const)('%s joined with %s is %s, both ways', (a, b, joined) => {
    expect(joinTypes(a, b)).toBe(joined);
    expect(joinTypes(b, a)).toBe(joined);
  });

  test("the decimal bit is the column's own decimal, else decimal(38,0)", () => {
    expect(narrowestType(T_DECIMAL, true)).toBe('decimal(38,0)');
    expect(narrowestType(T_DECIMAL, true, 'decimal(18,2)')).toBe('decimal(18,2)');
    expect(narrowestType(floorMask('decimal(18,2)'), false)).toBe('string');
  });

  test('joinDecimals keeps the larger integer part and scale', () => {
    expect(joinDecimals({ precision: 5, scale: 1 }, { precision: 3, scale: 3 })).toBe('decimal(7,3)');
  });
});

describe('unscaled values as bytes', () => {
  test.each([
    [0n, '00'],
    [127n, '7f'],
    [128n, '0080'],
    [-1n, 'ff'],
    [-128n, '80'],
    [-129n, 'ff7f'],
    [1230n, '04ce'],
  ])('%s is the fewest two’s complement bytes %s', (value, hex) => {
    expect(Buffer.from(unscaledBytes(value)).toString('hex')).toBe(hex);
  });

  test('bytes and back, for any 38-digit value', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n }), (v) => {
        const bytes = unscaledBytes(v);
        expect(unscaledValue(bytes)).toBe(v);
        expect(bytes.length).toBeLessThanOrEqual(16);
      }),
    );
  });

  test('text with its scale, as readers print it', () => {
    expect(decimalText(1230n, 2)).toBe('12.30');
    expect(decimalText(-5n, 2)).toBe('-0.05');
    expect(decimalText(7n, 0)).toBe('7');
  });
});

describe('FIXED_LEN_BYTE_ARRAY decimals', () => {
  const anyValue = fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n });

  test.each([
    [19, 9],
    [20, 9],
    [21, 9],
    [22, 10],
    [23, 10],
    [38, 16],
  ])('decimal(%i) takes %i bytes', (precision, bytes) => {
    expect(decimalByteWidth(precision)).toBe(bytes);
  });

  test('the width is ceil((p·log2(10) + 1) / 8), and ±(10^p − 1) fit in it and not in a byte less', () => {
    for (let p = 19; p <= 38; p++) {
      const width = decimalByteWidth(p);
      expect(width).toBe(Math.ceil((p * Math.log2(10) + 1) / 8));
      const largest = 10n ** BigInt(p) - 1n;
      expect(unscaledBytes(largest).length).toBe(width);
      expect(unscaledBytes(-largest).length).toBeLessThanOrEqual(width);
    }
  });

  test('sign-extended to a width, any value keeps its value and sits right-aligned', () => {
    fc.assert(
      fc.property(anyValue, fc.integer({ min: 16, max: 20 }), (v, width) => {
        const bytes = unscaledBytes(v);
        const out = new Uint8Array(width + 3).fill(0xaa);
        expect(putSignExtended(bytes, 0, bytes.length, width, out, 2)).toBe(width + 2);
        expect(unscaledValue(out, 2, width + 2)).toBe(v);
        expect([out[0], out[1], out[width + 2]]).toEqual([0xaa, 0xaa, 0xaa]);
      }),
    );
  });

  test('compareSigned orders bytes of any lengths as their values (signed), as DECIMAL statistics do', () => {
    const extended = (v: bigint, width: number) => {
      const bytes = unscaledBytes(v);
      const out = new Uint8Array(Math.max(width, bytes.length));
      putSignExtended(bytes, 0, bytes.length, out.length, out, 0);
      return out;
    };
    fc.assert(
      fc.property(anyValue, anyValue, fc.nat(16), fc.nat(16), (a, b, wa, wb) => {
        const x = extended(a, wa);
        const y = extended(b, wb);
        expect(Math.sign(compareSigned(x, 0, x.length, y, 0, y.length))).toBe(a < b ? -1 : a > b ? 1 : 0);
      }),
    );
    // The edges: zero against -1 and 1, the extremes against each other.
    const max = unscaledBytes(10n ** 38n - 1n);
    const min = unscaledBytes(-(10n ** 38n) + 1n);
    expect(compareSigned(min, 0, min.length, max, 0, max.length)).toBeLessThan(0);
    expect(compareSigned(Uint8Array.of(0xff), 0, 1, Uint8Array.of(0), 0, 1)).toBeLessThan(0);
    expect(compareSigned(Uint8Array.of(0x7f), 0, 1, Uint8Array.of(0, 0x80), 0, 2)).toBeLessThan(0);
  });
});
