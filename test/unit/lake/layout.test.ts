import fc from 'fast-check';
import { InvalidOptionsError } from '../../../lambdas/core/model/errors';
import { isCsvKey } from '../../../lambdas/io/object-key';
import {
  checkOutputOutsideInput,
  dataKey,
  DEFAULT_DATASET_PATTERN,
  locateKey,
  outputFileName,
  parseKeyPattern,
  rejectsKey,
  tableLocation,
  type DatasetLayout,
} from '../../../lambdas/lake/layout';
import { DatasetLayoutError } from '../../../lambdas/shared/errors';

const byDefault: DatasetLayout = { root: 'incoming/', pattern: DEFAULT_DATASET_PATTERN };
const daily: DatasetLayout = { root: 'incoming/', pattern: '{dataset}/{dt}/{file}' };

describe('parseKeyPattern', () => {
  test.each([
    ['{dataset}/**/{file}', []],
    ['{dataset}/{file}', []],
    ['{dataset}/{dt}/{file}', ['dt']],
    ['exports/{dataset}/year={year}/{month}/**/{file}', ['year', 'month']],
    ['**/{dataset}/{file}', []],
  ])('%s has partitions %j', (pattern, partitions) => {
    expect(parseKeyPattern(pattern)).toEqual({ text: pattern, partitions });
  });

  test.each([
    ['', /is empty/],
    ['{dt}/{file}', /no \{dataset\}/],
    ['{dataset}/{file}/{dt}', /\{file\} must be the whole last segment/],
    ['{dataset}/x_{file}', /\{file\} must be the whole last segment/],
    ['{dataset}/{dt}', /must end with \{file\}/],
    ['{dataset}/**', /must end with \{file\}, not "\*\*"/],
    ['{dataset}/**/x/**/{file}', /"\*\*" appears twice/],
    ['{dataset}/{dt}/{dt}/{file}', /\{dt\} is used twice/],
    ['{dataset}/{Day}/{file}', /partition name "Day" is not a lake column name/],
    ['{dataset}/{1st}/{file}', /partition name "1st" is not a lake column name/],
    ['{dataset}/{}/{file}', /partition name "" is not a lake column name/],
    ['/{dataset}/{file}', /empty segment/],
    ['{dataset}//{file}', /empty segment/],
    ['{dataset}/{file}/', /empty segment/],
    ['{dataset}/*/{file}', /has a "\*"/],
    ['{dataset}/{a}{b}/{file}', /more than one \{name\}/],
    ['{dataset}/{dt/{file}', /unmatched brace|more than one/],
    ['{dataset}/dt}/{file}', /unmatched brace/],
  ])('%j is refused: %s', (pattern, message) => {
    const attempt = () => parseKeyPattern(pattern);
    expect(attempt).toThrow(InvalidOptionsError);
    expect(attempt).toThrow(message);
    expect(attempt).toThrow(/a valid pattern: "\{dataset\}\/\{dt\}\/\{file\}"/);
  });
});

describe('locateKey', () => {
  test('the default pattern: the top-level folder is the dataset, the folders below are kept', () => {
    expect(locateKey('incoming/orders/2026/11/day.csv.gz', byDefault)).toEqual({
      dataset: 'orders',
      partitions: [],
      subpath: '2026/11',
      file: 'day.csv.gz',
    });
    expect(locateKey('incoming/Orders/day.csv', byDefault)).toEqual({
      dataset: 'Orders',
      partitions: [],
      subpath: '',
      file: 'day.csv',
    });
  });

  test.each([
    ['incoming/orders.csv', 'orders', 'orders.csv'],
    ['incoming/orders.csv.gz', 'orders', 'orders.csv.gz'],
    ['incoming/crm contacts.TSV.ZST', 'crm contacts', 'crm contacts.TSV.ZST'],
  ])(
    'a file directly under the root, %s, is its own dataset %s whatever the pattern',
    (key, dataset, file) => {
      expect(locateKey(key, daily)).toEqual({ dataset, partitions: [], subpath: '', file });
    },
  );

  test('named parts other than dataset and file are partitions, in pattern order', () => {
    const layout = { root: 'in/', pattern: '{dataset}/year={year}/{month}/**/{file}' };

    const location = locateKey('in/sales/year=2026/11/eu/west/x.csv', layout);

    expect(location).toEqual({
      dataset: 'sales',
      partitions: [
        { name: 'year', value: '2026' },
        { name: 'month', value: '11' },
      ],
      subpath: 'eu/west',
      file: 'x.csv',
    });
  });

  test('a root without a final slash is a key prefix whose "/" belongs to it; root "" is the bucket', () => {
    expect(
      locateKey('incoming/orders/a.csv', { root: 'incoming', pattern: '{dataset}/{file}' }).dataset,
    ).toBe('orders');
    expect(locateKey('orders/a.csv', { root: '', pattern: '{dataset}/{file}' }).dataset).toBe('orders');
  });

  test('** before the dataset: the dataset is the folder above the file', () => {
    const layout = { root: '', pattern: '**/{dataset}/{file}' };

    expect(locateKey('a/b/orders/x.csv', layout)).toEqual({
      dataset: 'orders',
      partitions: [],
      subpath: 'a/b',
      file: 'x.csv',
    });
  });

  test.each([
    ['other/orders/a.csv', daily, /not under the input prefix/],
    ['incoming/orders/a.csv', daily, /has 2 path segments, the pattern 3/],
    ['incoming/orders/2026/11/a.csv', daily, /has 4 path segments, the pattern 3/],
    ['incoming/orders/a.csv', { root: 'incoming/', pattern: '{dataset}/**/dt={dt}/{file}' }, /at least 3/],
    [
      'incoming/orders/day=1/a.csv',
      { root: 'incoming/', pattern: '{dataset}/dt={dt}/{file}' },
      /"day=1" does not match "dt=\{dt\}"/,
    ],
    [
      'incoming/orders/dt=/a.csv',
      { root: 'incoming/', pattern: '{dataset}/dt={dt}/{file}' },
      /"dt=" does not match/,
    ],
    [
      'incoming/x/orders/a.csv',
      { root: 'incoming/', pattern: 'exports/{dataset}/{file}' },
      /segment "x" is not "exports"/,
    ],
    [
      'incoming/Exports/orders/a.csv',
      { root: 'incoming/', pattern: 'exports/{dataset}/{file}' },
      /is not "exports"/,
    ],
    ['incoming/orders//a.csv', byDefault, /empty, "." or ".." path segment/],
    ['incoming/../a.csv', byDefault, /empty, "." or ".." path segment/],
    ['incoming/orders/./a.csv', byDefault, /empty, "." or ".." path segment/],
    ['incoming/orders/', byDefault, /empty, "." or ".." path segment/],
    ['incoming/.csv', byDefault, /has none/],
    [
      'incoming/ds_./a.csv',
      { root: 'incoming/', pattern: 'ds_{dataset}/{file}' },
      /dataset name "\." is not a folder name/,
    ],
  ])('%s is refused: %s', (key, layout, message) => {
    const attempt = () => locateKey(key, layout);
    expect(attempt).toThrow(DatasetLayoutError);
    expect(attempt).toThrow(message);
    expect(attempt).toThrow(key);
    expect(attempt).toThrow(layout.pattern);
    expect(attempt).toThrow(
      /move the file or change the dataset pattern \(csv2lake:datasetPattern \/ --pattern\)/,
    );
  });

  test('an invalid pattern is an options error, not a key error', () => {
    expect(() => locateKey('incoming/a/b.csv', { root: 'incoming/', pattern: '{file}' })).toThrow(
      InvalidOptionsError,
    );
  });
});

describe('outputFileName', () => {
  test.each([
    ['day.csv', 'day.parquet'],
    ['day.txt', 'day.txt.parquet'],
    ['day.tsv', 'day.tsv.parquet'],
    ['day.csv.gz', 'day.csv.gz.parquet'],
    ['day.csv.zst', 'day.csv.zst.parquet'],
    ['x.txt.csv', 'x.txt.csv.parquet'],
    ['x.gz.csv', 'x.gz.csv.parquet'],
    ['x.CSV.csv', 'x.CSV.csv.parquet'],
    ['day.CSV', 'day.CSV.parquet'],
    ['report.final.csv', 'report.final.parquet'],
    ['.csv', '.csv.parquet'],
    ['..csv', '..parquet'],
  ])('%s → %s', (file, expected) => {
    expect(outputFileName(file, 'parquet')).toBe(expected);
  });

  test('the extension may come with its dot; rejects use the same rule', () => {
    expect(outputFileName('day.csv', '.avro')).toBe('day.avro');
    expect(outputFileName('day.txt', 'rejects.csv')).toBe('day.txt.rejects.csv');
  });

  test('configured suffixes join the known ones: x.dat.csv keeps its name when .dat makes a CSV key', () => {
    expect(outputFileName('x.dat.csv', 'parquet')).toBe('x.dat.parquet');
    expect(outputFileName('x.dat.csv', 'parquet', ['.csv', '.dat', '.gz', '.zst'])).toBe('x.dat.csv.parquet');
  });

  test('property: two different CSV file names never get one output name', () => {
    const piece = fc.constantFrom(
      '.csv',
      '.CSV',
      '.tsv',
      '.Txt',
      '.gz',
      '.GZ',
      '.zst',
      '.',
      'c',
      'sv',
      'day',
      'x',
    );
    const name = fc.array(piece, { minLength: 1, maxLength: 6 }).map((parts) => parts.join(''));

    fc.assert(
      fc.property(name, name, fc.constantFrom('parquet', 'avro', 'rejects.csv'), (a, b, ext) => {
        fc.pre(a !== b && isCsvKey(a) && isCsvKey(b));
        expect(outputFileName(a, ext)).not.toBe(outputFileName(b, ext));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('output keys', () => {
  const location = {
    dataset: 'Orders',
    partitions: [{ name: 'dt', value: '2026-11-24' }],
    subpath: 'eu/west',
    file: 'day.csv.gz',
  };

  test('dataKey: table location, partitions, the ** folders, the output name', () => {
    expect(dataKey(location, 'parquet/', 'parquet')).toBe(
      'parquet/Orders/dt=2026-11-24/eu/west/day.csv.gz.parquet',
    );
    expect(dataKey({ ...location, partitions: [], subpath: '' }, 'lake/avro', 'avro')).toBe(
      'lake/avro/Orders/day.csv.gz.avro',
    );
  });

  test('rejectsKey: under _rejects/, never under a table location', () => {
    expect(rejectsKey(location)).toBe('_rejects/Orders/dt=2026-11-24/eu/west/day.csv.gz.rejects.csv');
  });

  test('tableLocation ends with one slash', () => {
    expect(tableLocation('parquet/', 'orders')).toBe('parquet/orders/');
    expect(tableLocation('parquet', 'orders')).toBe('parquet/orders/');
    expect(tableLocation('', 'orders')).toBe('orders/');
  });

  test('partition values are kept as in the key', () => {
    const key = locateKey('in/o/a b%3A=c/x.csv', { root: 'in/', pattern: '{dataset}/{when}/{file}' });

    expect(dataKey(key, 'parquet/', 'parquet')).toBe('parquet/o/when=a b%3A=c/x.parquet');
  });

  test('outputs depend on the CONFIGURED root, never on the narrower prefix an execution listed', () => {
    // A run narrowed to incoming/orders/2026-11-24/ lists this very key; it is located under the root.
    const key = 'incoming/orders/2026-11-24/day.csv';

    const configured = dataKey(locateKey(key, daily), 'parquet/', 'parquet');
    const narrowed = dataKey(
      locateKey(key, { ...daily, root: 'incoming/orders/2026-11-24/' }),
      'parquet/',
      'parquet',
    );

    expect(configured).toBe('parquet/orders/dt=2026-11-24/day.parquet');
    // What the narrowed prefix would have given: why the layout takes the configured one.
    expect(narrowed).toBe('parquet/day/day.parquet');
  });

  test('property: distinct CSV keys of one layout get distinct data and rejects keys', () => {
    const segment = fc.constantFrom('a', 'b', 'dt=1', 'x.csv', 'y.CSV', 'z.txt', 'z.txt.csv', 'w.csv.gz');
    const key = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `in/${s.join('/')}`);
    const layouts = [
      { root: 'in/', pattern: '{dataset}/**/{file}' },
      { root: 'in/', pattern: '{dataset}/{p}/**/{file}' },
    ];

    fc.assert(
      fc.property(key, key, fc.constantFrom(...layouts), (a, b, layout) => {
        // A top-level file and a file of the same name in its dataset's folder share a location (documented).
        fc.pre(a !== b && isCsvKey(a) && isCsvKey(b) && a.split('/').length > 3 && b.split('/').length > 3);
        const la = locateKey(a, layout);
        const lb = locateKey(b, layout);
        expect(dataKey(la, 'parquet/', 'parquet')).not.toBe(dataKey(lb, 'parquet/', 'parquet'));
        expect(rejectsKey(la)).not.toBe(rejectsKey(lb));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('checkOutputOutsideInput', () => {
  test('an output inside the input is refused, saying which is inside which', () => {
    expect(() =>
      checkOutputOutsideInput({ bucket: 'b', prefix: 'in/' }, { bucket: 'b', prefix: 'in/out/' }),
    ).toThrow(
      new InvalidOptionsError(
        'the output s3://b/in/out/ is inside the input s3://b/in/: the next run would convert its own outputs; ' +
          'choose an output outside the input',
      ),
    );
  });

  test('an input inside the output is refused', () => {
    expect(() =>
      checkOutputOutsideInput({ bucket: 'b', prefix: 'out/in' }, { bucket: 'b', prefix: 'out' }),
    ).toThrow(
      /the input s3:\/\/b\/out\/in\/ is inside the output s3:\/\/b\/out\/: .*choose an input outside the output/,
    );
  });

  test.each([
    [{ bucket: 'b', prefix: 'data/' }, { bucket: 'b', prefix: 'data' }, /is the input/],
    [{ bucket: 'b', prefix: '' }, { bucket: 'b', prefix: 'out/' }, /inside the input s3:\/\/b\//],
    [
      { bucket: 'b', prefix: 'in/' },
      { bucket: 'b', prefix: '' },
      /the input s3:\/\/b\/in\/ is inside the output/,
    ],
    [{ bucket: 'b', prefix: 'in' }, { bucket: 'b', prefix: 'inbox/' }, /inside the input s3:\/\/b\/in:/],
    [
      { bucket: '', prefix: '/data/in' },
      { bucket: '', prefix: '/data/in/out/' },
      /the output \/data\/in\/out\/ is inside the input \/data\/in:/,
    ],
    [{ bucket: '', prefix: '/data/in/' }, { bucket: '', prefix: '/data/in' }, /is the input/],
    [
      { bucket: '', prefix: '/data/out/in' },
      { bucket: '', prefix: '/data/out//' },
      /the input \/data\/out\/in\/ is inside the output \/data\/out\//,
    ],
  ])('%j and %j are refused: %s', (input, output, message) => {
    expect(() => checkOutputOutsideInput(input, output)).toThrow(InvalidOptionsError);
    expect(() => checkOutputOutsideInput(input, output)).toThrow(message);
  });

  test.each([
    [
      { bucket: 'a', prefix: 'in/' },
      { bucket: 'b', prefix: 'in/' },
    ],
    [
      { bucket: 'b', prefix: 'in/' },
      { bucket: 'b', prefix: 'out/' },
    ],
    [
      { bucket: 'b', prefix: 'in/' },
      { bucket: 'b', prefix: 'inbox/' },
    ],
    [
      { bucket: '', prefix: '/data/in' },
      { bucket: '', prefix: '/data/inbox' },
    ],
    [
      { bucket: '', prefix: '/data/in/' },
      { bucket: '', prefix: '/data/out/' },
    ],
  ])('%j and %j are apart', (input, output) => {
    expect(() => checkOutputOutsideInput(input, output)).not.toThrow();
  });
});
