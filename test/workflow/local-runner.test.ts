/*
 * The whole workflow through the local runner: the synthesized definition on aws-local-stepfunctions,
 * over a folder and over a real S3 protocol server (fauxqs) on loopback; outputs read back by DuckDB and
 * avsc; faults, tolerance, redrive and skip-unchanged.
 */
import './quiet';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { App } from 'aws-cdk-lib';
import { S3TransientError } from '../../lambdas/shared/errors';
import { LOCAL_FUNCTIONS, localize } from '../../lib/local/local-definition';
import { synthesizedDefinition } from '../../lib/local/synth';
import { type Invocation, LocalRunner } from '../../lib/local/runner';
import type { ObjectStore } from '../../lambdas/io/object-store';
import { PipelineStack } from '../../lib/pipeline-stack';
import { substitute } from '../../lib/workflow/definition';
import { readAvro, readParquetWithDuckDB } from '../support/readers';
import { startS3Server, type S3Server } from '../support/s3-server';

function folder(files: Record<string, string>): { input: string; output: string } {
  const root = mkdtempSync(join(tmpdir(), 'runner-'));
  for (const [key, text] of Object.entries(files)) {
    mkdirSync(join(root, 'in', key, '..'), { recursive: true });
    writeFileSync(join(root, 'in', key), text);
  }
  return { input: join(root, 'in'), output: join(root, 'out') };
}

const FILES = {
  'orders/a.csv': 'id,amount\n1,2.5\n2,3.5\n',
  'orders/b.csv.gz': '', // replaced below by gzip bytes
  'crm/contacts.tsv': 'id\tname\n1\tAda\n2\n3\tGrace\n',
  'folder/': '',
  'notes.md': '# not a CSV',
};

function files(): Record<string, string> {
  const { ['folder/']: _marker, ...rest } = FILES;
  return { ...rest, 'orders/b.csv.gz': 'id,amount\n3,4.5\n' };
}

test('the runner executes the definition synthesized from the construct, with only the Distributed Maps replaced', () => {
  const settings = {
    inputBucket: 'in-bucket',
    outputBucket: 'out-bucket',
    inputPrefix: '',
    formats: ['parquet', 'avro'] as const,
    maxConcurrency: 4,
  };
  const local = synthesizedDefinition(settings);
  // The same definition, taken independently from the synthesized template of the deployable stack.
  const app = new App({
    builtinCloudFormationValidation: false,
    context: {
      '@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2': true,
      'aws:cdk:bundling-stacks': [],
    },
  });
  const stack = new PipelineStack(app, 'Parity', {
    inputBucketName: 'in-bucket',
    outputBucketName: 'out-bucket',
    inputPrefix: '',
    maxConcurrency: 4,
    schedule: { enabled: false },
  });
  const template = app.synth().getStackByName(stack.stackName).template as { Resources: Record<string, any> };
  const machine = Object.values(template.Resources).find(
    (r) => r.Type === 'AWS::StepFunctions::StateMachine',
  )!;
  const deployed: any = substitute(JSON.parse(machine.Properties.DefinitionString), {
    ParquetFunctionArn: LOCAL_FUNCTIONS.parquet,
    AvroFunctionArn: LOCAL_FUNCTIONS.avro,
    ReduceFunctionArn: LOCAL_FUNCTIONS.reduce,
    PlanFunctionArn: LOCAL_FUNCTIONS.plan,
    InputBucket: 'in-bucket',
    OutputBucket: 'out-bucket',
  });
  expect(local).toEqual(deployed);
  const { machine: runnable, maps } = localize(local);
  expect(Object.keys(runnable.States)).toEqual(Object.keys(deployed.States));
  expect(Object.keys(maps)).toEqual(['ConvertFiles', 'JoinFiles', 'RetryFailed', 'RetryJoin']);
  expect(maps.ConvertFiles).toEqual(deployed.States.ConvertFiles);
  for (const [name, state] of Object.entries<any>(deployed.States)) {
    if (!(name in maps)) expect([name, runnable.States[name]]).toEqual([name, state]);
  }
  expect(() => localize({ ...local, QueryLanguage: 'JSONata' })).toThrow(/JSONata/);
});

describe('over a folder', () => {
  jest.setTimeout(120_000);

  test('converts every CSV, accounts for every key once, and a second run skips every file without reading it', async () => {
    const dir = folder(files());
    writeFileSync(join(dir.input, 'orders/b.csv.gz'), gzipSync('id,amount\n3,4.5\n'));
    const invocations: Invocation[] = [];
    const result = await LocalRunner.run({
      input: { kind: 'dir', path: dir.input },
      output: { kind: 'dir', path: dir.output },
      invocations,
    });
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      items: { total: 4, converted: 3, skipped: 0, failed: 0 },
      rejectedRows: 1,
    });
    const report = JSON.parse(readFileSync(result.reportPath, 'utf8'));
    const keys = [...report.files.map((f: { key: string }) => f.key), ...report.ignoredKeys].sort();
    expect(keys).toEqual(['crm/contacts.tsv', 'notes.md', 'orders/a.csv', 'orders/b.csv.gz']);
    expect(new Set(keys).size).toBe(keys.length);
    // The per-item records the report was built from are packed into journals, not a file each.
    for (const format of ['parquet', 'avro'])
      expect(readdirSync(join(dir.output, '_runs', result.runId, 'items', format))).toEqual([
        '.csv2lake-packed',
      ]);

    // Only a lower-case .csv is replaced (b.csv.gz keeps its name); integers are int64 (DuckDB renders
    // BIGINT as text, avsc's longs are BigInt here); rejects lie outside the table, under _rejects/.
    const parquet = await readParquetWithDuckDB(join(dir.output, 'parquet/orders/b.csv.gz.parquet'));
    expect(parquet.rows).toEqual([['3', 4.5]]);
    const avro = await readAvro(join(dir.output, 'avro/crm/contacts.tsv.avro'));
    expect(avro.rows).toEqual([
      { id: 1n, name: 'Ada' },
      { id: 3n, name: 'Grace' },
    ]);
    expect(readFileSync(join(dir.output, '_rejects/crm/contacts.tsv.rejects.csv'), 'utf8')).toContain(
      '3,"expected 2 fields, found 1",2',
    );
    const before = statSync(join(dir.output, 'parquet/orders/a.parquet')).mtimeMs;

    // Every read of an input body on the second run, through the store or as a local file. Run state and
    // the lake's own objects are read on every run (the stored schema decides whether an output is current,
    // the catalog written is compared with the one there, the inventory under _state/ is what the plan
    // compares the listing with), and the reducer names each table location as a file URL (a folder's
    // path, not a read).
    const reads: string[] = [];
    const logReads = (store: ObjectStore): ObjectStore => ({
      ...store,
      get: (bucket, key) => {
        if (!/^_(runs|schemas|catalog|state)\//.test(key)) reads.push(key);
        return store.get(bucket, key);
      },
      localFile: (bucket, key) => {
        if (!key.endsWith('/')) reads.push(key);
        return store.localFile?.(bucket, key);
      },
    });
    const again = await LocalRunner.run({
      input: { kind: 'dir', path: dir.input },
      output: { kind: 'dir', path: dir.output },
      wrapStore: logReads,
    });
    expect(again).toMatchObject({
      status: 'SUCCEEDED',
      items: { total: 4, converted: 0, skipped: 3, failed: 0 },
    });
    expect(reads).toEqual([]);
    expect(statSync(join(dir.output, 'parquet/orders/a.parquet')).mtimeMs).toBe(before);
  });

  test('a transient error is retried and succeeds; a data error fails only its file; the run fails; redrive re-runs only that file', async () => {
    const dir = folder({ 'a.csv': 'x\n1\n', 'b.csv': 'x\n2\n', 'bad.csv': '' });
    const invocations: Invocation[] = [];
    const result = await LocalRunner.run({
      input: { kind: 'dir', path: dir.input },
      output: { kind: 'dir', path: dir.output },
      invocations,
      retryIntervalMs: 1,
      // The first attempt of a.csv's Parquet conversion meets an S3 throttling error.
      fault: (state, payload, attempt) =>
        state === 'ConvertParquet' && (payload as { key: string }).key === 'a.csv' && attempt === 1
          ? new S3TransientError('SlowDown: Please reduce your request rate')
          : undefined,
    });
    expect(result.status).toBe('FAILED');
    expect(result.error?.name).toBe('States.ExceedToleratedFailureThreshold');
    expect(result.items).toEqual({ total: 3, converted: 2, skipped: 0, failed: 1, ignored: 0 });
    const aParquet = invocations
      .filter((i) => i.key === 'a.csv' && i.state === 'ConvertParquet')
      .map((i) => i.outcome);
    expect(aParquet).toEqual(['S3TransientError', 'ok']);
    // The data error is not retried within a map: one attempt in ConvertFiles, one in RetryFailed.
    expect(
      invocations
        .filter((i) => i.key === 'bad.csv' && i.state.endsWith('ConvertParquet'))
        .map((i) => [i.state, i.outcome]),
    ).toEqual([
      ['ConvertParquet', 'EmptyInputError'],
      ['RetryConvertParquet', 'EmptyInputError'],
    ]);
    const report = JSON.parse(readFileSync(result.reportPath, 'utf8'));
    expect(report.failures).toEqual([
      {
        key: 'bad.csv',
        errors: expect.arrayContaining([expect.objectContaining({ type: 'EmptyInputError' })]),
      },
    ]);

    // Fix the file and redrive: only bad.csv runs again, then the reducer.
    writeFileSync(join(dir.input, 'bad.csv'), 'x\n3\n');
    // A file directly under the input is a dataset named after its stem.
    const before = statSync(join(dir.output, 'parquet/b/b.parquet')).mtimeMs;
    const redriveLog: Invocation[] = [];
    const redriven = await LocalRunner.redrive(
      result.runId,
      { kind: 'dir', path: dir.output },
      { invocations: redriveLog, retryIntervalMs: 1 },
    );
    expect(redriven).toMatchObject({
      runId: result.runId,
      status: 'SUCCEEDED',
      items: { total: 3, converted: 3, failed: 0 },
    });
    expect([...new Set(redriveLog.filter((i) => i.key).map((i) => i.key))]).toEqual(['bad.csv']);
    expect(redriveLog.map((i) => i.state)).toContain('ReduceAfterRetry');
    expect(statSync(join(dir.output, 'parquet/b/b.parquet')).mtimeMs).toBe(before);
    await expect(LocalRunner.redrive(result.runId, { kind: 'dir', path: dir.output })).rejects.toThrow(
      /SUCCEEDED: nothing to redrive/,
    );
  });
});

test('when one format fails, the run waits for the other format still converting before it reports', async () => {
  const dir = folder({ 'a.csv': 'x\n1\n' });
  const invocations: Invocation[] = [];
  // Avro's conversion is slow to start (its output HEAD takes 300 ms); Parquet's fails at once, which
  // aborts the Parallel while Avro is in flight.
  const slowAvro = (store: ObjectStore): ObjectStore => ({
    ...store,
    head: async (bucket, key) => {
      if (key.startsWith('avro/')) await new Promise((resolve) => setTimeout(resolve, 300));
      return store.head(bucket, key);
    },
  });
  const result = await LocalRunner.run({
    input: { kind: 'dir', path: dir.input },
    output: { kind: 'dir', path: dir.output },
    invocations,
    wrapStore: slowAvro,
    fault: (state) =>
      state.endsWith('ConvertParquet')
        ? Object.assign(new Error('a.csv: line 2 is broken'), { name: 'MalformedCsvError' })
        : undefined,
  });
  expect(result.status).toBe('FAILED');
  // Both maps' Avro invocations had finished when the run returned, each once: none was cut off, and none
  // started after its child execution had ended.
  expect(invocations.filter((i) => i.state.endsWith('ConvertAvro')).map((i) => [i.state, i.outcome])).toEqual(
    [
      ['ConvertAvro', 'ok'],
      ['RetryConvertAvro', 'ok'],
    ],
  );
  expect((await readAvro(join(dir.output, 'avro/a/a.avro'))).rows).toEqual([{ x: 1n }]);
});

describe('over a real S3 protocol server (fauxqs)', () => {
  let server: S3Server;
  jest.setTimeout(120_000);
  beforeAll(async () => {
    server = await startS3Server();
    await server.createBucket('landing');
    await server.createBucket('lake');
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
  });
  afterAll(() => server?.stop());

  test('lists with pagination, converts with multipart uploads, and writes the report in the bucket', async () => {
    const s3 = server.client();
    // 1,000 keys that are not CSV (listed, accounted for as ignored) sort before the CSVs, so that the
    // CSVs are on the second page of the listing.
    const ignored = Array.from({ length: 1000 }, (_, i) => `exports/a-${String(i).padStart(4, '0')}.json`);
    const keys = Array.from({ length: 12 }, (_, i) => `exports/part-${String(i).padStart(4, '0')}.csv`);
    const all = [...ignored, ...keys];
    for (let at = 0; at < all.length; at += 50)
      await Promise.all(
        all.slice(at, at + 50).map((key, j) =>
          s3.send(
            new PutObjectCommand({
              Bucket: 'landing',
              Key: key,
              Body: key.endsWith('.csv') ? `n,label\n${at + j - 1000},"row ${at + j - 1000}"\n` : '{}',
            }),
          ),
        ),
      );
    await s3.send(new PutObjectCommand({ Bucket: 'landing', Key: 'elsewhere/x.csv', Body: 'n\n1\n' }));
    const options = {
      input: { kind: 's3', bucket: 'landing', prefix: 'exports/' },
      output: { kind: 's3', bucket: 'lake', prefix: '' },
      endpoint: server.endpoint,
      formats: ['parquet'],
      concurrency: 8,
    } as const;
    const result = await LocalRunner.run(options);
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      items: { total: 1012, converted: 12, skipped: 0, failed: 0 },
    });
    expect(result.reportPath).toBe(`s3://lake/_runs/${result.runId}/report.json`);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'lake', Prefix: 'parquet/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(
      // Each file directly under the prefix is a dataset named after its stem.
      keys.map((k) => k.replace(/^exports\/(.*)\.csv$/, 'parquet/$1/$1.parquet')),
    );
    const object = await s3.send(
      new GetObjectCommand({ Bucket: 'lake', Key: 'parquet/part-0007/part-0007.parquet' }),
    );
    const path = join(mkdtempSync(join(tmpdir(), 'fx-')), 'p.parquet');
    writeFileSync(path, Buffer.from(await object.Body!.transformToByteArray()));
    expect((await readParquetWithDuckDB(path)).rows).toEqual([['7', 'row 7']]);
    const report = JSON.parse(
      await (
        await s3.send(new GetObjectCommand({ Bucket: 'lake', Key: `_runs/${result.runId}/report.json` }))
      ).Body!.transformToString(),
    );
    expect(report.files.map((f: { key: string }) => f.key)).toEqual(keys);
    expect([...report.ignoredKeys].sort()).toEqual(ignored);

    // A second run skips every file: the ETag an output records (its GET's) is the one the listing gives.
    const again = await LocalRunner.run(options);
    expect(again.items).toMatchObject({ converted: 0, skipped: 12, failed: 0 });
  });
});
