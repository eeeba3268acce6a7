import fc from 'fast-check';
import { narrowestType, T_ANY, T_DOUBLE } from '../../../../lambdas/core/model/type-lattice';
import { classify } from '../../../../lambdas/core/rows/classify';
import { parseDoubleChecked } from '../../../../lambdas/core/rows/parse';

function typeOf(...values: string[]): string {
  let mask = T_ANY;
  for (const v of values) {
    const b = Buffer.from(v);
    mask &= classify(b, 0, b.length);
  }
  return narrowestType(mask, values.length > 0);
}

describe('classify', () => {
  test.each([
    [['true', 'FALSE', 'True'], 'boolean'],
    [['0', '-1', '2147483647', '-2147483648'], 'int32'],
    [['2147483648'], 'int64'],
    [['-2147483649'], 'int64'],
    [['9223372036854775807', '-9223372036854775808'], 'int64'],
    [['9223372036854775808'], 'decimal(38,0)'],
    [['9223372036854775808', '1.5'], 'double'],
    [['1.5', '-0.25', '1e10', '2E-3', '1.5e+2'], 'double'],
    [['1', '2.5'], 'double'],
    [['-0'], 'double'],
    [['2024-02-29', '1900-01-01'], 'date'],
    [['2024-01-01', '2024-01-01T10:00:00Z'], 'timestamp'],
    [
      [
        '2024-01-01 10:00',
        '2024-01-01T10:00:00.123456+02:00',
        '2024-01-01T10:00:00-0530',
        '2024-01-01T10:00:00+01',
      ],
      'timestamp',
    ],
  ])('%j is %s', (values, type) => {
    expect(typeOf(...values)).toBe(type);
  });

  test.each([
    ['00501'],
    ['+5'],
    ['1.'],
    ['.5'],
    ['NaN'],
    ['inf'],
    ['1,5'],
    ['2023-02-29'],
    ['2024-13-01'],
    ['2024-01-01T24:00:00'],
    ['2024-01-01T10:00:00.1234567'],
    ['yes'],
    ['truex'],
    ['-'],
    ['1e'],
    [' 1'],
  ])('%j stays text', (value) => {
    expect(typeOf(value)).toBe('string');
  });

  test('mixed families widen to text', () => {
    expect(typeOf('1', 'true')).toBe('string');
    expect(typeOf('1', '2024-01-01')).toBe('string');
    expect(typeOf('1', 'x')).toBe('string');
  });

  test('no value at all is text', () => {
    expect(narrowestType(T_ANY, false)).toBe('string');
  });
});

function exact(text: string): { n: bigint; x: number } {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/u.exec(text)!;
  const fraction = m[3] ?? '';
  const n = BigInt(`${m[1]}${m[2]}${fraction}`);
  return { n, x: Number(m[4] ?? 0) - fraction.length };
}

function sameValue(a: string, b: string): boolean {
  const p = exact(a);
  const q = exact(b);
  const x = Math.min(p.x, q.x);
  const scale = (v: { n: bigint; x: number }) => v.n * 10n ** BigInt(v.x - x);
  const [l, r] = [scale(p), scale(q)];
  return l === r || (l === 0n && r === 0n);
}

/** The rule of issue 10 item 7: a number is a double only when the double keeps its value. */
function doubleKeeps(text: string): boolean {
  const value = Number(text);
  if (!Number.isFinite(value)) return false;
  if (sameValue(text, String(value).replace('e+', 'e'))) return true;
  return /^-?\d+$/u.test(text) && Number.isInteger(value) && BigInt(value) === BigInt(text);
}

test('a timestamp ending at its minutes or seconds is one whatever byte follows the field (a colon or dot delimiter)', () => {
  // prepare: the field, then the next field's delimiter and bytes that would read as seconds/fractions
  const cases: [string, string][] = [
    ['2024-01-01T10:30', ':45:00'],
    ['2024-01-01T10:30:15', '.123'],
    ['2024-01-01 10:30', '.5'],
  ];
  for (const [field, after] of cases) {
    const b = Buffer.from(field + after);

    // act
    const alone = classify(Buffer.from(field), 0, field.length);
    const followed = classify(b, 0, field.length);

    // assert
    expect(followed).toBe(alone);
    expect(narrowestType(followed, true)).toBe('timestamp');
  }
});

describe('decimals a double would round stay text (issue 10 item 7)', () => {
  test.each([
    ['82544000000000707.52', 'string'],
    ['12345678901234567890123', 'decimal(38,0)'], // a 23-digit id, beyond int64: exact (issue 14)
    ['18446744073709551615', 'decimal(38,0)'], // uint64 max
    ['99999999999999999999999999999999999999', 'decimal(38,0)'], // 38 digits
    ['-99999999999999999999999999999999999999', 'decimal(38,0)'],
    ['123456789012345678901234567890123456789', 'string'], // 39 digits: no decimal holds it
    ['0.1234567890123456789', 'string'],
    ['1.0000000000000001', 'string'],
    ['1e400', 'string'],
    ['1e-400', 'string'],
    ['0.30000000000000004', 'double'], // 17 digits, the double's own shortest form
    ['1.50', 'double'],
    ['1.500000000000000000000', 'double'],
    ['100000000000000000000000', 'decimal(38,0)'], // 1e23: an integer, exact as a decimal first
    ['9223372036854775808', 'decimal(38,0)'], // 2^63
    ['5e-324', 'double'],
    ['0.000001234', 'double'],
  ])('%s is %s', (text, type) => {
    expect(typeOf(text)).toBe(type);
  });

  test('a column of such a decimal and doubles is text', () => {
    expect(typeOf('1.5', '82544000000000707.52')).toBe('string');
  });

  test('integers beyond int64 join int64 as decimal(38,0), doubles only when a double is each exactly (issue 14)', () => {
    expect(typeOf('7', '12345678901234567890123')).toBe('decimal(38,0)');
    expect(typeOf('9007199254740993', '12345678901234567890123')).toBe('decimal(38,0)');
    expect(typeOf('12345678901234567890123', '1.5')).toBe('string'); // never a rounded double
    expect(typeOf('100000000000000000000000', '1.5')).toBe('double'); // 1e23 is a double exactly
    expect(typeOf('-0', '12345678901234567890123')).toBe('string'); // -0 keeps its sign as a double only
  });

  test('an int64 a double would round is int64 alone, never a double; one it holds exactly widens', () => {
    expect(typeOf('9007199254740993')).toBe('int64');
    expect(typeOf('9007199254740993', '1.5')).toBe('string');
    expect(typeOf('-9223372036854775807', '1.5')).toBe('string');
    expect(typeOf('9007199254740992', '9007199254740994', '-9223372036854775808', '1.5')).toBe('double');
    expect(typeOf('123456789012345', '1.5')).toBe('double');
  });

  // Int64s of 16 to 19 digits, where the exactness check does its arithmetic, against BigInt.
  test('the int64 exactness check agrees with BigInt on random and power-of-two-neighbour values', () => {
    const values = fc.oneof(
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      // Around powers of two, where the bit length changes; 2^63 and above are beyond int64.
      fc
        .tuple(fc.integer({ min: 50, max: 63 }), fc.integer({ min: -3, max: 3 }))
        .map(([n, d]) => 2n ** BigInt(n) + BigInt(d)),
      // Multiples of 2^k with 53-bit mantissas: doubles exactly.
      fc
        .integer({ min: 0, max: 10 })
        .chain((k) => fc.bigInt({ min: 1n, max: 2n ** BigInt(53) - 1n }).map((m) => m * 2n ** BigInt(k))),
    );
    fc.assert(
      fc.property(values, fc.boolean(), (v, negate) => {
        if (v >= 2n ** 63n) return;
        // Both signs: -v is as exact as v.
        const text = (negate ? -v : v).toString();
        const b = Buffer.from(text);
        const exactDouble = BigInt(Number(text)) === BigInt(text);
        expect([text, (classify(b, 0, b.length) & T_DOUBLE) !== 0]).toEqual([text, exactDouble]);
      }),
      { numRuns: 5000 },
    );
  });

  const literal = fc
    .tuple(
      fc.boolean(),
      fc.oneof(fc.constant('0'), fc.stringMatching(/^[1-9]\d{0,24}$/u)),
      fc.option(fc.stringMatching(/^\d{1,26}$/u), { nil: undefined }),
      fc.option(fc.integer({ min: -340, max: 340 }), { nil: undefined }),
    )
    .map(
      ([negative, int, fraction, exponent]) =>
        `${negative ? '-' : ''}${int}${fraction === undefined ? '' : `.${fraction}`}${exponent === undefined ? '' : `e${exponent}`}`,
    );

  test('classify marks a number double exactly when the double keeps its value (BigInt oracle)', () => {
    fc.assert(
      fc.property(literal, (text) => {
        const b = Buffer.from(text);
        const mask = classify(b, 0, b.length);
        const int64 = /^-?\d+$/u.test(text) && BigInt(text) >= -(2n ** 63n) && BigInt(text) < 2n ** 63n;
        // An int64 widens to double only when the double is it exactly.
        const keeps = int64 ? BigInt(Number(text)) === BigInt(text) : doubleKeeps(text);
        expect([text, (mask & T_DOUBLE) !== 0]).toEqual([text, keeps]);
        const f64 = parseDoubleChecked(b, 0, b.length);
        expect([text, Number.isNaN(f64)]).toEqual([text, (mask & T_DOUBLE) === 0]);
        if (!Number.isNaN(f64)) expect(Object.is(f64, Number(text))).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });
});
