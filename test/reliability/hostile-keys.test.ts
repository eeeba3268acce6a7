/*
 * Hostile and odd keys through the whole workflow on fauxqs: output keys derived safely (never outside the
 * output prefix), outputs that round-trip to their input, keys reported exactly as they are; and execution
 * input pointing outside the configured bucket or prefix refused by the definition before any work.
 */
import './quiet';
import type { S3Client } from '@aws-sdk/client-s3';
import { StateMachine } from 'aws-local-stepfunctions';
import { localize } from '../../lib/local/local-definition';
import { synthesizedDefinition } from '../../lib/local/synth';
import { type Invocation, LocalRunner } from '../../lib/local/runner';
import { readAvro, readParquetWithDuckDB } from '../support/readers';
import { startS3Server, type S3Server } from '../support/s3-server';
import { download, listAll, putObject, readReport, reportedKeys } from './helpers';

jest.setTimeout(120_000);

let server: S3Server;
let s3: S3Client;
beforeAll(async () => {
  server = await startS3Server();
  s3 = server.client();
  await server.createBucket('hostile-in');
  await server.createBucket('hostile-out');
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
});
afterAll(() => server?.stop());

/**
 * Input key → the output path below `parquet/` and `avro/` (without extension). A file directly under the
 * prefix is a dataset named after its stem (`in/a+b.csv` → `a+b/a+b`); one in a folder belongs to the dataset
 * of its top folder.
 */
const CASES: Record<string, string> = {
  'in/with space.csv': 'with space/with space',
  'in/ünïcödé/日本語 🚀.csv': 'ünïcödé/日本語 🚀',
  'in/a+b.csv': 'a+b/a+b',
  'in/100%25 and 100%.csv': '100%25 and 100%/100%25 and 100%',
  'in/year=2026/month=11/part.csv': 'year=2026/month=11/part',
  'in/hash#tag?x=1&y.csv': 'hash#tag?x=1&y/hash#tag?x=1&y',
  'in/quote\'s "and" back\\slash.csv': 'quote\'s "and" back\\slash/quote\'s "and" back\\slash',
  [`in/long/${'long-name-'.repeat(90)}.csv`]: `long/${'long-name-'.repeat(90)}`,
};
/**
 * Keys with a `..`, `.` or empty segment: the lake refuses them (DatasetLayoutError, a data error), where the
 * old key derivation dropped those segments, so that `in/./dot//double-slash.csv` and `in/dot/double-slash.csv`
 * would have written one output. Nothing is written for them, inside the output prefix or out of it.
 */
const REFUSED = ['in/../escape.csv', 'in/deep/../../../etc/passwd.csv', 'in/./dot//double-slash.csv'];
/** A long name directly under the prefix: its stem is its dataset, so the name is twice in the output key. */
const LONG_TOP = `in/${'long-name-'.repeat(90)}.csv`;
/** 1,020 bytes: a valid S3 key whose output key would not be (S3 allows 1,024 bytes). */
const TOO_LONG = `in/${'x'.repeat(1013)}.csv`;

test('hostile keys: outputs stay under their prefix, round-trip, and every key is reported as it is', async () => {
  const keys = Object.keys(CASES);
  for (const [i, key] of keys.entries())
    await putObject(s3, 'hostile-in', key, `n,key\n${i},"${key.replaceAll('"', '""')}"\n`);
  const failing = [...REFUSED, LONG_TOP, TOO_LONG];
  for (const key of failing) await putObject(s3, 'hostile-in', key, 'n\n1\n');
  const invocations: Invocation[] = [];
  const result = await LocalRunner.run({
    input: { kind: 's3', bucket: 'hostile-in', prefix: 'in/' },
    output: { kind: 's3', bucket: 'hostile-out', prefix: '' },
    endpoint: server.endpoint,
    retryIntervalMs: 1,
    invocations,
  });
  expect(Buffer.byteLength(TOO_LONG)).toBe(1020);
  expect(result).toMatchObject({
    status: 'FAILED',
    items: { total: keys.length + failing.length, converted: keys.length, failed: failing.length },
  });

  // Exactly the expected objects, all under parquet/ and avro/, with each dataset's schema under _schemas/
  // and its two tables (Glue names, lower_snake) under _catalog/ (plus run state under _runs/).
  // (and the inventory the plan of the next run compares with, under _state/).
  const listed = (await listAll(s3, 'hostile-out')).map((o) => o.key).filter((k) => !k.startsWith('_runs/'));
  const expected = Object.values(CASES).flatMap((p) => [`parquet/${p}.parquet`, `avro/${p}.avro`]);
  const datasets = [...new Set(Object.values(CASES).map((p) => p.split('/')[0]!))];
  expected.push(...datasets.map((d) => `_schemas/${d}.json`));
  const tables = ['with_space', 'unicode', 'a_b', '_100_25_and_100', 'year_2026', 'hash_tag_x_1_y'];
  tables.push('quote_s_and_back_slash', 'long');
  expected.push(
    ...tables.flatMap((t) => [`_catalog/csv2lake/${t}.json`, `_catalog/csv2lake/${t}_avro.json`]),
  );
  expected.push('_state/inventory/hostile-in/in/inventory.jsonl');
  expect(listed.sort()).toEqual(expected.sort());

  // Each output holds its own input's row: no two keys were confused on the way. `n` is an int64 (BIGINT):
  // DuckDB renders it as text, avsc (longs as BigInt here) as a BigInt.
  for (const [i, key] of keys.entries()) {
    const path = CASES[key]!;
    expect(
      (await readParquetWithDuckDB(await download(s3, 'hostile-out', `parquet/${path}.parquet`))).rows,
    ).toEqual([[String(i), key]]);
    expect((await readAvro(await download(s3, 'hostile-out', `avro/${path}.avro`))).rows).toEqual([
      { n: BigInt(i), key },
    ]);
  }

  const report = await readReport(s3, 'hostile-out', result.runId);
  expect(reportedKeys(report)).toEqual([...keys, ...failing].sort());
  // The keys whose output cannot exist fail fast (no retry), saying why and what to do.
  const refusal = (input: string, key: string, bytes: number) =>
    `s3://hostile-in/${input}: its output key ${key.slice(0, 24)}…${key.slice(-24)} would be ${bytes} ` +
    `bytes, over S3's 1024-byte limit; shorten the input key (or the output prefix)`;
  const tooLong = (input: string) => {
    const stem = input.slice('in/'.length, -'.csv'.length);
    // The stem is the dataset and the file name: it is twice in the key.
    return [
      {
        format: 'avro',
        type: 'OutputKeyTooLongError',
        message: refusal(input, `avro/${stem}/${stem}.avro`, 2 * Buffer.byteLength(stem) + 11),
      },
      {
        format: 'parquet',
        type: 'OutputKeyTooLongError',
        message: refusal(input, `parquet/${stem}/${stem}.parquet`, 2 * Buffer.byteLength(stem) + 17),
      },
    ];
  };
  const misplaced = (input: string) =>
    ['avro', 'parquet'].map((format) => ({
      format,
      type: 'DatasetLayoutError',
      message:
        `key "${input}" does not fit the dataset pattern "{dataset}/**/{file}" below "in/": it has an empty, ` +
        '"." or ".." path segment; move the file or change the dataset pattern (csv2lake:datasetPattern / --pattern)',
    }));
  expect(report.failures).toEqual(
    [
      ...REFUSED.map((key) => ({ key, errors: misplaced(key) })),
      { key: LONG_TOP, errors: tooLong(LONG_TOP) },
      { key: TOO_LONG, errors: tooLong(TOO_LONG) },
    ].sort((a, b) => (a.key < b.key ? -1 : 1)),
  );
  expect(tooLong(TOO_LONG)[1]!.message).toContain('would be 2043 bytes');
  expect(tooLong(LONG_TOP)[1]!.message).toContain('would be 1817 bytes');
  for (const key of failing) {
    const type = REFUSED.includes(key) ? 'DatasetLayoutError' : 'OutputKeyTooLongError';
    expect(
      invocations
        .filter((i) => i.key === key)
        .map((i) => `${i.state} ${i.outcome}`)
        .sort(),
    ).toEqual([
      `ConvertAvro ${type}`,
      `ConvertParquet ${type}`,
      `RetryConvertAvro ${type}`,
      `RetryConvertParquet ${type}`,
    ]);
  }
});

describe('execution input outside the configured bucket or prefix', () => {
  const definition = synthesizedDefinition({
    inputBucket: 'landing',
    outputBucket: 'lake',
    inputPrefix: 'incoming/',
    formats: ['parquet', 'avro'],
    maxConcurrency: 4,
  });
  const { machine } = localize(definition);
  const runnable = new StateMachine(machine as never, {
    validationOptions: { checkArn: false, checkPaths: false },
  });

  /** Runs the top level of the real definition; every task records its input and stops the run there. */
  async function start(input: unknown): Promise<{ error?: string; calls: { state: string; input: any }[] }> {
    const calls: { state: string; input: any }[] = [];
    const handlers: Record<string, (i: unknown) => Promise<unknown>> = {};
    for (const state of Object.keys(machine.States))
      handlers[state] = async (i) => {
        calls.push({ state, input: i });
        throw Object.assign(new Error('stop here'), { name: 'TestStop' });
      };
    try {
      await runnable.run(input as never, {
        overrides: { taskResourceLocalHandlers: handlers as never },
        context: { Execution: { Name: 'input-check' } } as never,
      }).result;
      return { calls };
    } catch (error) {
      const e = error as Error & { cause?: Error };
      return { error: e.cause?.name ?? e.name, calls };
    }
  }

  test.each([
    ['another bucket', { bucket: 'someone-elses-bucket' }],
    ['another prefix', { prefix: 'outgoing/' }],
    ['the prefix without its slash', { prefix: 'incoming' }],
    ['a prefix that climbs out with ..', { prefix: 'incoming/../secrets/' }],
    ['a prefix ending in ..', { prefix: 'incoming/x/..' }],
    ['a prefix that is not a string', { prefix: 42 }],
    ['the right prefix in another bucket', { bucket: 'other', prefix: 'incoming/x/' }],
  ])('%s is refused with InvalidExecutionInput before any task runs', async (_what, input) => {
    const { error, calls } = await start(input);
    expect(error).toBe('InvalidExecutionInput');
    expect(calls).toEqual([]);
  });

  test.each([
    ['nothing', {}, 'incoming/'],
    ['the configured bucket', { bucket: 'landing' }, 'incoming/'],
    ['a narrower prefix', { prefix: 'incoming/2026-11-24/' }, 'incoming/2026-11-24/'],
  ])(
    '%s is accepted: the plan lists only the configured bucket under the prefix',
    async (_what, input, prefix) => {
      const { error, calls } = await start(input);
      expect(error).toBe('TestStop');
      expect(calls.map((c) => c.state)).toEqual(['Plan']);
      // The Plan task's payload: the run it lists.
      expect(calls[0]!.input.Payload.run).toMatchObject({ inputBucket: 'landing', inputPrefix: prefix });
    },
  );
});
