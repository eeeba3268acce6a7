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
  T_ANY,
  T_DOUBLE,
  T_INT32,
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
  });
});
