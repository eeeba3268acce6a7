/*
 * The lake, night after night, through the local runner (the synthesized definition): one dataset's files
 * drift from night to night (a value beyond 2^31, decimals after whole numbers, an empty column, a column
 * missing, a new column, another column order), and after every run DuckDB reads the whole dataset as ONE
 * table with default options, hyparquet finds the same schema in every file, and avsc reads every Avro file
 * with the dataset's current Avro schema as reader schema. Over a folder and over fauxqs.
 */
import './quiet';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as avro from 'avsc';
import { type Invocation, LocalRunner } from '../../lib/local/runner';
import { query, readAvro, readParquetWithHyparquet } from '../support/readers';
import { type ConditionalS3Proxy, startConditionalS3Proxy } from '../support/conditional-s3-proxy';
import { startS3Server, type S3Server } from '../support/s3-server';

jest.setTimeout(180_000);

/** The nights of one `orders` export: each night adds a file; the types drift. */
const NIGHTS: Record<string, string>[] = [
  {
    // Whole-number amounts, an all-empty note, small ids.
    'orders/2026-11-24.csv': 'order_id,customer_ref,amount,note\n1,100,12,\n2,101,7,\n',
  },
  {
    // A customer_ref above 2^31, decimals in amount, text in note.
    'orders/2026-11-25.csv': 'order_id,customer_ref,amount,note\n3,3000000008,12.50,rush\n4,102,0.25,\n',
  },
  {
    // Another column order, customer_ref missing, a new column, whole-number amounts again, note empty.
    'orders/2026-11-26.csv': 'Channel,amount,Order ID,note\nweb,3,5,\nshop,4,6,\n',
  },
];

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

const sql = (path: string) => `'${path.replaceAll("'", "''")}'`;

/** Every Parquet file of the dataset through DuckDB at once, default options. */
async function duckRows(
  glob: string,
  order = 'order_id',
): Promise<{ types: Record<string, string>; rows: Record<string, unknown>[] }> {
  const described = await query(
    `DESCRIBE SELECT * FROM read_parquet(${sql(glob)}, hive_partitioning = true)`,
  );
  const types = Object.fromEntries(described.map((d) => [String(d.column_name), String(d.column_type)]));
  const rows = await query(
    `SELECT * FROM read_parquet(${sql(glob)}, hive_partitioning = true) ORDER BY ${order}`,
  );
  return { types, rows };
}

describe('a dataset over three nights, in a folder', () => {
  const root = mkdtempSync(join(tmpdir(), 'lake-'));
  const input = join(root, 'in');
  const output = join(root, 'out');
  const run = () =>
    LocalRunner.run({ input: { kind: 'dir', path: input }, output: { kind: 'dir', path: output } });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test('every night the dataset reads as one table, with the stored schema in every file', async () => {
    const reports: Record<string, any>[] = [];
    for (const night of NIGHTS) {
      for (const [key, text] of Object.entries(night)) {
        mkdirSync(join(input, key, '..'), { recursive: true });
        writeFileSync(join(input, key), text);
      }
      const result = await run();
      expect(result.status).toBe('SUCCEEDED');
      reports.push(JSON.parse(readFileSync(result.reportPath, 'utf8')));

      // Only data files under the table locations.
      const parquetFiles = walk(join(output, 'parquet'));
      const avroFiles = walk(join(output, 'avro'));
      expect(parquetFiles.every((f) => f.endsWith('.parquet'))).toBe(true);
      expect(avroFiles.every((f) => f.endsWith('.avro'))).toBe(true);
      expect(parquetFiles).toHaveLength(reports.length);

      // One schema in every Parquet file (hyparquet), equal to the stored one.
      const stored = JSON.parse(readFileSync(join(output, '_schemas/orders.json'), 'utf8'));
      const storedNames = stored.columns.map((c: { name: string }) => c.name);
      for (const file of parquetFiles) {
        const { metadata } = await readParquetWithHyparquet(file);
        expect(metadata.schema.slice(1).map((s) => s.name)).toEqual(storedNames);
      }
      // DuckDB, default options, the whole dataset.
      const { rows, types } = await duckRows(join(output, 'parquet/orders/**/*.parquet'));
      expect(Object.keys(types)).toEqual(storedNames);
      expect(rows).toHaveLength(reports.length * 2);

      // avsc: every Avro file with the dataset's current schema as reader schema.
      const catalog = JSON.parse(readFileSync(join(output, '_catalog/csv2lake/orders_avro.json'), 'utf8'));
      const readerSchema = JSON.parse(catalog.Parameters['avro.schema.literal']);
      const reader = avro.Type.forSchema(readerSchema);
      for (const file of avroFiles) {
        const { schema } = await readAvro(file);
        const resolver = reader.createResolver(avro.Type.forSchema(schema as avro.Schema));
        expect(resolver).toBeDefined();
        expect((schema as { name: string }).name).toBe(readerSchema.name);
      }
    }

    // After the third night: the table's types are the widest any night needed, int64 for integers.
    const { rows, types } = await duckRows(join(output, 'parquet/orders/**/*.parquet'));
    expect(types).toEqual({
      order_id: 'BIGINT',
      customer_ref: 'BIGINT',
      amount: 'DOUBLE',
      note: 'VARCHAR',
      channel: 'VARCHAR',
    });
    expect(rows.map((r) => [r.order_id, r.customer_ref, r.amount, r.note, r.channel])).toEqual([
      ['1', '100', 12, null, null],
      ['2', '101', 7, null, null],
      ['3', '3000000008', 12.5, 'rush', null],
      ['4', '102', 0.25, null, null],
      ['5', null, 3, null, 'web'],
      ['6', null, 4, null, 'shop'],
    ]);

    // The reports say what evolved against the STORED schema, and which files were converted again.
    const second = reports[1]!.datasets.find((d: { dataset: string }) => d.dataset === 'orders');
    expect(second.versionAtStart).toBeGreaterThan(0);
    expect(second.version).toBeGreaterThan(second.versionAtStart);
    expect(second.evolved).toEqual([{ column: 'amount', from: 'int64', to: 'double' }]);
    expect(second.reconverted.map((r: { key: string }) => r.key)).toEqual(['orders/2026-11-24.csv']);
    const third = reports[2]!.datasets.find((d: { dataset: string }) => d.dataset === 'orders');
    expect(third.evolved).toEqual([{ column: 'channel', to: 'string' }]);
    expect(third.reconverted.map((r: { key: string }) => r.key).sort()).toEqual([
      'orders/2026-11-24.csv',
      'orders/2026-11-25.csv',
    ]);

    // The catalog: the Parquet table matches the files column for column.
    const table = JSON.parse(readFileSync(join(output, '_catalog/csv2lake/orders.json'), 'utf8'));
    expect(table.Name).toBe('orders');
    expect(
      table.StorageDescriptor.Columns.map((c: { Name: string; Type: string }) => [c.Name, c.Type]),
    ).toEqual([
      ['order_id', 'bigint'],
      ['customer_ref', 'bigint'],
      ['amount', 'double'],
      ['note', 'string'],
      ['channel', 'string'],
    ]);
    expect(table.StorageDescriptor.Location).toMatch(/parquet\/orders\/$/);

    // A fourth run with nothing new converts nothing and reconverts nothing.
    const again = await run();
    expect(again.items).toMatchObject({ converted: 0, skipped: 3, failed: 0 });
  });

  test('an output folder inside the input folder is refused before anything runs', async () => {
    await expect(
      LocalRunner.run({
        input: { kind: 'dir', path: input },
        output: { kind: 'dir', path: join(input, 'lake') },
      }),
    ).rejects.toThrow(/inside the input/);
  });
});

describe('a schema that widens again in the retry map', () => {
  test('the outputs it leaves behind go round once more (AnyStale), and the run ends with one schema', async () => {
    const root = mkdtempSync(join(tmpdir(), 'lake-loop-'));
    const input = join(root, 'in');
    const output = join(root, 'out');
    mkdirSync(join(input, 'orders'), { recursive: true });
    writeFileSync(join(input, 'orders/a.csv'), 'id,amount\n1,2\n');
    writeFileSync(join(input, 'orders/b.csv'), 'id,amount\n2,3\n');
    // c.csv needs amount as double; its first attempt fails in ConvertFiles (a data error: not retried there),
    // so the widening happens in RetryFailed, after Reduce found nothing stale.
    writeFileSync(join(input, 'orders/c.csv'), 'id,amount\n3,3.5\n');
    const invocations: Invocation[] = [];
    const result = await LocalRunner.run({
      input: { kind: 'dir', path: input },
      output: { kind: 'dir', path: output },
      invocations,
      fault: (state, payload) =>
        /^Convert(Parquet|Avro)$/.test(state) && (payload as { key: string }).key === 'orders/c.csv'
          ? Object.assign(new Error('injected: the first attempt fails'), { name: 'MalformedCsvError' })
          : undefined,
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.items).toMatchObject({ total: 3, converted: 3, failed: 0 });
    // a.csv and b.csv were converted in ConvertFiles, then again in the second round of RetryFailed.
    const retried = invocations.filter((i) => i.state === 'RetryConvertParquet').map((i) => i.key);
    expect(retried.sort()).toEqual(['orders/a.csv', 'orders/b.csv', 'orders/c.csv']);
    const report = JSON.parse(readFileSync(result.reportPath, 'utf8'));
    const orders = report.datasets.find((d: { dataset: string }) => d.dataset === 'orders');
    expect(orders.reconverted.map((r: { key: string }) => r.key).sort()).toEqual([
      'orders/a.csv',
      'orders/b.csv',
    ]);
    const { types, rows } = await duckRows(join(output, 'parquet/orders/*.parquet'), 'id');
    expect(types).toEqual({ id: 'BIGINT', amount: 'DOUBLE' });
    expect(rows.map((r) => r.amount)).toEqual([2, 3, 3.5]);
    rmSync(root, { recursive: true, force: true });
  });
});

describe('Hive partitions from the key pattern', () => {
  test('{dataset}/{dt}/{file}: dt is a partition column that DuckDB reads with hive_partitioning', async () => {
    const root = mkdtempSync(join(tmpdir(), 'lake-part-'));
    const input = join(root, 'in');
    const output = join(root, 'out');
    for (const [key, text] of Object.entries({
      'orders/2026-11-24/a.csv': 'id,amount\n1,2\n',
      'orders/2026-11-25/a.csv': 'id,amount\n2,2.5\n',
    })) {
      mkdirSync(join(input, key, '..'), { recursive: true });
      writeFileSync(join(input, key), text);
    }
    const result = await LocalRunner.run({
      input: { kind: 'dir', path: input },
      output: { kind: 'dir', path: output },
      datasetPattern: '{dataset}/{dt}/{file}',
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(
      walk(join(output, 'parquet'))
        .map((f) => relative(output, f))
        .sort(),
    ).toEqual(['parquet/orders/dt=2026-11-24/a.parquet', 'parquet/orders/dt=2026-11-25/a.parquet']);
    const rows = await query(
      `SELECT id, amount, dt FROM read_parquet(${sql(join(output, 'parquet/orders/**/*.parquet'))}, hive_partitioning = true) ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: '1', amount: 2, dt: '2026-11-24' },
      { id: '2', amount: 2.5, dt: '2026-11-25' },
    ]);
    const table = JSON.parse(readFileSync(join(output, '_catalog/csv2lake/orders.json'), 'utf8'));
    expect(table.PartitionKeys).toEqual([{ Name: 'dt', Type: 'string' }]);
    const partitions = JSON.parse(
      readFileSync(join(output, '_catalog/csv2lake/orders.partitions.json'), 'utf8'),
    );
    expect(JSON.stringify(partitions)).toContain('2026-11-25');
    rmSync(root, { recursive: true, force: true });
  });

  test('a key the pattern cannot place fails with DatasetLayoutError, and is in the report', async () => {
    const root = mkdtempSync(join(tmpdir(), 'lake-nomatch-'));
    const input = join(root, 'in');
    mkdirSync(join(input, 'orders'), { recursive: true });
    writeFileSync(join(input, 'orders/a.csv'), 'id\n1\n');
    const result = await LocalRunner.run({
      input: { kind: 'dir', path: input },
      output: { kind: 'dir', path: join(root, 'out') },
      datasetPattern: '{dataset}/{dt}/{file}',
    });
    expect(result.status).toBe('FAILED');
    expect(result.items).toMatchObject({ total: 1, failed: 1 });
    const report = JSON.parse(readFileSync(result.reportPath, 'utf8'));
    expect(JSON.stringify(report.failures)).toContain('DatasetLayoutError');
    expect(walk(root).some((f) => f.endsWith('.parquet'))).toBe(false);
    rmSync(root, { recursive: true, force: true });
  });
});

describe('over a real S3 protocol server (fauxqs)', () => {
  let server: S3Server;
  // fauxqs ignores If-Match / If-None-Match on writes: this proxy checks them as S3 does, so that the two
  // converters creating a dataset's schema at once are told apart as they would be on AWS.
  let conditional: ConditionalS3Proxy;
  beforeAll(async () => {
    server = await startS3Server();
    conditional = await startConditionalS3Proxy(server.endpoint);
    await server.createBucket('landing');
    await server.createBucket('lake');
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
  });
  afterAll(async () => {
    await conditional?.stop();
    await server?.stop();
  });

  test('two nights widen the dataset; every output holds the final schema; rejects are outside the tables', async () => {
    const s3 = server.client();
    const put = (key: string, body: string) =>
      s3.send(new PutObjectCommand({ Bucket: 'landing', Key: key, Body: body }));
    const options = {
      input: { kind: 's3' as const, bucket: 'landing', prefix: 'incoming/' },
      output: { kind: 's3' as const, bucket: 'lake', prefix: '' },
      endpoint: conditional.endpoint,
    };
    await put('incoming/orders/d1.csv', 'id,amount\n1,2\n2,3\nbroken,row,here\n');
    expect((await LocalRunner.run(options)).status).toBe('SUCCEEDED');
    await put('incoming/orders/d2.csv', 'id,amount\n3,3.5\n');
    expect((await LocalRunner.run(options)).status).toBe('SUCCEEDED');

    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'lake' }));
    const keys = (listed.Contents ?? []).map((o) => o.Key!).filter((k) => !k.startsWith('_runs/'));
    expect(keys.filter((k) => k.startsWith('parquet/') || k.startsWith('avro/')).sort()).toEqual([
      'avro/orders/d1.avro',
      'avro/orders/d2.avro',
      'parquet/orders/d1.parquet',
      'parquet/orders/d2.parquet',
    ]);
    expect(keys).toContain('_rejects/orders/d1.rejects.csv');
    expect(keys).toContain('_schemas/orders.json');
    const body = async (key: string) =>
      Buffer.from(
        await (
          await s3.send(new GetObjectCommand({ Bucket: 'lake', Key: key }))
        ).Body!.transformToByteArray(),
      );
    const dir = mkdtempSync(join(tmpdir(), 'lake-s3-'));
    for (const name of ['d1', 'd2'])
      writeFileSync(join(dir, `${name}.parquet`), await body(`parquet/orders/${name}.parquet`));
    const rows = await query(
      `SELECT id, amount FROM read_parquet(${sql(join(dir, '*.parquet'))}) ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: '1', amount: 2 },
      { id: '2', amount: 3 },
      { id: '3', amount: 3.5 },
    ]);
    const rejects = (await body('_rejects/orders/d1.rejects.csv')).toString();
    expect(rejects).toContain('4,');
    rmSync(dir, { recursive: true, force: true });
  });
});
