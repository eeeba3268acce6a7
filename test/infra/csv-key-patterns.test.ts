/*
 * The IsCsv Choice and the batched converters decide alike which keys are CSV, in every case mix: the
 * Choice's generated StringMatches patterns (matched as Step Functions matches them) accept exactly the keys
 * isCsvKey accepts, which the converters apply to batched items.
 */
import fc from 'fast-check';
import { CSV_SUFFIXES, isCsvKey } from '../../lambdas/io/object-key';
import { stringMatches } from '../../lib/local/local-definition';
import { buildDefinition, csvKeyPatterns, MAX_CSV_KEY_PATTERNS, STATES } from '../../lib/workflow/definition';

const settings = {
  formats: ['parquet', 'avro'] as const,
  inputPrefix: '',
  outputPrefixes: { parquet: 'parquet/', avro: 'avro/' },
  maxConcurrency: 5,
  taskTimeoutSeconds: 930,
};

const choiceAccepts = (patterns: readonly string[], key: string) =>
  patterns.some((p) => stringMatches(p, key));

test('every case mix of a suffix, with or without .gz or .zst in any case, is CSV; other keys are not', () => {
  const patterns = csvKeyPatterns(CSV_SUFFIXES);
  for (const key of [
    'a.csv',
    'a.Csv',
    'a.CSV',
    'a.cSv',
    'a.CSV.GZ',
    'a.Csv.Gz',
    'a.csv.gZ',
    'dir/b.TsV',
    'c.TXT.gz',
    '.csv',
    'a\nb.Csv',
    'a.csv.zst',
    'a.CSV.ZST',
    'd.tsv.ZsT',
  ])
    expect([key, choiceAccepts(patterns, key)]).toEqual([key, true]);
  for (const key of [
    'a.csvx',
    'a.gz',
    'a.csv.gz.gz',
    'a.cs',
    'folder/',
    'a.csv.zip',
    'a.parquet',
    'csv',
    'a.zst',
    'a.csv.zst.gz',
  ])
    expect([key, choiceAccepts(patterns, key)]).toEqual([key, false]);
  // 3 letters: 8 mixes, each alone, with the 4 mixes of .gz and with the 8 of .zst.
  expect(patterns).toHaveLength(3 * 8 * (1 + 4 + 8));
});

test('the Choice and isCsvKey (the batched path) agree on generated keys, for the defaults and other suffixes', () => {
  const alphabet = fc.constantFrom(...'aAcCsSvVtTxXgGzZpP.-/\n*\\'.split(''));
  for (const suffixes of [CSV_SUFFIXES, ['.psv'], ['.dat.txt', '.c*v']]) {
    const patterns = csvKeyPatterns(suffixes);
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 14 }).map((cs) => cs.join('')),
        fc.constantFrom(...suffixes, ''),
        fc.constantFrom('', '.gz', '.GZ', '.Gz', '.zst', '.ZST', '.zSt'),
        (stem, suffix, gz) => {
          // Keys near the suffixes (in some case mix), and random ones.
          const mixed = [...suffix].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join('');
          const key = stem + mixed + gz;
          expect(choiceAccepts(patterns, key)).toBe(isCsvKey(key, suffixes));
        },
      ),
      { numRuns: 500 },
    );
  }
});

test('the Choice of both maps uses the patterns; a batched definition carries the suffixes to the converters', () => {
  const asl = buildDefinition({ ...settings, suffixes: ['.psv'] }) as any;
  for (const [map, prefix] of [
    [asl.States[STATES.convertFiles], ''],
    [asl.States[STATES.retryFailed], 'Retry'],
  ]) {
    const rules = map.ItemProcessor.States[prefix + STATES.isCsv].Choices[0].Or;
    expect(rules.map((r: any) => r.StringMatches).sort()).toEqual(csvKeyPatterns(['.psv']).sort());
    expect(rules.every((r: any) => r.Variable === '$.key')).toBe(true);
  }
  const batched = buildDefinition({ ...settings, itemBatching: { maxItemsPerBatch: 10 } }) as any;
  for (const name of [STATES.convertFiles, STATES.retryFailed])
    expect(batched.States[name].ItemBatcher.BatchInput).toEqual({
      'run.$': '$.run',
      suffixes: [...CSV_SUFFIXES],
    });
});

test('suffixes that cannot be spelled in patterns are refused at synthesis, naming them', () => {
  expect(() => csvKeyPatterns(['.çsv'])).toThrow(/"\.çsv": only ASCII suffixes/);
  expect(() => csvKeyPatterns(['.parquetcsv'])).toThrow(
    new RegExp(`need \\d+ case patterns in the IsCsv Choice, over ${MAX_CSV_KEY_PATTERNS}`),
  );
});
