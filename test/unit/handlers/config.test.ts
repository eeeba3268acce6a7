import { createConverterHandler } from '../../../lambdas/handlers/converter-handler';
import { createReduceHandler } from '../../../lambdas/handlers/reduce';
import { converterConfig, ENV, s3ClientConfig } from '../../../lambdas/shared/config';
import { MemoryObjectStore } from '../../support/memory-store';
import { runContext } from '../../support/run-context';

test('converter configuration: defaults, and each bad variable named when the function is built', () => {
  expect(converterConfig({ [ENV.FORMAT]: 'avro' })).toEqual({
    format: 'avro',
    csv: {},
    nullTokens: [],
    maxRejects: 1000,
    limits: {},
    throughputMBps: 40,
    rangeBytes: 1 << 30,
  });
  expect(converterConfig({ [ENV.FORMAT]: 'avro', [ENV.RANGE_BYTES]: String(2 << 20) }).rangeBytes).toBe(
    2 << 20,
  );
  expect(
    converterConfig({
      [ENV.FORMAT]: 'parquet',
      [ENV.NULL_TOKENS]: '["NA","-"]',
      [ENV.SCHEMA_LOCATION]: 's3://cfg/schema.json',
    }),
  ).toMatchObject({ nullTokens: ['NA', '-'], schemaLocation: 's3://cfg/schema.json' });
  expect(() => converterConfig({})).toThrow(/CSV2LAKE_FORMAT must be parquet or avro/);
  const build = (env: NodeJS.ProcessEnv) => () => createConverterHandler('parquet', { env });
  expect(build({ [ENV.NULL_TOKENS]: 'NA' })).toThrow(/CSV2LAKE_NULL_TOKENS must be JSON/);
  expect(build({ [ENV.NULL_TOKENS]: '[1]' })).toThrow(/CSV2LAKE_NULL_TOKENS must be a JSON array of strings/);
  expect(build({ [ENV.MAX_REJECTS]: '-1' })).toThrow(/CSV2LAKE_MAX_REJECTS/);
  expect(build({ [ENV.THROUGHPUT_MBPS]: 'fast' })).toThrow(/CSV2LAKE_THROUGHPUT_MBPS/);
  expect(build({ [ENV.RANGE_BYTES]: '1000' })).toThrow(
    /CSV2LAKE_RANGE_BYTES must be a whole number of bytes >= 1048576/,
  );
  expect(build({ [ENV.MAX_COLUMNS]: '0' })).toThrow(/CSV2LAKE_MAX_COLUMNS must be a whole number > 0, not 0/);
  expect(build({ [ENV.MAX_FIELD_BYTES]: '1.5' })).toThrow(/CSV2LAKE_MAX_FIELD_BYTES/);
  expect(build({ [ENV.S3_ENDPOINT]: 'localhost:9000' })).toThrow(/CSV2LAKE_S3_ENDPOINT must be an http/);
});

test('CSV options from the environment: every key of the dialect, each bad one named when the function is built', () => {
  const csv = { delimiter: ';', header: false, encoding: 'latin1', quote: '', comment: '#', skipRows: 2 };
  expect(converterConfig({ [ENV.FORMAT]: 'avro', [ENV.CSV_OPTIONS]: JSON.stringify(csv) }).csv).toEqual(csv);
  const build = (options: string) => () =>
    createConverterHandler('parquet', { env: { [ENV.CSV_OPTIONS]: options } });
  expect(build('[]')).toThrow(/CSV2LAKE_CSV_OPTIONS must be a JSON object/);
  expect(build('{"delim": ","}')).toThrow(
    /CSV2LAKE_CSV_OPTIONS: unknown key "delim"; known: delimiter, header/,
  );
  expect(build('{"header": "no"}')).toThrow(/CSV2LAKE_CSV_OPTIONS: header must be a boolean, not "no"/);
  expect(build('{"quote": "ab"}')).toThrow(/CSV2LAKE_CSV_OPTIONS: quote "ab" is not usable/);
  expect(build('{"encoding": "utf-16"}')).toThrow(/CSV2LAKE_CSV_OPTIONS: encoding "utf-16" is not one of/);
  expect(build('{"quote": "", "escape": "\\\\"}')).toThrow(/escape "\\\\" needs quoting/);
  expect(build('{"skipRows": -1}')).toThrow(/skip rows must be a whole number >= 0, not -1/);
});

test('input limits from the environment reach the conversion: a row wider than CSV2LAKE_MAX_COLUMNS fails the file', async () => {
  expect(
    converterConfig({ [ENV.FORMAT]: 'avro', [ENV.MAX_FIELD_BYTES]: '1024', [ENV.MAX_ROW_BYTES]: '4096' })
      .limits,
  ).toEqual({ maxFieldBytes: 1024, maxRowBytes: 4096 });
  const store = new MemoryObjectStore();
  await store.put('in', 'wide.csv', 'a,b,c\n1,2,3\n');
  const item = {
    bucket: 'in',
    key: 'wide.csv',
    etag: '"e"',
    size: 12,
    run: runContext('r', { inputPrefix: '' }),
  };
  const narrow = createConverterHandler('parquet', { store, env: { [ENV.MAX_COLUMNS]: '2' } });
  await expect(narrow(item)).rejects.toMatchObject({ name: 'MalformedCsvError', message: /column/ });
  const wide = createConverterHandler('parquet', { store, env: { [ENV.MAX_COLUMNS]: '3' } });
  expect(await wide(item)).toMatchObject({ status: 'converted', rows: 1 });
});

test('S3 client settings: nothing on AWS; endpoint with path-style for a local server', () => {
  expect(s3ClientConfig({})).toEqual({});
  expect(s3ClientConfig({ [ENV.S3_ENDPOINT]: 'http://127.0.0.1:4566' })).toEqual({
    endpoint: 'http://127.0.0.1:4566',
    forcePathStyle: true,
  });
  expect(s3ClientConfig({ [ENV.S3_FORCE_PATH_STYLE]: 'true' })).toEqual({ forcePathStyle: true });
  expect(() => s3ClientConfig({ [ENV.S3_FORCE_PATH_STYLE]: 'yes' })).toThrow(/true or false/);
});

test('reducer configuration: bad prices fail when built; a status event without run defaults is refused', async () => {
  expect(() => createReduceHandler({ env: { CSV2LAKE_PRICES: '{oops' } })).toThrow(
    /CSV2LAKE_PRICES must be JSON/,
  );
  const reduce = createReduceHandler({ store: new MemoryObjectStore(), env: {} });
  await expect(reduce({ detail: { name: 'r1', status: 'FAILED' } })).rejects.toThrow(
    /CSV2LAKE_DEFAULT_RUN .* is needed for execution status events/,
  );
});

test('overridden unit prices change the cost estimate', async () => {
  const store = new MemoryObjectStore();
  const run = runContext('r1', { inputPrefix: '', outputPrefixes: { parquet: 'p/', avro: 'a/' } });
  const cost = async (env: NodeJS.ProcessEnv) => {
    const result = await createReduceHandler({ store, env })({ run });
    return JSON.parse(store.text('out', result.reportKey)!).cost;
  };
  const base = await cost({});
  const pricier = await cost({ CSV2LAKE_PRICES: JSON.stringify({ stateTransition: 1 }) });
  expect(pricier.prices.stateTransition).toBe(1);
  expect(pricier.usd).toBeGreaterThan(base.usd);
  expect(pricier.stateTransitions).toBe(base.stateTransitions);
});
