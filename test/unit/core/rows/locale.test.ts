import { checkValueOptions } from '../../../../lambdas/core/model/validate';
import {
  AS_WRITTEN,
  COMMA_DECIMAL,
  DOT_GROUPED,
  LocaleReader,
  localeReader,
  spellingOf,
  TEXT_ONLY,
} from '../../../../lambdas/core/rows/locale';
import type { ValueOptions } from '../../../../lambdas/core/model/options';

/** The default spelling a reader gives a value, or AS_WRITTEN / TEXT_ONLY. */
function spelled(options: ValueOptions, text: string): string | number {
  checkValueOptions(options);
  const reader = new LocaleReader(options);
  const b = Buffer.from(text);
  const n = reader.canonical(b, 0, b.length);
  return n < 0 ? n : Buffer.from(reader.out.subarray(0, n)).toString('latin1');
}

const german = { decimalSeparator: ',', thousandsSeparator: '.' };

describe('numbers', () => {
  test.each([
    [german, '1.234,56', '1234.56'],
    [german, '-1.234.567,5', '-1234567.5'],
    [german, '1.200', '1200'],
    [german, '0,5', '0.5'],
    [german, '1200', '1200'],
    [german, '1.2', TEXT_ONLY], // not a grouping, and . is no decimal point here: never 1.2
    [german, '12.34,5', AS_WRITTEN], // a group of two: no number (text by the default rules)
    [german, '1e5', '1e5'],
    [{ decimalSeparator: ',' }, '1.200', TEXT_ONLY], // the 1.200: not 1.2
    [{ decimalSeparator: ',' }, '1.5', TEXT_ONLY],
    [{ decimalSeparator: ',' }, '3,14', '3.14'],
    [{ thousandsSeparator: ',' }, '1,234,567.89', '1234567.89'],
    [{ thousandsSeparator: ',' }, '1,23', AS_WRITTEN],
    [{ thousandsSeparator: ' ' }, '1 234,5', AS_WRITTEN], // the decimal separator is still .
    [{ decimalSeparator: ',', thousandsSeparator: ' ' }, '1 234,5', '1234.5'],
    [{ decimalSeparator: ',', thousandsSeparator: '\u00a0' }, '1\u00a0234,5', '1234.5'], // NBSP: two bytes
    [{ decimalSeparator: ',', thousandsSeparator: "'" }, "1'234'567,25", '1234567.25'],
    [german, '2024-12-31', AS_WRITTEN], // an ISO date is read as written
  ] as const)('%j reads %j as %j', (options, text, expected) => {
    expect(spelled(options, text)).toBe(expected);
  });
});

describe('dates, timestamps and words', () => {
  test.each([
    [{ dateFormat: '%d.%m.%Y' }, '31.12.2024', '2024-12-31'],
    [{ dateFormat: '%d.%m.%Y' }, '1.2.2024', '2024-02-01'],
    [{ dateFormat: '%m/%d/%Y' }, '12/31/2024', '2024-12-31'],
    [{ dateFormat: '%m/%d/%Y' }, '31/12/2024', '2024-31-12'], // not a date: classify refuses month 31
    [{ dateFormat: '%d.%m.%y' }, '31.12.68', '2068-12-31'],
    [{ dateFormat: '%d.%m.%y' }, '31.12.69', '1969-12-31'],
    [{ dateFormat: '%Y%m%d' }, '20241231', '2024-12-31'],
    [{ dateFormat: '%d.%m.%Y' }, '31.12.2024 10:00', AS_WRITTEN],
    [{ timestampFormat: '%d.%m.%Y %H:%M' }, '31.12.2024 10:05', '2024-12-31T10:05:00'],
    [{ timestampFormat: '%m/%d/%Y %I:%M %p' }, '12/31/2024 12:00 AM', '2024-12-31T00:00:00'],
    [{ timestampFormat: '%m/%d/%Y %I:%M %p' }, '12/31/2024 12:00 pm', '2024-12-31T12:00:00'],
    [{ timestampFormat: '%m/%d/%Y %I:%M %p' }, '12/31/2024 13:00 PM', AS_WRITTEN],
    [
      { timestampFormat: '%Y-%m-%d %H:%M:%S.%f%z' },
      '2024-12-31 10:00:00.25+0130',
      '2024-12-31T10:00:00.250000+01:30',
    ],
    [{ timestampFormat: '%Y-%m-%d %H:%M:%S.%f' }, '2024-12-31 10:00:00.1234567', AS_WRITTEN], // beyond microseconds
    [{ trueValues: ['ja'], falseValues: ['nein'] }, 'JA', 'true'],
    [{ trueValues: ['ja'], falseValues: ['nein'] }, 'Nein', 'false'],
    [{ trueValues: ['ja'], falseValues: ['nein'] }, 'jein', AS_WRITTEN],
  ] as const)('%j reads %j as %j', (options, text, expected) => {
    expect(spelled(options, text)).toBe(expected);
  });

  test('default options need no reader (the fast path)', () => {
    expect(localeReader(undefined)).toBeUndefined();
    expect(localeReader({ decimalSeparator: '.', thousandsSeparator: '', trueValues: [] })).toBeUndefined();
    expect(localeReader({ decimalSeparator: ',' })).toBeInstanceOf(LocaleReader);
  });
});

describe('what a spelling says of a file read with no options', () => {
  test.each([
    ['3,14', COMMA_DECIMAL],
    ['-0,5', COMMA_DECIMAL],
    ['1.234,56', COMMA_DECIMAL],
    ['1,2345', COMMA_DECIMAL],
    ['1,234', 0], // a thousands grouping as well
    ['1.200', DOT_GROUPED],
    ['-12.500', DOT_GROUPED],
    ['1.2', 0],
    ['1234.500', 0],
    ['1.200.000', 0], // text already
    ['abc', 0],
    ['2024-01-01', 0],
  ])('%s is %i', (text, spelling) => {
    const b = Buffer.from(text);
    expect(spellingOf(b, 0, b.length)).toBe(spelling);
  });
});

describe('the rules of the value options (the one validator)', () => {
  test.each([
    [{ decimalSeparator: ';' }, /decimal separator ";" is not usable: give \. or ,/],
    [{ thousandsSeparator: '.' }, /thousands separator "\." is the decimal separator too/],
    [{ decimalSeparator: ',', thousandsSeparator: ',' }, /is the decimal separator too/],
    [{ thousandsSeparator: '5' }, /thousands separator "5" is not usable/],
    [{ thousandsSeparator: '..' }, /thousands separator "\.\." is not usable/],
    [{ dateFormat: '%d.%m' }, /date format "%d\.%m" needs one year/],
    [{ dateFormat: '%d.%m.%Y %H' }, /is a date format with a time of day/],
    [{ dateFormat: '%d.%b.%Y' }, /uses a directive other than/],
    [{ timestampFormat: '%d.%m.%Y' }, /timestamp format "%d\.%m\.%Y" needs one hour/],
    [{ timestampFormat: '%d.%m.%Y %I:%M' }, /needs %p with %I/],
    [{ trueValues: ['ja'], falseValues: ['JA'] }, /"JA" is given as both a true and a false value/],
    [{ trueValues: ['false'] }, /"false" is given as both/],
    [{ trueValues: [''] }, /true values must be a list of words/],
  ] as [ValueOptions, RegExp][])('%j: %s', (options, message) => {
    expect(() => checkValueOptions(options)).toThrow(message);
  });
});
