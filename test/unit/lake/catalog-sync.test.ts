import {
  syncCatalog,
  tableInput,
  type CatalogDataset,
  type CatalogWriter,
  type PartitionInput,
  type TableInput,
} from '../../../lambdas/lake/catalog';
import type { DatasetSchema } from '../../../lambdas/lake/dataset-schema';
import { LocalCatalogWriter, stableJson } from '../../../lambdas/lake/local-catalog';
import { MemoryObjectStore } from '../../support/memory-store';

function schemaOf(dataset: string, partitions: string[] = []): DatasetSchema {
  return {
    dataset,
    version: 1,
    recordName: dataset.replace(/[^A-Za-z0-9_]/g, '_'),
    partitions,
    columns: [
      { name: 'id', type: 'int64' },
      { name: 'amount', type: 'double' },
    ],
    history: [],
  };
}

function datasetOf(dataset: string, partitions: string[] = [], values: string[][] = []): CatalogDataset {
  return {
    schema: schemaOf(dataset, partitions),
    formats: ['parquet', 'avro'],
    locations: { parquet: `s3://out/parquet/${dataset}/`, avro: `s3://out/avro/${dataset}/` },
    partitions: values.map((v) => ({ values: v })),
  };
}

function json(store: MemoryObjectStore, key: string): unknown {
  const text = store.text('out', key);
  return text === undefined ? undefined : JSON.parse(text);
}

describe('syncCatalog with the local catalog', () => {
  test('writes each table as its TableInput JSON and the partitions under each format location', async () => {
    const store = new MemoryObjectStore();
    const orders = datasetOf('orders', ['dt'], [['2026-11-24'], ['2026-11-23'], ['2026-11-24']]);

    const sync = await syncCatalog(new LocalCatalogWriter(store, 'out'), 'lake', [
      orders,
      datasetOf('customers'),
    ]);

    expect(sync).toEqual({ tables: ['orders', 'orders_avro', 'customers', 'customers_avro'], errors: [] });
    expect(json(store, '_catalog/lake/orders.json')).toEqual(
      tableInput(orders.schema, 'parquet', 's3://out/parquet/orders/'),
    );
    expect(json(store, '_catalog/lake/orders_avro.json')).toEqual(
      tableInput(orders.schema, 'avro', 's3://out/avro/orders/'),
    );
    expect(json(store, '_catalog/lake/orders_avro.partitions.json')).toEqual([
      { values: ['2026-11-23'], location: 's3://out/avro/orders/dt=2026-11-23/' },
      { values: ['2026-11-24'], location: 's3://out/avro/orders/dt=2026-11-24/' },
    ]);
    // A table without partitions has no partitions file.
    expect(store.text('out', '_catalog/lake/customers.partitions.json')).toBeUndefined();
    expect([...store.objects.keys()].sort()).toEqual([
      'out/_catalog/lake/customers.json',
      'out/_catalog/lake/customers_avro.json',
      'out/_catalog/lake/orders.json',
      'out/_catalog/lake/orders.partitions.json',
      'out/_catalog/lake/orders_avro.json',
      'out/_catalog/lake/orders_avro.partitions.json',
    ]);
  });

  test('the JSON is pretty with sorted keys: the same definition gives the same bytes', async () => {
    const store = new MemoryObjectStore();

    await syncCatalog(new LocalCatalogWriter(store, 'out'), 'lake', [datasetOf('orders')]);

    const text = store.text('out', '_catalog/lake/orders.json')!;
    expect(text).toBe(stableJson(JSON.parse(text)));
    expect(text.indexOf('"Description"')).toBeLessThan(text.indexOf('"Name"'));
    expect(text).toMatch(/^{\n {2}"Description"/);
  });

  test('a later run adds its partitions to those there, each once, sorted', async () => {
    const store = new MemoryObjectStore();
    const writer = new LocalCatalogWriter(store, 'out');
    await syncCatalog(writer, 'lake', [
      datasetOf(
        'orders',
        ['y', 'm'],
        [
          ['2026', '11'],
          ['2025', '12'],
        ],
      ),
    ]);

    await syncCatalog(new LocalCatalogWriter(store, 'out'), 'lake', [
      datasetOf(
        'orders',
        ['y', 'm'],
        [
          ['2026', '12'],
          ['2026', '11'],
        ],
      ),
    ]);

    expect(json(store, '_catalog/lake/orders.partitions.json')).toEqual([
      { values: ['2025', '12'], location: 's3://out/parquet/orders/y=2025/m=12/' },
      { values: ['2026', '11'], location: 's3://out/parquet/orders/y=2026/m=11/' },
      { values: ['2026', '12'], location: 's3://out/parquet/orders/y=2026/m=12/' },
    ]);
  });

  test('datasets whose Glue names collide register neither, each error naming the other', async () => {
    const store = new MemoryObjectStore();

    const sync = await syncCatalog(new LocalCatalogWriter(store, 'out'), 'lake', [
      datasetOf('Orders'),
      datasetOf('orders'),
      datasetOf('customers'),
    ]);

    expect(sync.tables).toEqual(['customers', 'customers_avro']);
    expect(sync.errors.map((e) => e.dataset)).toEqual(['Orders', 'orders']);
    expect(sync.errors[0]!.message).toMatch(
      /dataset "Orders" is not registered in the catalog: dataset "orders" also maps to the Glue table "orders";.*rename one of the folders/,
    );
    expect(sync.errors[1]!.message).toMatch(
      /dataset "orders" .*dataset "Orders" also maps to the Glue table "orders"/,
    );
    expect(store.text('out', '_catalog/lake/orders.json')).toBeUndefined();
    expect(store.text('out', '_catalog/lake/orders_avro.json')).toBeUndefined();
  });

  test("a dataset named like another's Avro table collides with it", async () => {
    const store = new MemoryObjectStore();

    const sync = await syncCatalog(new LocalCatalogWriter(store, 'out'), 'lake', [
      datasetOf('orders'),
      datasetOf('orders_avro'),
    ]);

    expect(sync.tables).toEqual([]);
    expect(sync.errors.map((e) => [e.dataset, e.message.includes('Glue table "orders_avro"')])).toEqual([
      ['orders', true],
      ['orders_avro', true],
    ]);
  });

  test("one dataset's problem is its error; the others are registered", async () => {
    const store = new MemoryObjectStore();
    const clash = datasetOf('clash', ['id']);
    const arity = datasetOf('arity', ['dt'], [['2026', 'extra']]);

    const sync = await syncCatalog(new LocalCatalogWriter(store, 'out'), 'lake', [
      datasetOf('日本'),
      clash,
      arity,
      datasetOf('orders'),
    ]);

    expect(sync.tables).toEqual(['orders', 'orders_avro']);
    expect(sync.errors).toEqual([
      {
        dataset: '日本',
        message: expect.stringMatching(/InvalidOptionsError: dataset "日本" has no letter or digit/),
      },
      { dataset: 'clash', message: expect.stringMatching(/column "id" and a partition of that name/) },
      {
        dataset: 'arity',
        message: expect.stringMatching(/partition \["2026","extra"\] has 2 values for 1 partition keys/),
      },
    ]);
    // Nothing of a refused dataset is written, not even the table of the format that was fine.
    expect([...store.objects.keys()].filter((k) => !k.includes('/orders'))).toEqual([]);
  });

  test('a writer that fails for one dataset fails that dataset only', async () => {
    const puts: string[] = [];
    const writer: CatalogWriter = {
      async putTable(_database: string, table: TableInput) {
        if (table.Name === 'broken')
          throw Object.assign(new Error('no access'), { name: 'AccessDeniedException' });
        puts.push(table.Name);
      },
      async addPartitions(_database: string, _table: string, _partitions: readonly PartitionInput[]) {},
    };

    const sync = await syncCatalog(writer, 'lake', [datasetOf('broken'), datasetOf('orders')]);

    expect(puts).toEqual(['orders', 'orders_avro']);
    expect(sync.errors).toEqual([
      { dataset: 'broken', message: 'catalog of dataset "broken": AccessDeniedException: no access' },
    ]);
  });

  test('a format without a location is an error for its dataset', async () => {
    const store = new MemoryObjectStore();
    const dataset = { ...datasetOf('orders'), locations: { parquet: 's3://out/parquet/orders/' } };

    const sync = await syncCatalog(new LocalCatalogWriter(store, 'out'), 'lake', [dataset]);

    expect(sync).toEqual({
      tables: [],
      errors: [
        { dataset: 'orders', message: 'catalog of dataset "orders": no avro table location was given' },
      ],
    });
  });
});
