import {
  AlreadyExistsException,
  BatchCreatePartitionCommand,
  CreateTableCommand,
  EntityNotFoundException,
  GetTableCommand,
  GlueClient,
  InternalServiceException,
  UpdateTableCommand,
  type Table,
} from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import { tableInput, type PartitionInput, type TableInput } from '../../../lambdas/lake/catalog';
import type { DatasetSchema } from '../../../lambdas/lake/dataset-schema';
import { CatalogPartitionError, GlueCatalogWriter } from '../../../lambdas/lake/glue-catalog';

const glue = mockClient(GlueClient);
beforeEach(() => glue.reset());

const schema: DatasetSchema = {
  dataset: 'orders',
  version: 2,
  recordName: 'orders',
  partitions: ['dt'],
  columns: [
    { name: 'id', type: 'int64' },
    { name: 'amount', type: 'double' },
  ],
  history: [],
};
const parquet = tableInput(schema, 'parquet', 's3://out/parquet/orders/');
const avro = tableInput(schema, 'avro', 's3://out/avro/orders/');

const meta = { $metadata: {} };
const notFound = () => new EntityNotFoundException({ message: 'Table orders not found', ...meta });

/** The table as Glue returns it: our definition plus what Glue and Athena add. */
function asGlueHas(table: TableInput): Table {
  return {
    ...structuredClone(table),
    Parameters: { ...table.Parameters, transient_lastDdlTime: '1764000000' },
    DatabaseName: 'lake',
    CreateTime: new Date(0),
    StorageDescriptor: {
      ...structuredClone(table.StorageDescriptor),
      Compressed: false,
      NumberOfBuckets: -1,
    },
  } as unknown as Table;
}

function partitions(n: number): PartitionInput[] {
  return Array.from({ length: n }, (_, i) => ({
    values: [`d${String(i).padStart(3, '0')}`],
    location: `s3://out/parquet/orders/dt=d${String(i).padStart(3, '0')}/`,
  }));
}

describe('putTable', () => {
  test('creates a table Glue does not have', async () => {
    glue.on(GetTableCommand).rejects(notFound());
    glue.on(CreateTableCommand).resolves(meta);

    await new GlueCatalogWriter(new GlueClient({})).putTable('lake', avro);

    expect(glue.commandCalls(GetTableCommand)[0]!.args[0].input).toEqual({
      DatabaseName: 'lake',
      Name: 'orders_avro',
    });
    expect(glue.commandCalls(CreateTableCommand).map((c) => c.args[0].input)).toEqual([
      { DatabaseName: 'lake', TableInput: avro },
    ]);
    expect(glue.commandCalls(UpdateTableCommand)).toHaveLength(0);
  });

  test('leaves a table that says the same alone, whatever Glue added', async () => {
    glue.on(GetTableCommand).resolves({ Table: asGlueHas(parquet), ...meta });

    await new GlueCatalogWriter(new GlueClient({})).putTable('lake', parquet);

    expect(glue.commandCalls(CreateTableCommand)).toHaveLength(0);
    expect(glue.commandCalls(UpdateTableCommand)).toHaveLength(0);
  });

  test.each<[string, (t: Table) => void]>([
    ['a column widened', (t) => (t.StorageDescriptor!.Columns![0]!.Type = 'int')],
    ['a column missing', (t) => t.StorageDescriptor!.Columns!.pop()],
    ['another location', (t) => (t.StorageDescriptor!.Location = 's3://old/parquet/orders/')],
    ['other partition keys', (t) => (t.PartitionKeys = [])],
    ['an older schema version', (t) => (t.Parameters!['csv2lake.schemaVersion'] = '1')],
    ['another SerDe', (t) => (t.StorageDescriptor!.SerdeInfo!.SerializationLibrary = 'LazySimpleSerDe')],
  ])('updates a table with %s', async (_what, change) => {
    const existing = asGlueHas(parquet);
    change(existing);
    glue.on(GetTableCommand).resolves({ Table: existing, ...meta });
    glue.on(UpdateTableCommand).resolves(meta);

    await new GlueCatalogWriter(new GlueClient({})).putTable('lake', parquet);

    expect(glue.commandCalls(UpdateTableCommand).map((c) => c.args[0].input)).toEqual([
      { DatabaseName: 'lake', TableInput: parquet },
    ]);
    expect(glue.commandCalls(CreateTableCommand)).toHaveLength(0);
  });

  test('an Avro table whose schema literal changed is updated', async () => {
    const existing = asGlueHas(avro);
    existing.StorageDescriptor!.SerdeInfo!.Parameters = { 'avro.schema.literal': '{"type":"record"}' };
    glue.on(GetTableCommand).resolves({ Table: existing, ...meta });
    glue.on(UpdateTableCommand).resolves(meta);

    await new GlueCatalogWriter(new GlueClient({})).putTable('lake', avro);

    expect(glue.commandCalls(UpdateTableCommand)).toHaveLength(1);
  });

  test('a table another writer created since GetTable is updated (AlreadyExists race)', async () => {
    glue.on(GetTableCommand).rejects(notFound());
    glue
      .on(CreateTableCommand)
      .rejects(new AlreadyExistsException({ message: 'Table already exists.', ...meta }));
    glue.on(UpdateTableCommand).resolves(meta);

    await new GlueCatalogWriter(new GlueClient({})).putTable('lake', parquet);

    expect(glue.commandCalls(UpdateTableCommand).map((c) => c.args[0].input)).toEqual([
      { DatabaseName: 'lake', TableInput: parquet },
    ]);
  });

  test('any other error of GetTable is thrown as it is', async () => {
    const error = new InternalServiceException({ message: 'try later', ...meta });
    glue.on(GetTableCommand).rejects(error);

    await expect(new GlueCatalogWriter(new GlueClient({})).putTable('lake', parquet)).rejects.toBe(error);
    expect(glue.commandCalls(CreateTableCommand)).toHaveLength(0);
  });

  test('any other error of CreateTable is thrown as it is', async () => {
    const error = new InternalServiceException({ message: 'try later', ...meta });
    glue.on(GetTableCommand).rejects(notFound());
    glue.on(CreateTableCommand).rejects(error);

    await expect(new GlueCatalogWriter(new GlueClient({})).putTable('lake', parquet)).rejects.toBe(error);
    expect(glue.commandCalls(UpdateTableCommand)).toHaveLength(0);
  });
});

describe('addPartitions', () => {
  test('registers partitions 100 at a time, each with the table storage and its own location', async () => {
    glue.on(GetTableCommand).rejects(notFound());
    glue.on(CreateTableCommand).resolves(meta);
    glue.on(BatchCreatePartitionCommand).resolves({ Errors: [], ...meta });
    const writer = new GlueCatalogWriter(new GlueClient({}));
    await writer.putTable('lake', parquet);

    await writer.addPartitions('lake', 'orders', partitions(250));

    const batches = glue.commandCalls(BatchCreatePartitionCommand).map((c) => c.args[0].input);
    expect(batches.map((b) => b.PartitionInputList!.length)).toEqual([100, 100, 50]);
    expect(batches.flatMap((b) => b.PartitionInputList!.map((p) => p.Values![0]))).toEqual(
      partitions(250).map((p) => p.values[0]),
    );
    expect(batches[2]).toMatchObject({ DatabaseName: 'lake', TableName: 'orders' });
    expect(batches[2]!.PartitionInputList![49]).toEqual({
      Values: ['d249'],
      StorageDescriptor: { ...parquet.StorageDescriptor, Location: 's3://out/parquet/orders/dt=d249/' },
    });
    // The table definition came from putTable: no GetTable for the partitions.
    expect(glue.commandCalls(GetTableCommand)).toHaveLength(1);
  });

  test("a table not put by this writer lends its storage from Glue's definition", async () => {
    glue.on(GetTableCommand).resolves({ Table: asGlueHas(avro), ...meta });
    glue.on(BatchCreatePartitionCommand).resolves({ ...meta });

    await new GlueCatalogWriter(new GlueClient({})).addPartitions('lake', 'orders_avro', partitions(1));

    const [batch] = glue.commandCalls(BatchCreatePartitionCommand).map((c) => c.args[0].input);
    expect(batch!.PartitionInputList![0]!.StorageDescriptor).toMatchObject({
      Location: 's3://out/parquet/orders/dt=d000/',
      SerdeInfo: avro.StorageDescriptor.SerdeInfo,
    });
  });

  test('partitions that exist already are ignored', async () => {
    glue.on(GetTableCommand).resolves({ Table: asGlueHas(parquet), ...meta });
    glue.on(BatchCreatePartitionCommand).resolves({
      Errors: [
        {
          PartitionValues: ['d000'],
          ErrorDetail: { ErrorCode: 'AlreadyExistsException', ErrorMessage: 'exists' },
        },
      ],
      ...meta,
    });

    await expect(
      new GlueCatalogWriter(new GlueClient({})).addPartitions('lake', 'orders', partitions(2)),
    ).resolves.toBeUndefined();
  });

  test('any other refusal is thrown with the partition values and the reason', async () => {
    glue.on(GetTableCommand).resolves({ Table: asGlueHas(parquet), ...meta });
    glue.on(BatchCreatePartitionCommand).resolves({
      Errors: [
        {
          PartitionValues: ['d000'],
          ErrorDetail: { ErrorCode: 'AlreadyExistsException', ErrorMessage: 'exists' },
        },
        {
          PartitionValues: ['d001'],
          ErrorDetail: { ErrorCode: 'InvalidInputException', ErrorMessage: 'bad value' },
        },
      ],
      ...meta,
    });

    const attempt = new GlueCatalogWriter(new GlueClient({})).addPartitions('lake', 'orders', partitions(2));

    await expect(attempt).rejects.toThrow(CatalogPartitionError);
    await expect(attempt).rejects.toThrow(
      'Glue refused 1 partition(s) of lake.orders: ["d001"]: InvalidInputException: bad value',
    );
  });

  test('an error of the call itself is thrown as it is; no partitions, no call', async () => {
    const error = new InternalServiceException({ message: 'try later', ...meta });
    glue.on(GetTableCommand).resolves({ Table: asGlueHas(parquet), ...meta });
    glue.on(BatchCreatePartitionCommand).rejects(error);
    const writer = new GlueCatalogWriter(new GlueClient({}));

    await expect(writer.addPartitions('lake', 'orders', partitions(1))).rejects.toBe(error);
    glue.resetHistory();
    await writer.addPartitions('lake', 'orders', []);
    expect(glue.calls()).toHaveLength(0);
  });
});
