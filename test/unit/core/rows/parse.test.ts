import fc from 'fast-check';
import { ColumnVector } from '../../../../lambdas/core/model/column-batch';
import { T_DOUBLE, T_INT32, T_INT64 } from '../../../../lambdas/core/model/type-lattice';
import { classify, SAFE_INT_CHARS, SAFE_INT_MASK } from '../../../../lambdas/core/rows/classify';
import { appendInt64, appendTimestamp } from '../../../../lambdas/core/rows/column-sink';
import {
  parseDate,
  parseDouble,
  parseDoubleChecked,
  parseInt32,
  parseInt32Checked,
  parseSafeIntChecked,
} from '../../../../lambdas/core/rows/parse';

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
    expect(parseDate(Buffer.from('9999-12-31'), 0)).toBe(Date.UTC(9999, 11, 31) / 86400000);
    expect(parseDate(Buffer.from('0000-03-01'), 0)).toBe(-719468);
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

  test("a timestamp's value never reads the byte after its field (a colon or dot delimiter, then digits)", () => {
    const v = new ColumnVector('timestamp');
    const cases: [string, string, bigint][] = [
      ['2024-05-06T07:08', ':45:00', BigInt(Date.UTC(2024, 4, 6, 7, 8)) * 1000n],
      ['2024-05-06T07:08:09', '.25', BigInt(Date.UTC(2024, 4, 6, 7, 8, 9)) * 1000n],
      ['2024-05-06T07:08:09+01', ':30', BigInt(Date.UTC(2024, 4, 6, 6, 8, 9)) * 1000n],
    ];
    for (const [text, after] of cases) appendTimestamp(v, b(text + after), 0, text.length);
    cases.forEach(([text, , micros], k) => expect([text, v.int64At(k)]).toEqual([text, micros]));
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
