/*
 * The dataset schema: names, fingerprint, the merge along the type lattice, the stored file (read,
 * validated, widened with a history) and pinned schemas. Concurrent widening: dataset-schema-concurrency.
 */
import * as avro from 'avsc';
import fc from 'fast-check';
import type { TableColumn } from '../../../lambdas/core/model/schema';
import { WriteConflictError } from '../../../lambdas/io/object-store';
import {
  type DatasetSchema,
  mergeColumns,
  pinnedDatasetSchema,
  readDatasetSchema,
  recordNameFor,
  SCHEMA_HISTORY_LIMIT,
  schemaFingerprint,
  schemaKey,
  tableLayoutOf,
  widenDatasetSchema,
} from '../../../lambdas/lake/dataset-schema';
import { SchemaConflictError, SchemaMismatchError } from '../../../lambdas/shared/errors';
import { MemoryObjectStore } from '../../support/memory-store';

const B = 'out';
const col = (name: string, type: TableColumn['type']): TableColumn => ({ name, type });
const file = (columns: TableColumn[], extra: Partial<{ partitions: string[]; key: string }> = {}) => ({
  columns,
  partitions: extra.partitions ?? [],
  runId: 'run-1',
  key: extra.key ?? 'incoming/orders/day1.csv',
  at: '2026-11-24T00:00:00.000Z',
});

describe('names and fingerprint', () => {
  it('keeps the schema of a dataset at _schemas/<dataset>.json, the name as it is', () => {
    expect(schemaKey('orders')).toBe('_schemas/orders.json');
    expect(schemaKey('Crm Contacts')).toBe('_schemas/Crm Contacts.json');
  });

  it.each([
    ['crm-contacts', 'crm_contacts'],
    ['2024x', '_2024x'],
    ['Orders', 'orders'],
    ['Café Crème', 'cafe_creme'],
    ['a--b..c', 'a_b_c'],
    ['string', '_string'],
    ['', 'dataset'],
    ['_private', '_private'],
  ])('record name of %j is %j', (dataset, name) => {
    expect(recordNameFor(dataset)).toBe(name);
  });

  it('gives a name avsc accepts for any dataset name', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), (dataset) => {
        const name = recordNameFor(dataset);
        expect(name).toBe(recordNameFor(dataset));
        expect(() =>
          avro.Type.forSchema({ type: 'record', name, namespace: 'csv2lake', fields: [] }),
        ).not.toThrow();
        expect(name).toMatch(/^[a-z_][a-z0-9_]*$/);
      }),
    );
  });

  it('fingerprints names, types and order, in 16 hex digits that do not change between versions', () => {
    const columns = [col('id', 'int64'), col('amount', 'double')];

    const fingerprint = schemaFingerprint(columns);

    // sha256 of [["id","int64"],["amount","double"]] (sha256sum), pinned: outputs of earlier runs record it,
    // and a change would convert every output again.
    expect(fingerprint).toBe('0718c50f9e12c15e');
    expect(schemaFingerprint([col('id', 'int64'), col('amount', 'double')])).toBe(fingerprint);
    expect(schemaFingerprint([col('amount', 'double'), col('id', 'int64')])).not.toBe(fingerprint);
    expect(schemaFingerprint([col('id', 'int64'), col('amount', 'string')])).not.toBe(fingerprint);
    expect(schemaFingerprint([col('id', 'int64'), col('amounts', 'double')])).not.toBe(fingerprint);
    expect(schemaFingerprint([col('id,int64', 'string')])).not.toBe(schemaFingerprint([col('id', 'string')]));
  });

  it('gives the core the record name and columns of a stored schema', () => {
    const schema: DatasetSchema = {
      dataset: 'orders',
      version: 3,
      recordName: 'orders',
      partitions: ['dt'],
      columns: [col('id', 'int64')],
      history: [],
    };

    expect(tableLayoutOf(schema)).toEqual({ recordName: 'orders', columns: [col('id', 'int64')] });
  });
});

describe('mergeColumns', () => {
  it.each([
    ['int32', 'int64', 'int64'],
    ['int64', 'int32', 'int64'],
    ['int64', 'double', 'double'],
    ['int32', 'double', 'double'],
    ['double', 'string', 'string'],
    ['date', 'timestamp', 'timestamp'],
    ['timestamp', 'date', 'timestamp'],
    ['boolean', 'int64', 'string'],
    ['date', 'int64', 'string'],
    ['timestamp', 'double', 'string'],
  ] as const)('%s joined with %s is %s', (base, other, joined) => {
    const { columns, changes } = mergeColumns([col('x', base)], [col('x', other)]);

    expect(columns).toEqual([col('x', joined)]);
    expect(changes).toEqual(joined === base ? [] : [{ column: 'x', from: base, to: joined }]);
  });

  it('never narrows: a narrower file type changes nothing', () => {
    const base = [col('a', 'string'), col('b', 'double'), col('c', 'timestamp')];

    const merged = mergeColumns(base, [col('a', 'int32'), col('b', 'int64'), col('c', 'date')]);

    expect(merged).toEqual({ columns: base, changes: [] });
  });

  it('keeps the table order, columns a file lacks included, and appends new ones in file order', () => {
    const base = [col('id', 'int64'), col('name', 'string'), col('amount', 'int64')];

    const { columns, changes } = mergeColumns(base, [
      col('zeta', 'date'),
      col('amount', 'double'),
      col('id', 'int64'),
      col('alpha', 'boolean'),
    ]);

    expect(columns).toEqual([
      ...base.slice(0, 2),
      col('amount', 'double'),
      col('zeta', 'date'),
      col('alpha', 'boolean'),
    ]);
    expect(changes).toEqual([
      { column: 'zeta', to: 'date' },
      { column: 'amount', from: 'int64', to: 'double' },
      { column: 'alpha', to: 'boolean' },
    ]);
  });

  it('is the join: merging is commutative in types and idempotent', () => {
    const types = fc.constantFrom(
      ...(['boolean', 'int32', 'int64', 'double', 'date', 'timestamp', 'string'] as const),
    );
    fc.assert(
      fc.property(types, types, types, (a, b, c) => {
        const ab = mergeColumns([col('x', a)], [col('x', b)]).columns;
        const ba = mergeColumns([col('x', b)], [col('x', a)]).columns;
        const abc = mergeColumns(ab, [col('x', c)]).columns;
        expect(ab).toEqual(ba);
        expect(mergeColumns(ab, ab).changes).toEqual([]);
        expect(mergeColumns(abc, [col('x', a)]).changes).toEqual([]);
      }),
    );
  });
});

describe('readDatasetSchema', () => {
  it('finds nothing for a dataset without a schema', async () => {
    expect(await readDatasetSchema(new MemoryObjectStore(), B, 'orders')).toBeUndefined();
  });

  it('reads a written schema with the ETag of the version read', async () => {
    const store = new MemoryObjectStore();
    const { schema } = await widenDatasetSchema(store, B, 'orders', file([col('id', 'int64')]));

    const read = await readDatasetSchema(store, B, 'orders');

    expect(read?.schema).toEqual(schema);
    expect(read?.etag).toBe((await store.head(B, '_schemas/orders.json'))?.etag);
  });

  const valid = {
    dataset: 'orders',
    version: 1,
    recordName: 'orders',
    partitions: [],
    columns: [{ name: 'id', type: 'int64' }],
    history: [],
  };
  it.each([
    [
      'not JSON',
      '{"dataset": "orders", ',
      /out\/_schemas\/orders\.json of dataset "orders" is not valid JSON/,
    ],
    ['a list', '[]', /is not a JSON object/],
    ['another dataset', JSON.stringify({ ...valid, dataset: 'customers' }), /names the dataset "customers"/],
    ['version 0', JSON.stringify({ ...valid, version: 0 }), /has the version 0/],
    ['a bad record name', JSON.stringify({ ...valid, recordName: 'my-orders' }), /record name "my-orders"/],
    [
      'an unknown type',
      JSON.stringify({ ...valid, columns: [{ name: 'id', type: 'integer' }] }),
      /gives column "id" the type "integer"; use one of boolean, int32/,
    ],
    [
      'a column twice',
      JSON.stringify({ ...valid, columns: [valid.columns[0], valid.columns[0]] }),
      /lists column "id" twice/,
    ],
    ['no partitions', JSON.stringify({ ...valid, partitions: 'dt' }), /no "partitions" list/],
    [
      'a bad history',
      JSON.stringify({ ...valid, history: [{ version: 1 }] }),
      /"history" that is not a list/,
    ],
  ])('refuses a stored schema that is %s, naming the key and what is wrong', async (_what, text, message) => {
    const store = new MemoryObjectStore();
    await store.put(B, '_schemas/orders.json', text);

    const error = await readDatasetSchema(store, B, 'orders').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SchemaMismatchError);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses a corrupt schema when widening too, writing nothing', async () => {
    const store = new MemoryObjectStore();
    await store.put(B, '_schemas/orders.json', 'garbage');

    await expect(widenDatasetSchema(store, B, 'orders', file([col('id', 'int64')]))).rejects.toThrow(
      SchemaMismatchError,
    );
    expect(store.text(B, '_schemas/orders.json')).toBe('garbage');
  });
});

describe('widenDatasetSchema', () => {
  it('writes the first schema: version 1, every column added, one history entry', async () => {
    const store = new MemoryObjectStore();

    const { schema, changes } = await widenDatasetSchema(
      store,
      B,
      'Crm-Contacts',
      file([col('id', 'int64'), col('email', 'string')], {
        partitions: ['dt'],
        key: 'in/Crm-Contacts/dt=1/a.csv',
      }),
    );

    const added = [
      { column: 'id', to: 'int64' },
      { column: 'email', to: 'string' },
    ];
    expect(changes).toEqual(added);
    expect(schema).toEqual({
      dataset: 'Crm-Contacts',
      version: 1,
      recordName: 'crm_contacts',
      partitions: ['dt'],
      columns: [col('id', 'int64'), col('email', 'string')],
      history: [
        {
          version: 1,
          runId: 'run-1',
          key: 'in/Crm-Contacts/dt=1/a.csv',
          at: '2026-11-24T00:00:00.000Z',
          changes: added,
        },
      ],
    });
    expect(JSON.parse(store.text(B, '_schemas/Crm-Contacts.json')!)).toEqual(schema);
  });

  it('writes nothing when the file changes nothing', async () => {
    const store = new MemoryObjectStore();
    await widenDatasetSchema(store, B, 'orders', file([col('id', 'int64'), col('amount', 'double')]));
    const before = await store.head(B, '_schemas/orders.json');
    const put = jest.spyOn(store, 'put');

    const { schema, changes } = await widenDatasetSchema(store, B, 'orders', file([col('amount', 'int64')]));

    expect(changes).toEqual([]);
    expect(schema.version).toBe(1);
    expect(put).not.toHaveBeenCalled();
    expect((await store.head(B, '_schemas/orders.json'))?.etag).toBe(before?.etag);
  });

  it('widens and adds: version + 1, the history says what changed and which file needed it', async () => {
    const store = new MemoryObjectStore();
    await widenDatasetSchema(store, B, 'orders', file([col('id', 'int64'), col('amount', 'int64')]));

    const { schema, changes } = await widenDatasetSchema(store, B, 'orders', {
      ...file([col('amount', 'double'), col('note', 'string')], { key: 'incoming/orders/day2.csv' }),
      runId: 'run-2',
    });

    expect(changes).toEqual([
      { column: 'amount', from: 'int64', to: 'double' },
      { column: 'note', to: 'string' },
    ]);
    expect(schema.version).toBe(2);
    expect(schema.columns).toEqual([col('id', 'int64'), col('amount', 'double'), col('note', 'string')]);
    expect(schema.history.map((h) => [h.version, h.runId, h.key])).toEqual([
      [1, 'run-1', 'incoming/orders/day1.csv'],
      [2, 'run-2', 'incoming/orders/day2.csv'],
    ]);
    expect((await readDatasetSchema(store, B, 'orders'))?.schema).toEqual(schema);
  });

  it(`keeps the newest ${SCHEMA_HISTORY_LIMIT} history entries`, async () => {
    const store = new MemoryObjectStore();
    const history = [...Array(SCHEMA_HISTORY_LIMIT).keys()].map((i) => ({
      version: i + 1,
      runId: `run-${i + 1}`,
      key: 'k',
      at: 'then',
      changes: [],
    }));
    const seeded = {
      dataset: 'orders',
      version: SCHEMA_HISTORY_LIMIT,
      recordName: 'orders',
      partitions: [],
      columns: [col('a', 'int32')],
      history,
    };
    await store.put(B, '_schemas/orders.json', JSON.stringify(seeded));

    const { schema } = await widenDatasetSchema(store, B, 'orders', file([col('a', 'int64')]));

    expect(schema.history).toHaveLength(SCHEMA_HISTORY_LIMIT);
    expect(schema.history[0]!.version).toBe(2);
    expect(schema.history.at(-1)).toMatchObject({
      version: SCHEMA_HISTORY_LIMIT + 1,
      changes: [{ column: 'a', from: 'int32', to: 'int64' }],
    });
  });

  it('refuses a file whose partition columns are not the stored ones (the pattern changed)', async () => {
    const store = new MemoryObjectStore();
    await widenDatasetSchema(store, B, 'orders', file([col('id', 'int64')], { partitions: ['dt'] }));

    const error = await widenDatasetSchema(
      store,
      B,
      'orders',
      file([col('id', 'int64')], { partitions: ['dt', 'region'], key: 'in/orders/dt=1/region=eu/a.csv' }),
    ).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SchemaMismatchError);
    expect((error as Error).message).toMatch(
      /has the partition columns \[dt\] but "in\/orders\/dt=1\/region=eu\/a.csv" gives \[dt, region\]: the dataset pattern changed/,
    );
  });

  it('merges again into the schema that won a race, and gives up with SchemaConflictError after 10 retries', async () => {
    const store = new MemoryObjectStore();
    await widenDatasetSchema(store, B, 'orders', file([col('id', 'int32')]));
    const put = store.put.bind(store);
    let lost = 0;
    // Another writer gets in before every write of this one.
    jest.spyOn(store, 'put').mockImplementation(async (bucket, key) => {
      lost++;
      await put(bucket, key, JSON.stringify({ ...JSON.parse(store.text(bucket, key)!), version: 1 + lost }));
      throw new WriteConflictError('lost');
    });

    const error = await widenDatasetSchema(store, B, 'orders', file([col('id', 'int64')])).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(SchemaConflictError);
    expect((error as Error).message).toMatch(/changed under 11 writes in a row/);
    expect(lost).toBe(11);
  });
});

describe('pinnedDatasetSchema', () => {
  it('pins every dataset with {"columns"}', () => {
    const doc = { columns: { id: 'int32', day: 'date' } };

    expect(pinnedDatasetSchema(doc, 'orders')).toEqual(doc);
    expect(pinnedDatasetSchema(doc, 'customers')).toEqual(doc);
  });

  it('pins the datasets it names with {"datasets"}, and no other', () => {
    const doc = {
      datasets: { orders: { columns: { id: 'int32' } }, customers: { columns: { since: 'date' } } },
    };

    expect(pinnedDatasetSchema(doc, 'orders')).toEqual({ columns: { id: 'int32' } });
    expect(pinnedDatasetSchema(doc, 'customers')).toEqual({ columns: { since: 'date' } });
    expect(pinnedDatasetSchema(doc, 'refunds')).toBeUndefined();
  });

  it.each([
    ['a list', [], /not a JSON object/],
    ['neither form', { cols: {} }, /has neither "columns" nor "datasets"; expected \{"columns"/],
    ['columns not an object', { columns: ['id'] }, /the schema file has no "columns" object/],
    ['both forms', { columns: {}, datasets: {} }, /has both "columns" and "datasets"/],
    ['datasets not an object', { datasets: ['orders'] }, /"datasets" is not an object/],
    [
      'a bad type in another dataset',
      { datasets: { orders: { columns: {} }, refunds: { columns: { amount: 'money' } } } },
      /dataset "refunds": column "amount" has type "money"/,
    ],
    [
      'an entry without columns',
      { datasets: { orders: { id: 'int32' } } },
      /dataset "orders" has no "columns" object/,
    ],
  ])('refuses %s with a clear SchemaMismatchError', (_what, doc, message) => {
    const error = (() => {
      try {
        return pinnedDatasetSchema(doc, 'orders');
      } catch (e) {
        return e;
      }
    })();

    expect(error).toBeInstanceOf(SchemaMismatchError);
    expect((error as Error).message).toMatch(message);
  });
});
