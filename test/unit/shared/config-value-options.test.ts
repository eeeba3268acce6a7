import { converterConfig, csvOptions, ENV } from '../../../lambdas/shared/config';

const env = (extra: Record<string, string>) => ({ [ENV.FORMAT]: 'parquet', ...extra });

test('CSV2LAKE_CSV_OPTIONS carries how values are written, checked by the core’s rules', () => {
  const csv = {
    delimiter: ';',
    decimalSeparator: ',',
    thousandsSeparator: '.',
    dateFormat: '%d.%m.%Y',
    timestampFormat: '%d.%m.%Y %H:%M',
    trueValues: ['ja'],
    falseValues: ['nein'],
  };
  expect(converterConfig(env({ [ENV.CSV_OPTIONS]: JSON.stringify(csv) })).csv).toEqual(csv);
  expect(() => csvOptions({ trueValues: 'ja' }, 'the csv prop')).toThrow(
    /the csv prop: trueValues must be a string\[\], not "ja"/,
  );
  expect(() => csvOptions({ decimalSeparator: ',', thousandsSeparator: ',' }, 'the csv prop')).toThrow(
    /the csv prop: thousands separator "," is the decimal separator too/,
  );
  expect(() => csvOptions({ dateFormat: '%Q' }, ENV.CSV_OPTIONS)).toThrow(
    /CSV2LAKE_CSV_OPTIONS: date format "%Q" uses a directive other than/,
  );
});

test('max rejects and the input limits are the core’s rules, naming the variable', () => {
  expect(() => converterConfig(env({ [ENV.MAX_REJECTS]: '-1' }))).toThrow(
    /^CSV2LAKE_MAX_REJECTS must be a whole number >= 0, not -1$/,
  );
  expect(() => converterConfig(env({ [ENV.MAX_ROW_BYTES]: '1.5' }))).toThrow(
    /^CSV2LAKE_MAX_ROW_BYTES must be a whole number > 0, not 1.5$/,
  );
  expect(converterConfig(env({ [ENV.MAX_COLUMNS]: '10' })).limits).toEqual({ maxColumns: 10 });
});
