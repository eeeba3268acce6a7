/*
 * ConvertOptions.table (issue 11): a file joins a table. Nights of one `orders` export converted with the
 * table carried from one to the next read back as ONE table: DuckDB's read_parquet over every file with
 * default options, hyparquet's schema of each file, avsc reading every Avro file with the last file's
 * Avro schema as the reader schema. The table as a floor, a pinned schema on top of it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConvertOptions } from '../../../lambdas/core/model/options';
import { SchemaMismatchError } from '../../../lambdas/core/model/errors';
import type { ColumnType, TableColumn, TableLayout } from '../../../lambdas/core/model/schema';
import { joinTypes } from '../../../lambdas/core/model/type-lattice';
import { convertFile, type FileConversionResult } from '../../../lambdas/io/convert-file';
import { query, readAvro } from '../../support/readers';
import { folder, parquetSchema, writerWorkerForTests } from './table-support';

const worker = writerWorkerForTests('table-test');

/** The table after a file: its columns with types joined, the file's new columns appended (the lake's merge). */
function merge(table: TableLayout | undefined, result: FileConversionResult): TableLayout {
  const before = new Map((table?.columns ?? []).map((c) => [c.name, c.type]));
  const columns: TableColumn[] = result.columns.map(({ name, type }) => {
    const old = before.get(name);
    return { name, type: old === undefined ? type : joinTypes(old, type) };
  });
  return { recordName: 'Orders', columns };
}

const NIGHTS = [
  // Whole-number amounts; ids small enough for int32.
  'Order ID,Customer Ref,Amount,Note\n1,100,10,first\n2,101,20,\n',
  // A customer ref above 2^31, decimals, the note missing, a new column.
  'Order ID,Customer Ref,Amount,Coupon\n3,3000000008,12.5,SAVE10\n4,102,7,\n',
  // Another column order, the customer ref all empty, whole-number amounts again.
  'Amount,Coupon,Order ID,Note,Customer Ref\n5,,5,third,\n6,X,6,,\n',
];

/** Per table column, every night's CSV text (undefined: empty or missing), keyed by order id. */
function csvCells(): Map<string, Record<string, string | undefined>> {
  const names: Record<string, string> = {
    'Order ID': 'order_id',
    'Customer Ref': 'customer_ref',
    Amount: 'amount',
    Note: 'note',
    Coupon: 'coupon',
  };
  const byId = new Map<string, Record<string, string | undefined>>();
  for (const night of NIGHTS) {
    const [header, ...lines] = night.trim().split('\n');
    const columns = header!.split(',').map((h) => names[h]!);
    for (const line of lines) {
      const row: Record<string, string | undefined> = {};
      line.split(',').forEach((text, i) => (row[columns[i]!] = text === '' ? undefined : text));
      byId.set(row.order_id!, row);
    }
  }
  return byId;
}

/** A CSV text as DuckDB renders a value of the type (BIGINT as text, DOUBLE as a number). */
function duckCell(text: string | undefined, type: ColumnType): unknown {
  if (text === undefined) return null;
  return type === 'double' ? Number(text) : text;
}

/** A CSV text as avsc decodes a value of the type (longs as BigInt). */
function avroCell(text: string | undefined, type: ColumnType): unknown {
  if (text === undefined) return null;
  return type === 'int64' ? BigInt(text) : type === 'double' ? Number(text) : text;
}

describe.each<[string, ConvertOptions]>([
  ['on one thread', {}],
  ['with the writer thread', { writerWorkerPath: worker, secondThreadMinBytes: 0 }],
])('three nights of orders, %s', (_mode, mode) => {
  test('convert as one table: same columns, types and order in every file; DuckDB and avsc read them as one', async () => {
    const input = folder('nights-in-');
    const out = folder('nights-out-');
    // The lake converts every night with the dataset's table, the first one with an empty table.
    let table: TableLayout = { recordName: 'Orders', columns: [] };
    const results: FileConversionResult[] = [];
    for (const [n, text] of NIGHTS.entries()) {
      const path = join(input, `2024-01-0${n + 1}.csv`);
      writeFileSync(path, text);
      const result = await convertFile(path, out, { ...mode, table });
      results.push(result);
      table = merge(table, result);
    }
    const [first, second, third] = results as [
      FileConversionResult,
      FileConversionResult,
      FileConversionResult,
    ];

    // Night 1: lake names, integers as int64, the whole-number amount too.
    expect(first.columns).toEqual([
      { name: 'order_id', type: 'int64', sourceName: 'Order ID' },
      { name: 'customer_ref', type: 'int64', sourceName: 'Customer Ref' },
      { name: 'amount', type: 'int64', sourceName: 'Amount' },
      { name: 'note', type: 'string', sourceName: 'Note' },
    ]);
    // Kept as written, before the amount widened: read below with the last file's Avro schema.
    const avroOfFirstNight = join(folder('night-1-avro-'), 'kept.avro');
    writeFileSync(avroOfFirstNight, readFileSync(first.outputs.avro!));

    // Night 2: the big id stays int64, the amount widens from int64 to double, the note it lacks is
    // null, the coupon is appended.
    expect(second.columns).toEqual([
      { name: 'order_id', type: 'int64', sourceName: 'Order ID' },
      { name: 'customer_ref', type: 'int64', sourceName: 'Customer Ref' },
      { name: 'amount', type: 'double', sourceName: 'Amount' },
      { name: 'note', type: 'string' },
      { name: 'coupon', type: 'string', sourceName: 'Coupon' },
    ]);

    // Night 3: the table's order, the all-empty customer ref takes the table's int64, whole amounts stay
    // double; every value fits the table, so the file is read once; the table does not change.
    expect(third.columns).toEqual([
      { name: 'order_id', type: 'int64', sourceName: 'Order ID' },
      { name: 'customer_ref', type: 'int64', sourceName: 'Customer Ref' },
      { name: 'amount', type: 'double', sourceName: 'Amount' },
      { name: 'note', type: 'string', sourceName: 'Note' },
      { name: 'coupon', type: 'string', sourceName: 'Coupon' },
    ]);
    expect(third.passes).toBe(1);
    expect(merge(table, third)).toEqual(table);

    // The reconcile: night 1 was written before the amount widened, so it is converted again with the
    // final table (nights 2 and 3 already have its columns).
    expect(second.columns.map((c) => [c.name, c.type])).toEqual(table.columns.map((c) => [c.name, c.type]));
    const first2 = await convertFile(join(input, '2024-01-01.csv'), out, { ...mode, table });
    expect(first2.columns.map((c) => [c.name, c.type])).toEqual(table.columns.map((c) => [c.name, c.type]));
    const [second2, third2] = [second, third];

    const files = [first2, second2, third2].map((r) => r.outputs.parquet!);
    const schemas = await Promise.all(files.map(parquetSchema));
    expect(schemas[1]).toEqual(schemas[0]);
    expect(schemas[2]).toEqual(schemas[0]);
    expect(schemas[0]!.map(([name, type]) => [name, type])).toEqual([
      ['order_id', 'INT64'],
      ['customer_ref', 'INT64'],
      ['amount', 'DOUBLE'],
      ['note', 'BYTE_ARRAY'],
      ['coupon', 'BYTE_ARRAY'],
    ]);

    // DuckDB, default options: one table, every value the CSV text under the type rules.
    const list = `[${files.map((f) => `'${f}'`).join(', ')}]`;
    const described = await query(`DESCRIBE SELECT * FROM read_parquet(${list})`);
    expect(described.map((d) => [d.column_name, d.column_type])).toEqual([
      ['order_id', 'BIGINT'],
      ['customer_ref', 'BIGINT'],
      ['amount', 'DOUBLE'],
      ['note', 'VARCHAR'],
      ['coupon', 'VARCHAR'],
    ]);
    const rows = await query(`SELECT * FROM read_parquet(${list}) ORDER BY order_id`);
    const cells = csvCells();
    expect(rows).toEqual(
      [...cells.values()].map((row) =>
        Object.fromEntries(table!.columns.map((c) => [c.name, duckCell(row[c.name], c.type)])),
      ),
    );

    // avsc: every Avro file, the one written before the amount widened included (long promotes to
    // double, the coupon it lacks takes its default), read with the last file's schema as reader schema.
    const reader = (await readAvro(third2.outputs.avro!)).schema;
    expect(reader).toMatchObject({ type: 'record', name: 'Orders', namespace: 'csv2lake' });
    expect((reader.fields as { name: string; doc: string }[]).map((f) => [f.name, f.doc])).toEqual([
      ['order_id', 'Order ID'],
      ['customer_ref', 'Customer Ref'],
      ['amount', 'Amount'],
      ['note', 'Note'],
      ['coupon', 'Coupon'],
    ]);
    const avroRows: Record<string, unknown>[] = [];
    for (const path of [first2.outputs.avro!, second2.outputs.avro!, third2.outputs.avro!]) {
      avroRows.push(...(await readAvro(path, reader)).rows);
    }
    const expected = [...cells.values()].map((row) =>
      Object.fromEntries(table!.columns.map((c) => [c.name, avroCell(row[c.name], c.type)])),
    );
    expect(avroRows).toEqual(expected);
    expect((await readAvro(avroOfFirstNight, reader)).rows).toEqual(expected.slice(0, 2));
  });
});

describe('the table as a floor', () => {
  const orders: TableLayout = {
    recordName: 'Orders',
    columns: [
      { name: 'order_id', type: 'int64' },
      { name: 'amount', type: 'int64' },
      { name: 'late', type: 'int64' },
    ],
  };
  // Past the first MiB, the sample the first pass guesses its types from.
  const big = (last: string) => {
    const lines = Array.from({ length: 70000 }, (_, i) => `${i},${i % 100},,padding-${i}`);
    lines.push(last);
    return `Order ID,Amount,Late,Pad\n${lines.join('\n')}\n`;
  };

  test('a column empty in the sample takes the table type in the guess: the file is read once', async () => {
    const dir = folder('floor-');
    const path = join(dir, 'orders.csv');
    writeFileSync(path, big('70000,5,42,end'));
    const withTable = await convertFile(path, join(dir, 'with'), { table: orders, formats: ['parquet'] });
    expect(withTable.passes).toBe(1);
    expect(withTable.columns.map((c) => [c.name, c.type])).toEqual([
      ['order_id', 'int64'],
      ['amount', 'int64'],
      ['late', 'int64'],
      ['pad', 'string'],
    ]);
    // Without the table, the empty-in-the-sample column was guessed as text: read twice.
    const alone = await convertFile(path, join(dir, 'alone'), { formats: ['parquet'] });
    expect(alone.passes).toBe(2);
    const [last] = await query(
      `SELECT order_id, late FROM read_parquet('${withTable.outputs.parquet}') WHERE late IS NOT NULL`,
    );
    expect(last).toEqual({ order_id: '70000', late: '42' });
  });

  test.each<[string, ConvertOptions]>([
    ['both formats', {}],
    ['Avro alone', { formats: ['avro'] }],
  ])(
    'a value wider than the floor widens the column and forces a second pass (%s)',
    async (_name, options) => {
      const dir = folder('floor-wide-');
      const path = join(dir, 'orders.csv');
      writeFileSync(path, big('70000,12.5,,end'));
      const result = await convertFile(path, join(dir, 'out'), { ...options, table: orders });
      expect(result.passes).toBe(2);
      expect(result.columns.map((c) => [c.name, c.type])).toEqual([
        ['order_id', 'int64'],
        ['amount', 'double'],
        ['late', 'int64'],
        ['pad', 'string'],
      ]);
      const { rows } = await readAvro(result.outputs.avro!);
      expect(rows).toHaveLength(70001);
      expect(rows[70000]).toEqual({ order_id: 70000n, amount: 12.5, late: null, pad: 'end' });
      expect(rows[99]).toEqual({ order_id: 99n, amount: 99, late: null, pad: 'padding-99' });
    },
  );

  test('a floor of text keeps numbers as text; date widens to timestamp', async () => {
    const dir = folder('floor-text-');
    const path = join(dir, 'x.csv');
    writeFileSync(path, 'code,day\n1,2024-01-01T10:00:00Z\n2,\n');
    const table: TableLayout = {
      recordName: 'X',
      columns: [
        { name: 'code', type: 'string' },
        { name: 'day', type: 'date' },
      ],
    };
    const result = await convertFile(path, join(dir, 'out'), { table });
    expect(result.columns.map((c) => c.type)).toEqual(['string', 'timestamp']);
    const rows = await query(
      `SELECT code, day::VARCHAR AS day FROM read_parquet('${result.outputs.parquet}')`,
    );
    expect(rows).toEqual([
      { code: '1', day: '2024-01-01 10:00:00+00' },
      { code: '2', day: null },
    ]);
  });
});

describe('a pinned schema on top of a table', () => {
  const table: TableLayout = {
    recordName: 'Orders',
    columns: [
      { name: 'order_id', type: 'int64' },
      { name: 'customer_ref', type: 'int64' },
      { name: 'amount', type: 'int64' },
    ],
  };

  test('pins by header text or lake name, exactly: a value that does not fit rejects its row', async () => {
    const dir = folder('pinned-');
    const path = join(dir, 'orders.csv');
    writeFileSync(path, 'Order ID,Customer Ref,Amount\n1,A-7,10\n2,8,x\n3,,1.5\n');
    const result = await convertFile(path, join(dir, 'out'), {
      table,
      schema: { columns: { 'Customer Ref': 'string', amount: 'double' } },
    });
    expect(result.columns).toEqual([
      { name: 'order_id', type: 'int64', sourceName: 'Order ID' },
      { name: 'customer_ref', type: 'string', sourceName: 'Customer Ref' },
      { name: 'amount', type: 'double', sourceName: 'Amount' },
    ]);
    expect(result.rejectedRows).toBe(1);
    // (Quotes doubled: the rejects file is CSV.)
    expect(readFileSync(result.outputs.rejects!, 'utf8')).toContain(
      'column ""Amount"": ""x"" is not a valid double',
    );
    const rows = await query(`SELECT * FROM read_parquet('${result.outputs.parquet}') ORDER BY order_id`);
    expect(rows).toEqual([
      { order_id: '1', customer_ref: 'A-7', amount: 10 },
      { order_id: '3', customer_ref: null, amount: 1.5 },
    ]);
  });

  test('a key that is neither a header nor a lake name of the file is an error', async () => {
    const dir = folder('pinned-bad-');
    const path = join(dir, 'orders.csv');
    writeFileSync(path, 'Order ID,Amount\n1,2\n');
    await expect(
      convertFile(path, join(dir, 'out'), { table, schema: { columns: { customer_ref: 'string' } } }),
    ).rejects.toBeInstanceOf(SchemaMismatchError);
  });
});
