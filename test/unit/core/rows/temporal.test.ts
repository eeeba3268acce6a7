import fc from 'fast-check';
import { M_BOOLEAN, M_DATE, M_TIMESTAMP } from '../../../../lambdas/core/model/type-lattice';
import { classify } from '../../../../lambdas/core/rows/classify';
import { parseBoolean, parseDate } from '../../../../lambdas/core/rows/parse';
import {
  civilDays,
  parseBooleanChecked,
  parseDateChecked,
  timestampMicrosChecked,
} from '../../../../lambdas/core/rows/temporal';
import { timestampMicros } from '../../../../lambdas/core/rows/value-rules';

/** The oracle: H. Hinnant's days-from-civil as published, with floor divisions. */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** `text` in a buffer of its own, and between other bytes (`before`, then `after` right past its end). */
function placed(text: string, after = ','): { b: Buffer; s: number; e: number } {
  const b = Buffer.from(`x,${text}${after}9`);
  return { b, s: 2, e: 2 + Buffer.byteLength(text) };
}

/** The general path's verdict on a date column's value: days, or NaN when it is no date. */
function slowDate(text: string): number {
  const { b, s, e } = placed(text);
  return (classify(b, s, e) & M_DATE) === M_DATE && e - s === 10 ? parseDate(b, s) : NaN;
}

/** The general path's verdict on a timestamp column's value: micros (number or bigint), or undefined. */
function slowTimestamp(text: string, after = ','): number | bigint | undefined {
  const { b, s, e } = placed(text, after);
  const mask = classify(b, s, e);
  return mask === M_DATE || mask === M_TIMESTAMP ? timestampMicros(b, s, e) : undefined;
}

describe('civilDays', () => {
  test('equals days-from-civil for every year 0-9999 and month (and Date.UTC from 1970 on)', () => {
    let wrong = 0;
    for (let y = 0; y <= 9999; y++) {
      for (let m = 1; m <= 12; m++) {
        for (const d of [1, 28, 31]) if (civilDays(y, m, d) !== daysFromCivil(y, m, d)) wrong++;
      }
    }
    expect(wrong).toBe(0);
    expect(civilDays(1970, 1, 1)).toBe(0);
    expect(civilDays(2000, 2, 29)).toBe(Date.UTC(2000, 1, 29) / 86400000);
    expect(civilDays(9999, 12, 31)).toBe(Date.UTC(9999, 11, 31) / 86400000);
  });
});

describe('parseDateChecked agrees with classify and parseDate', () => {
  const years = [
    0, 1, 4, 100, 400, 1582, 1600, 1700, 1899, 1900, 1969, 1970, 2000, 2023, 2024, 2100, 2400, 9999,
  ];
  test('every month 00-13 and day 00-32 of leap, century and edge years', () => {
    const disagree: string[] = [];
    for (const y of years) {
      for (let m = 0; m <= 13; m++) {
        for (let d = 0; d <= 32; d++) {
          const text = `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
          const { b, s, e } = placed(text);
          const fast = parseDateChecked(b, s, e);
          if (!Object.is(fast, slowDate(text))) disagree.push(text);
        }
      }
    }
    expect(disagree).toEqual([]);
    expect(parseDateChecked(Buffer.from('2024-02-29'), 0, 10)).toBe(19782);
    expect(parseDateChecked(Buffer.from('2023-02-29'), 0, 10)).toBeNaN();
    expect(parseDateChecked(Buffer.from('1900-02-29'), 0, 10)).toBeNaN();
  });

  test.each([
    '2024-1-01',
    '2024-01-1',
    '2024/01/01',
    '2024-01-01 ',
    ' 2024-01-01',
    '-024-01-01',
    '+024-01-01',
    '2O24-01-01',
    '2024-0a-01',
    '2024-01-0:',
    '2024-01-/1',
    '20240101',
    '2024-01-01T00:00',
    '12024-01-01',
  ])('%j is no date', (text) => {
    const { b, s, e } = placed(text);
    expect(parseDateChecked(b, s, e)).toBeNaN();
    expect(slowDate(text)).toBeNaN();
  });
});

describe('timestampMicrosChecked agrees with classify and timestampMicros', () => {
  /** Fast path accepted: the general path's value to the bit; declined: no value, or a bigint there. */
  function agrees(text: string, after = ','): boolean {
    const { b, s, e } = placed(text, after);
    const fast = timestampMicrosChecked(b, s, e);
    const slow = slowTimestamp(text, after);
    if (fast === fast) return Object.is(fast, slow);
    return slow === undefined || typeof slow === 'bigint';
  }

  test.each([
    '2024-05-06',
    '2024-05-06T07:08',
    '2024-05-06 07:08',
    '2024-05-06t07:08',
    '2024-05-06T07:08:09',
    '2024-05-06T07:08:09Z',
    '2024-05-06T07:08:09z',
    '2024-05-06T07:08Z',
    '2024-05-06T07:08:09.1',
    '2024-05-06T07:08:09.123456',
    '2024-05-06T07:08:09.1234567',
    '2024-05-06T07:08:09.',
    '2024-05-06T07:08:09.5+02:00',
    '2024-05-06T07:08:09-0130',
    '2024-05-06T07:08:09+01',
    '2024-05-06T07:08:09+1',
    '2024-05-06T07:08:09+',
    '2024-05-06T07:08:09+24:00',
    '2024-05-06T07:08:09+01:60',
    '2024-05-06T07:08:09+01:0',
    '2024-05-06T07:08:09+01:000',
    '2024-05-06T07:08:09Z+01',
    '2024-05-06T07:08+05:30',
    '2024-05-06T24:00:00',
    '2024-05-06T23:60:00',
    '2024-05-06T23:59:60',
    '2024-05-06T7:08:09',
    '2024-05-06T07:8:09',
    '2024-05-06T07:08:9',
    '2024-05-06T07-08-09',
    '2024-05-06X07:08:09',
    '2024-05-06T',
    '2024-05-06T07',
    '2024-05-06T07:0',
    '2024-02-30T00:00:00',
    '1969-12-31T23:59:59.5',
    '1970-01-01T00:00:00+00:00',
    '1970-01-01T00:00:00-00:00',
    '1970-01-01T00:30:00+01',
    '2255-06-05T00:00:00Z',
    '2255-06-06T00:00:00Z',
    '1684-07-28T00:00:00Z',
    '1685-07-29T00:00:00Z',
    '0001-01-01T00:00:00Z',
    '9999-12-31T23:59:59.999999Z',
    '0000-02-29T12:00:00',
  ])('%j', (text) => {
    expect(agrees(text)).toBe(true);
  });

  test('a value followed by a colon or dot delimiter is read to its own end, as the general path reads it', () => {
    for (const [text, after, micros] of [
      ['2024-05-06T07:08', ':45', Date.UTC(2024, 4, 6, 7, 8) * 1000],
      ['2024-05-06T07:08:09', '.25', Date.UTC(2024, 4, 6, 7, 8, 9) * 1000],
    ] as const) {
      const { b, s, e } = placed(text, after);
      expect([text, timestampMicrosChecked(b, s, e)]).toEqual([text, micros]);
      expect(agrees(text, after)).toBe(true);
    }
    const { b, s, e } = placed('2024-05-06T07:08', ',');
    expect(timestampMicrosChecked(b, s, e)).toBe(Date.UTC(2024, 4, 6, 7, 8) * 1000);
  });

  test('values within the safe range are numbers, beyond it the general path gives a bigint', () => {
    expect(timestampMicrosChecked(Buffer.from('2024-05-06T07:08:09.123456Z'), 0, 27)).toBe(
      Date.UTC(2024, 4, 6, 7, 8, 9) * 1000 + 123456,
    );
    expect(timestampMicrosChecked(Buffer.from('9999-12-31'), 0, 10)).toBeNaN();
    expect(typeof slowTimestamp('9999-12-31')).toBe('bigint');
  });

  test('any ISO-like text of digits, separators, zones and fractions', () => {
    const digits = (n: number) => fc.stringMatching(new RegExp(`^[0-9]{${n}}$`, 'u'));
    const text = fc
      .tuple(
        fc.oneof(digits(4), fc.constantFrom('1970', '2000', '1900', '2024', '0000', '9999')),
        fc.oneof(digits(2), fc.constantFrom('01', '02', '12', '13', '00')),
        fc.oneof(digits(2), fc.constantFrom('01', '28', '29', '30', '31')),
        fc.constantFrom('', 'T', ' ', 't', 'x'),
        fc.array(fc.constantFrom(...'0123456789:.Zz+-'.split(''), '00', '59', '23', '60', ':00'), {
          maxLength: 14,
        }),
      )
      .map(([y, m, d, sep, rest]) => `${y}-${m}-${d}${sep}${rest.join('')}`);
    fc.assert(
      fc.property(text, fc.constantFrom(',', ':', '.', '"', '0'), (t, after) => agrees(t, after)),
      { numRuns: 20000 },
    );
  });
});

describe('parseBooleanChecked agrees with classify and parseBoolean', () => {
  test.each([
    'true',
    'TRUE',
    'True',
    'tRuE',
    'false',
    'FALSE',
    'False',
    'fAlSe',
    'tru',
    'truee',
    'fals',
    'yes',
    '1',
    't',
    'f',
    'trUx',
    'falsy',
    'T\u0000UE',
  ])('%j', (text) => {
    const { b, s, e } = placed(text);
    const fast = parseBooleanChecked(b, s, e);
    const isBoolean = classify(b, s, e) === M_BOOLEAN;
    expect([text, fast >= 0]).toEqual([text, isBoolean]);
    if (isBoolean) expect(fast).toBe(parseBoolean(b, s) ? 1 : 0);
  });
});
