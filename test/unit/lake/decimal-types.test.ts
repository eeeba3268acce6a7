/*
 * DECIMAL in the lake's layer: the Glue type, the dataset schema's widening and the dataset's Avro schema.
 */
import * as avsc from 'avsc';
import { datasetAvroSchema, glueColumnType, tableInput } from '../../../lambdas/lake/catalog';
import { mergeColumns, pinnedDatasetSchema, type DatasetSchema } from '../../../lambdas/lake/dataset-schema';

const schema = (columns: DatasetSchema['columns']): DatasetSchema => ({
  dataset: 'Orders',
  version: 2,
  recordName: 'Orders',
  partitions: [],
  columns,
  history: [],
});

test('a decimal is decimal(p,s) in Glue, as in the dataset schema', () => {
  expect(glueColumnType('decimal(18,2)')).toBe('decimal(18,2)');
  expect(glueColumnType('decimal(38,0)')).toBe('decimal(38,0)');
  const input = tableInput(
    schema([{ name: 'amount', type: 'decimal(18,2)' }]),
    'parquet',
    's3://out/parquet/Orders',
  );
  expect(input.StorageDescriptor!.Columns).toEqual([{ Name: 'amount', Type: 'decimal(18,2)' }]);
});

test("a dataset's Avro schema has the decimal logical type on bytes, which avsc accepts", () => {
  const avro = datasetAvroSchema(schema([{ name: 'amount', type: 'decimal(18,2)' }]));
  const field = (avro.fields as { type: unknown[] }[])[0]!;
  expect(field.type).toEqual(['null', { type: 'bytes', logicalType: 'decimal', precision: 18, scale: 2 }]);
  expect(() => avsc.Type.forSchema(avro as avsc.Schema)).not.toThrow();
});

test('a dataset widens int64 to decimal and decimals to the decimal holding both; a decimal and a double to text', () => {
  const base = [
    { name: 'id', type: 'int64' as const },
    { name: 'amount', type: 'decimal(18,2)' as const },
    { name: 'rate', type: 'decimal(10,4)' as const },
  ];
  const { columns, changes } = mergeColumns(base, [
    { name: 'id', type: 'decimal(38,0)' },
    { name: 'amount', type: 'decimal(10,4)' },
    { name: 'rate', type: 'double' },
  ]);
  expect(columns).toEqual([
    { name: 'id', type: 'decimal(38,0)' },
    { name: 'amount', type: 'decimal(20,4)' },
    { name: 'rate', type: 'string' },
  ]);
  expect(changes.map((c) => [c.column, c.from, c.to])).toEqual([
    ['id', 'int64', 'decimal(38,0)'],
    ['amount', 'decimal(18,2)', 'decimal(20,4)'],
    ['rate', 'decimal(10,4)', 'string'],
  ]);
});

test("a dataset's entry in the schema file may pin a decimal", () => {
  const pinned = pinnedDatasetSchema(
    { datasets: { orders: { columns: { amount: 'DECIMAL(12, 2)' } } } },
    'orders',
  );
  expect(pinned).toEqual({ columns: { amount: 'decimal(12,2)' } });
});

test("a schema file's options pin how every dataset's values are written, or one dataset's", () => {
  expect(pinnedDatasetSchema({ options: { decimalSeparator: ',' } }, 'orders')).toEqual({
    columns: {},
    options: { decimalSeparator: ',' },
  });
  const perDataset = { datasets: { de: { options: { dateFormat: '%d.%m.%Y' } }, us: { columns: {} } } };
  expect(pinnedDatasetSchema(perDataset, 'de')).toEqual({ columns: {}, options: { dateFormat: '%d.%m.%Y' } });
  expect(pinnedDatasetSchema(perDataset, 'us')).toEqual({ columns: {} });
  expect(() => pinnedDatasetSchema({ datasets: { de: { options: { dateFormat: '%d' } } } }, 'x')).toThrow(
    /the schema file's dataset "de": "options": date format "%d" needs one year/,
  );
  expect(() => pinnedDatasetSchema({ options: {}, datasets: {} }, 'x')).toThrow(
    /both "options" and "datasets"/,
  );
});
