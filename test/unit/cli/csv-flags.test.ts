import { parseArgs } from 'node:util';
import { CSV_FLAGS, csvFlagOptions } from '../../../lib/cli/csv-flags';

const parse = (...args: string[]) => csvFlagOptions(parseArgs({ args, options: CSV_FLAGS }).values);

test('only the flags given become options: the rest is sniffed or defaulted by the conversion', () => {
  expect(parse()).toEqual({ csv: {} });
  expect(
    parse(
      '-d',
      'tab',
      '--no-header',
      '--encoding',
      'CP1252',
      '--quote',
      'none',
      '--comment',
      '#',
      '--skip',
      '2',
    ),
  ).toEqual({
    csv: { delimiter: '\t', header: false, encoding: 'windows-1252', quote: '', comment: '#', skipRows: 2 },
  });
  expect(parse('--header', '--delimiter', '\\t', '--escape', '\\', '--null', 'NA', '--null', '-')).toEqual({
    csv: { header: true, delimiter: '\t', escape: '\\' },
    nullTokens: ['NA', '-'],
  });
  expect(parse('--quote', "'")).toEqual({ csv: { quote: "'" } });
});

test('unusable values are usage errors that name the flag', () => {
  expect(() => parse('--header', '--no-header')).toThrow(/--header or --no-header, not both/);
  expect(() => parse('--delimiter', ';;')).toThrow(/--delimiter takes one character/);
  expect(() => parse('--skip=-1')).toThrow(/--skip must be a whole number >= 0/);
  expect(() => parse('--encoding', 'utf-16')).toThrow(
    /--encoding must be one of utf-8, latin1, windows-1252/,
  );
  expect(() => parse('--quote', 'none', '--escape', '\\')).toThrow(/needs quoting/);
  expect(() => parse('--delimiter', ';', '--quote', ';')).toThrow(/quote ";" is not usable/);
  expect(() => parse('--delimiter', '§')).toThrow(/delimiter "§" is not usable/);
  for (const args of [
    ['--header', '--no-header'],
    ['--skip', 'x'],
  ])
    expect(() => parse(...args)).toThrow(expect.objectContaining({ name: 'UsageError' }));
});

test('how values are written: every flag becomes its option, shared by convert and run', () => {
  expect(
    parse(
      '--decimal-separator',
      ',',
      '--thousands-separator',
      '.',
      '--date-format',
      '%d.%m.%Y',
      '--timestamp-format',
      '%d.%m.%Y %H:%M',
      '--true',
      'ja',
      '--true',
      'yes',
      '--false',
      'nein',
    ),
  ).toEqual({
    csv: {
      decimalSeparator: ',',
      thousandsSeparator: '.',
      dateFormat: '%d.%m.%Y',
      timestampFormat: '%d.%m.%Y %H:%M',
      trueValues: ['ja', 'yes'],
      falseValues: ['nein'],
    },
  });
  expect(parse('--thousands-separator', 'space')).toEqual({ csv: { thousandsSeparator: ' ' } });
  expect(parse('--thousands-separator', "'")).toEqual({ csv: { thousandsSeparator: "'" } });
});

test('unusable value options are usage errors with the rule of the one validator', () => {
  expect(() => parse('--decimal-separator', ';')).toThrow(
    /decimal separator ";" is not usable: give \. or ,/,
  );
  expect(() => parse('--thousands-separator', '.')).toThrow(/is the decimal separator too/);
  expect(() => parse('--thousands-separator', '..')).toThrow(/--thousands-separator takes one character/);
  expect(() => parse('--date-format', '%d.%m')).toThrow(/date format "%d\.%m" needs one year/);
  expect(() => parse('--timestamp-format', '%d.%m.%Y')).toThrow(/needs one hour/);
  expect(() => parse('--true', 'ja', '--false', 'JA')).toThrow(/both a true and a false value/);
});
