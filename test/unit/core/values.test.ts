import fc from 'fast-check';
import { ColumnVector } from '../../../lambdas/core/column-batch';
import {
  appendInt64,
  appendTimestamp,
  classify,
  daysFromCivil,
  narrowestType,
  parseDate,
  parseDouble,
  parseDoubleChecked,
  parseInt32,
  parseInt32Checked,
  parseSafeIntChecked,
  SAFE_INT_CHARS,
  SAFE_INT_MASK,
  T_ANY,
  T_DOUBLE,
  T_INT32,
  T_INT64,
} from '../../../lambdas/core/values';

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
    [['9223372036854775808'], 'double'],
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

describe('parsing', () => {
  const b = (s: string) => Buffer.from(s);
  test('int32', () => {
    expect(parseInt32(b('-2147483648'), 0, 11)).toBe(-2147483648);
    expect(parseInt32(b('42'), 0, 2)).toBe(42);
  });

  test('int64 is exact beyond 2^53', () => {
    const v = new ColumnVector('int64');
    for (const s of ['9007199254740993', '-9223372036854775808', '9223372036854775807', '123', '-1']) {
      appendInt64(v, b(s), 0, s.length);
    }
    expect([0, 1, 2, 3, 4].map((k) => v.int64At(k).toString())).toEqual([
      '9007199254740993',
      '-9223372036854775808',
      '9223372036854775807',
      '123',
      '-1',
    ]);
  });

  test('doubles are correctly rounded', () => {
    for (const s of [
      '0.1',
      '123.456',
      '-0.000001',
      '1e300',
      '3.141592653589793238',
      '12345678901234567890',
      '9007199254740993.5',
    ]) {
      expect(parseDouble(b(s), 0, s.length)).toBe(Number(s));
    }
  });

  test('dates count days from the epoch', () => {
    expect(parseDate(b('1970-01-01'), 0)).toBe(0);
    expect(parseDate(b('2000-03-01'), 0)).toBe(Date.UTC(2000, 2, 1) / 86400000);
    expect(parseDate(b('1600-02-29'), 0)).toBe(Date.UTC(1600, 1, 29) / 86400000);
    expect(daysFromCivil(9999, 12, 31)).toBe(Date.UTC(9999, 11, 31) / 86400000);
  });

  test('timestamps are UTC microseconds; naive ones are taken as UTC', () => {
    const v = new ColumnVector('timestamp');
    const cases: [string, bigint][] = [
      ['2024-05-06T07:08:09.123456Z', BigInt(Date.UTC(2024, 4, 6, 7, 8, 9)) * 1000n + 123456n],
      ['2024-05-06 07:08:09.5+02:00', BigInt(Date.UTC(2024, 4, 6, 5, 8, 9)) * 1000n + 500000n],
      ['2024-05-06T07:08-0130', BigInt(Date.UTC(2024, 4, 6, 8, 38)) * 1000n],
      ['1969-12-31T23:59:59.5', -500000n],
      ['2024-05-06', BigInt(Date.UTC(2024, 4, 6)) * 1000n],
      ['9999-12-31T23:59:59.999999Z', BigInt(Date.UTC(9999, 11, 31, 23, 59, 59)) * 1000n + 999999n],
      // Date.UTC maps years 0-99 to 1900-1999: -62135596800 s is 0001-01-01T00:00:00Z.
      ['0001-01-01T00:00:00Z', -62135596800n * 1000000n],
    ];
    for (const [text] of cases) appendTimestamp(v, b(text), 0, text.length);
    cases.forEach(([text, micros], k) => expect([text, v.int64At(k)]).toEqual([text, micros]));
  });
});

describe('checked parsers agree with classify', () => {
  const samples = [
    '0',
    '-0',
    '7',
    '-7',
    '2147483647',
    '2147483648',
    '-2147483648',
    '-2147483649',
    '00501',
    '+5',
    '1.',
    '.5',
    '1.25',
    '-0.5',
    '1e5',
    '1E-5',
    '1e',
    '1e+',
    '12345678901234567890',
    '0.1234567890123456789',
    'abc',
    '-',
    '1.2.3',
    '9007199254740993',
    '1_000',
  ];
  test.each(samples)('%j', (text) => {
    const b = Buffer.from(text);
    const mask = classify(b, 0, b.length);
    const i32 = parseInt32Checked(b, 0, b.length);
    expect([text, Number.isNaN(i32)]).toEqual([text, (mask & T_INT32) === 0]);
    if (!Number.isNaN(i32)) expect(i32).toBe(Number(text));
    const f64 = parseDoubleChecked(b, 0, b.length);
    expect([text, Number.isNaN(f64)]).toEqual([text, (mask & T_DOUBLE) === 0]);
    if (!Number.isNaN(f64)) expect(Object.is(f64, Number(text))).toBe(true);
    if (text.length <= SAFE_INT_CHARS) {
      const i64 = parseSafeIntChecked(b, 0, b.length);
      expect([text, Number.isNaN(i64)]).toEqual([text, (mask & T_INT64) === 0]);
      if (!Number.isNaN(i64)) expect([i64, mask & SAFE_INT_MASK]).toEqual([Number(text), SAFE_INT_MASK]);
    }
  });

  test('the int64 fast path agrees with classify on any short text of digits, signs and dots', () => {
    const text = fc.stringMatching(/^[-+0-9.e]{1,15}$/u);
    fc.assert(
      fc.property(text, (t) => {
        const b = Buffer.from(t);
        const mask = classify(b, 0, b.length);
        const i64 = parseSafeIntChecked(b, 0, b.length);
        if ((mask & T_INT64) === 0) return Number.isNaN(i64);
        return i64 === Number(t) && (mask & SAFE_INT_MASK) === SAFE_INT_MASK;
      }),
      { numRuns: 5000 },
    );
  });
});

/** A decimal literal's exact value as `n × 10^x`, by BigInt arithmetic (an oracle independent of values.ts). */
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

describe('decimals a double would round stay text (issue 10 item 7)', () => {
  test.each([
    ['82544000000000707.52', 'string'],
    ['12345678901234567890123', 'string'], // a 23-digit id, beyond int64
    ['18446744073709551615', 'string'], // uint64 max
    ['0.1234567890123456789', 'string'],
    ['1.0000000000000001', 'string'],
    ['1e400', 'string'],
    ['1e-400', 'string'],
    ['0.30000000000000004', 'double'], // 17 digits, the double's own shortest form
    ['1.50', 'double'],
    ['1.500000000000000000000', 'double'],
    ['100000000000000000000000', 'double'], // 1e23: its shortest form
    ['9223372036854775808', 'double'], // 2^63: the double is exactly it
    ['5e-324', 'double'],
    ['0.000001234', 'double'],
  ])('%s is %s', (text, type) => {
    expect(typeOf(text)).toBe(type);
  });

  test('a column of such a decimal and doubles is text', () => {
    expect(typeOf('1.5', '82544000000000707.52')).toBe('string');
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
