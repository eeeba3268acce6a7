import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as avsc from 'avsc';
import { convert } from '../../../lambdas/core/convert';
import type { ReplayableSource } from '../../../lambdas/core/model/options';
import { InvalidOptionsError } from '../../../lambdas/core/model/errors';
import { COLUMN_TYPES, type TableColumn } from '../../../lambdas/core/model/schema';
import { MemorySink } from '../../../lambdas/core/model/sink';
import { datasetAvroSchema, glueColumnType, glueTableName, tableInput } from '../../../lambdas/lake/catalog';
import type { DatasetSchema } from '../../../lambdas/lake/dataset-schema';
import { readAvro } from '../../support/readers';

function datasetSchema(overrides: Partial<DatasetSchema> = {}): DatasetSchema {
  return {
    dataset: 'Orders',
    version: 3,
    recordName: 'Orders',
    partitions: ['dt'],
    columns: [
      { name: 'id', type: 'int64' },
      { name: 'amount', type: 'double' },
      { name: 'day', type: 'date' },
      { name: 'at', type: 'timestamp' },
      { name: 'paid', type: 'boolean' },
      { name: 'note', type: 'string' },
    ],
    history: [],
    ...overrides,
  };
}

describe('glueTableName', () => {
  test.each([
    ['orders', 'orders'],
    ['Orders', 'orders'],
    ['crm-contacts', 'crm_contacts'],
    ['Données été 2026', 'donnees_ete_2026'],
    ['2024 sales', '_2024_sales'],
    ['__x--y__', 'x_y'],
    ['ﬁle²', 'file2'],
  ])('%s → %s (Parquet)', (dataset, name) => {
    expect(glueTableName(dataset, 'parquet')).toBe(name);
  });

  test('the Avro table ends in _avro', () => {
    expect(glueTableName('Crm Contacts', 'avro')).toBe('crm_contacts_avro');
  });

  test.each(['日本', '---', '_'])('%j leaves no name: an options error saying what to do', (dataset) => {
    expect(() => glueTableName(dataset, 'parquet')).toThrow(InvalidOptionsError);
    expect(() => glueTableName(dataset, 'parquet')).toThrow(/has no letter or digit .*rename its folder/);
  });
});

test('glueColumnType maps every column type', () => {
  expect(Object.fromEntries(COLUMN_TYPES.map((t) => [t, glueColumnType(t)]))).toEqual({
    boolean: 'boolean',
    int32: 'int',
    int64: 'bigint',
    double: 'double',
    date: 'date',
    timestamp: 'timestamp',
    string: 'string',
  });
});

describe('tableInput', () => {
  test('Parquet: columns, partition keys, location with its final slash, Parquet storage', () => {
    expect(tableInput(datasetSchema(), 'parquet', 's3://out/parquet/Orders')).toEqual({
      Name: 'orders',
      Description: 'csv2lake dataset Orders (parquet)',
      TableType: 'EXTERNAL_TABLE',
      Parameters: { classification: 'parquet', EXTERNAL: 'TRUE', 'csv2lake.schemaVersion': '3' },
      PartitionKeys: [{ Name: 'dt', Type: 'string' }],
      StorageDescriptor: {
        Columns: [
          { Name: 'id', Type: 'bigint' },
          { Name: 'amount', Type: 'double' },
          { Name: 'day', Type: 'date' },
          { Name: 'at', Type: 'timestamp' },
          { Name: 'paid', Type: 'boolean' },
          { Name: 'note', Type: 'string' },
        ],
        Location: 's3://out/parquet/Orders/',
        InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
        OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
        SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
      },
    });
  });

  test('Avro: Avro storage, the dataset schema as avro.schema.literal in the table and the SerDe', () => {
    const table = tableInput(datasetSchema(), 'avro', 's3://out/avro/Orders/');

    expect(table.Name).toBe('orders_avro');
    expect(table.StorageDescriptor).toMatchObject({
      Location: 's3://out/avro/Orders/',
      InputFormat: 'org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat',
      OutputFormat: 'org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat',
      SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.serde2.avro.AvroSerDe' },
    });
    const literal = table.Parameters['avro.schema.literal']!;
    expect(table.Parameters).toMatchObject({
      classification: 'avro',
      EXTERNAL: 'TRUE',
      'csv2lake.schemaVersion': '3',
    });
    expect(table.StorageDescriptor.SerdeInfo.Parameters).toEqual({ 'avro.schema.literal': literal });
    const parsed = JSON.parse(literal) as {
      name: string;
      namespace: string;
      fields: { name: string; type: unknown }[];
    };
    expect(() => avsc.Type.forSchema(parsed as avsc.Schema)).not.toThrow();
    expect([parsed.namespace, parsed.name]).toEqual(['csv2lake', 'Orders']);
    expect(parsed.fields.map((f) => [f.name, f.type])).toEqual([
      ['id', ['null', 'long']],
      ['amount', ['null', 'double']],
      ['day', ['null', { type: 'int', logicalType: 'date' }]],
      ['at', ['null', { type: 'long', logicalType: 'timestamp-micros' }]],
      ['paid', ['null', 'boolean']],
      ['note', ['null', 'string']],
    ]);
    // The Glue columns are the Avro fields, one for one.
    expect(table.StorageDescriptor.Columns.map((c) => c.Name)).toEqual(parsed.fields.map((f) => f.name));
  });

  test('a column named like a partition key is refused: Glue and Athena would refuse the table', () => {
    const schema = datasetSchema({ columns: [{ name: 'dt', type: 'string' }] });

    expect(() => tableInput(schema, 'parquet', 's3://out/parquet/Orders/')).toThrow(
      /column "dt" and a partition of that name/,
    );
  });
});

describe('the Avro literal reads the files of the dataset', () => {
  // Reading with a reader schema needs the writer's record name. The core names the record after
  // ConvertOptions.table.recordName; one that predates the table option writes csv2lake.Row. Datasets named
  // Row here keep this test about the fields (types, nullability, order, promotions) whichever core runs.
  const recordName = 'Row';
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'catalog-avro-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  function source(text: string): ReplayableSource {
    return {
      name: 'day.csv',
      async *open() {
        yield Buffer.from(text);
      },
    };
  }

  /** Converts CSV text to Avro with the core, as a file of the dataset at `columns`. */
  async function coreAvro(
    text: string,
    recordName: string,
    columns: readonly TableColumn[],
  ): Promise<string> {
    const avro = new MemorySink();
    await convert(
      source(text),
      { avro, rejects: () => new MemorySink() },
      {
        formats: ['avro'],
        avroCodec: 'null',
        header: true,
        table: { recordName, columns },
      },
    );
    const path = join(dir, `${Math.random().toString(36).slice(2)}.avro`);
    await writeFile(path, avro.bytes());
    return path;
  }

  /** Every record of an Avro file read with `literal` as the reader schema. */
  function readWith(path: string, literal: string): Promise<Record<string, unknown>[]> {
    return new Promise((resolve, reject) => {
      const rows: Record<string, unknown>[] = [];
      avsc
        .createFileDecoder(path, { readerSchema: JSON.parse(literal) } as avsc.DecoderOptions)
        .on('data', (row: Record<string, unknown>) => rows.push({ ...row }))
        .on('error', reject)
        .on('end', () => resolve(rows));
    });
  }

  test('a file the core wrote with the same columns', async () => {
    const schema = datasetSchema({
      recordName,
      columns: [
        { name: 'id', type: 'int64' },
        { name: 'amount', type: 'double' },
        { name: 'note', type: 'string' },
      ],
    });
    const path = await coreAvro('id,amount,note\n1,2.5,a\n2,,\n', schema.recordName, schema.columns);
    const literal = tableInput(schema, 'avro', 's3://out/avro/Orders/').Parameters['avro.schema.literal']!;

    // The core wrote the dataset's schema itself (avsc's own reading of the header).
    expect((await readAvro(path)).schema).toEqual(datasetAvroSchema(schema));
    expect(await readWith(path, literal)).toEqual([
      { id: 1, amount: 2.5, note: 'a' },
      { id: 2, amount: null, note: null },
    ]);
  });

  test('a file written at an older version: narrower types widen, new columns read as null', async () => {
    const v1 = datasetSchema({
      recordName,
      version: 1,
      columns: [
        { name: 'id', type: 'int64' },
        { name: 'amount', type: 'int64' },
      ],
    });
    const v2 = datasetSchema({
      recordName,
      version: 2,
      columns: [
        { name: 'id', type: 'int64' },
        { name: 'amount', type: 'double' },
        { name: 'note', type: 'string' },
      ],
    });
    const path = await coreAvro('id,amount\n1,3000000008\n', v1.recordName, v1.columns);
    const literal = tableInput(v2, 'avro', 's3://out/avro/Orders/').Parameters['avro.schema.literal']!;

    expect(await readWith(path, literal)).toEqual([{ id: 1, amount: 3000000008, note: null }]);
  });
});
