import fc from 'fast-check';
import { isCsvKey, outputKey } from '../../../lambdas/io/object-key';
import { outputStem } from '../../../lambdas/io/convert-file';

describe('outputKey', () => {
  test.each([
    ['landing/2026/orders.csv', 'parquet/2026/orders.parquet'],
    ['landing/orders.CSV', 'parquet/orders.parquet'],
    ['landing/orders.tsv.gz', 'parquet/orders.parquet'],
    ['landing/orders.TXT.GZ', 'parquet/orders.parquet'],
    ['landing/report.final.csv', 'parquet/report.final.parquet'],
    ['landing/no-extension', 'parquet/no-extension.parquet'],
    ['landing/a b/c d+e%20f=g#h.csv', 'parquet/a b/c d+e%20f=g#h.parquet'],
    ['landing/données/été €/日本語 🚀.csv', 'parquet/données/été €/日本語 🚀.parquet'],
    ['landing/year=2026/month=11/part-0.csv', 'parquet/year=2026/month=11/part-0.parquet'],
    ['landing/..csv', 'parquet/..parquet'],
    ['landing/.csv', 'parquet/unnamed.parquet'],
  ])('%s → %s', (input, expected) => {
    expect(outputKey(input, 'landing/', 'parquet/', 'parquet')).toBe(expected);
  });

  test('`..` and `.` segments cannot leave the output prefix', () => {
    expect(outputKey('landing/../../etc/passwd.csv', 'landing/', 'out/', 'avro')).toBe('out/etc/passwd.avro');
    expect(outputKey('landing/./a/./../b.csv', 'landing/', 'out/', 'avro')).toBe('out/a/b.avro');
    expect(outputKey('../x.csv', '', 'out/', 'avro')).toBe('out/x.avro');
  });

  test('rejects go beside the output as <stem>.rejects.csv', () => {
    expect(outputKey('landing/2026/orders.csv.gz', 'landing/', 'avro/', 'avro', 'rejects')).toBe(
      'avro/2026/orders.rejects.csv',
    );
  });

  test('a key outside the input prefix keeps its whole path; an output prefix without a slash gets one', () => {
    expect(outputKey('other/x.csv', 'landing/', 'parquet', 'parquet')).toBe('parquet/other/x.parquet');
    expect(outputKey('x.csv', '', '', 'parquet')).toBe('x.parquet');
  });

  test('property: every output key starts with the output prefix and has no `..` segment', () => {
    const segment = fc.oneof(
      fc.constantFrom('..', '.', '', 'a', '%2e%2e', ' ', '#', '+'),
      fc.string({ unit: 'grapheme', maxLength: 6 }),
    );
    fc.assert(
      fc.property(
        fc.array(segment, { maxLength: 6 }),
        fc.constantFrom('.csv', '.tsv.gz', ''),
        (parts, ext) => {
          const key = `in/${parts.join('/')}${ext}`;
          for (const kind of ['output', 'rejects'] as const) {
            const out = outputKey(key, 'in/', 'lake/parquet/', 'parquet', kind);
            expect(out.startsWith('lake/parquet/')).toBe(true);
            expect(out.split('/')).not.toContain('..');
            expect(out.endsWith(kind === 'output' ? '.parquet' : '.rejects.csv')).toBe(true);
          }
        },
      ),
    );
  });
});

describe('isCsvKey', () => {
  test.each([
    ['a/b.csv', true],
    ['a/b.CSV.gz', true],
    ['a/b.tsv', true],
    ['a/b.txt.GZ', true],
    ['a/', false],
    ['a/b.csv/', false],
    ['a/b.json', false],
    ['a/b.csv.zip', false],
    ['a/b.gz', false],
  ])('%s → %s', (key, expected) => {
    expect(isCsvKey(key)).toBe(expected);
  });

  test('suffixes are configurable', () => {
    expect(isCsvKey('a/b.dat', ['.dat'])).toBe(true);
    expect(isCsvKey('a/b.csv', ['.dat'])).toBe(false);
  });
});

test('zstd-compressed CSV keys are CSV keys, and their outputs drop both suffixes like gzip ones', () => {
  for (const key of ['in/a.csv.zst', 'in/a.CSV.ZST', 'in/a.tsv.Zst']) expect(isCsvKey(key)).toBe(true);
  expect(isCsvKey('in/a.zst')).toBe(false);
  expect(outputKey('in/orders.csv.zst', 'in/', 'parquet/', 'parquet')).toBe('parquet/orders.parquet');
  expect(outputKey('in/orders.CSV.GZ', 'in/', 'avro/', 'avro', 'rejects')).toBe('avro/orders.rejects.csv');
  expect(outputStem('/data/day.txt.zst')).toBe('day');
});
