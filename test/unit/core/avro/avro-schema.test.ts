import * as avro from 'avsc';
import { avroSchemaFor } from '../../../../lambdas/core/avro/avro-schema';
import type { Column, ColumnType, TableSchema } from '../../../../lambdas/core/model/schema';

const column = (name: string, type: ColumnType, avroName = name, sourceName = name): Column => ({
  name,
  sourceName,
  avroName,
  type,
});

interface Field {
  name: string;
  type: unknown;
  default: unknown;
  doc: string;
  aliases?: string[];
  'csv2lake.name': string;
  'csv2lake.sourceName': string;
}

describe('avroSchemaFor', () => {
  const schema: TableSchema = {
    columns: [
      column('b', 'boolean'),
      column('i', 'int32'),
      column('l', 'int64'),
      column('d', 'double'),
      column('day', 'date'),
      column('at', 'timestamp'),
      column('s', 'string'),
    ],
  };

  it('is a record csv2lake.Row with one nullable field per column, in order, default null', () => {
    const avroSchema = avroSchemaFor(schema);
    expect(avroSchema).toMatchObject({ type: 'record', name: 'Row', namespace: 'csv2lake' });
    const fields = avroSchema.fields as Field[];
    expect(fields.map((f) => f.name)).toEqual(['b', 'i', 'l', 'd', 'day', 'at', 's']);
    expect(fields.map((f) => f.type)).toEqual([
      ['null', 'boolean'],
      ['null', 'int'],
      ['null', 'long'],
      ['null', 'double'],
      ['null', { type: 'int', logicalType: 'date' }],
      ['null', { type: 'long', logicalType: 'timestamp-micros' }],
      ['null', 'string'],
    ]);
    for (const f of fields) expect(f.default).toBeNull();
  });

  it('is a schema avsc accepts, with the logical types avsc recognises', () => {
    class DateType extends avro.types.LogicalType {}
    class MicrosType extends avro.types.LogicalType {}
    const type = avro.Type.forSchema(avroSchemaFor(schema) as avro.Schema, {
      logicalTypes: { date: DateType, 'timestamp-micros': MicrosType },
    }) as avro.types.RecordType;
    expect(type.name).toBe('csv2lake.Row');
    const union = (name: string) => (type.field(name)!.type as avro.types.UnwrappedUnionType).types;
    expect(union('day')[1]).toBeInstanceOf(DateType);
    expect(union('at')[1]).toBeInstanceOf(MicrosType);
    expect(union('i')[1]!.typeName).toBe('int');
    expect(type.isValid({ b: null, i: 1, l: null, d: null, day: null, at: null, s: { string: 'x' } })).toBe(
      false,
    );
  });

  it('keeps the column name in doc and csv2lake.name, the header text in csv2lake.sourceName', () => {
    const fields = avroSchemaFor({
      columns: [
        column('Prénom', 'string', 'Prenom'),
        column('id_1', 'int32', 'id_1', 'id'),
        column('column_3', 'double', 'column_3', ''),
      ],
    }).fields as Field[];
    expect(fields.map((f) => [f.name, f.doc, f['csv2lake.name'], f['csv2lake.sourceName']])).toEqual([
      ['Prenom', 'Prénom', 'Prénom', 'Prénom'],
      ['id_1', 'id_1', 'id_1', 'id'],
      ['column_3', 'column_3', 'column_3', ''],
    ]);
  });

  it('lists the column name as an alias only when it is a valid name no other field answers to', () => {
    const fields = avroSchemaFor({
      columns: [
        column('null', 'string', 'null_'),
        column('Prénom', 'string', 'Prenom'),
        column('a', 'int32'),
        column('A', 'int32', 'A_2'),
        column('same', 'int32'),
      ],
    }).fields as Field[];
    expect(fields.map((f) => f.aliases)).toEqual([['null'], undefined, undefined, undefined, undefined]);
    // avsc takes the alias and encodes by the field name.
    const writer = avro.Type.forSchema(
      avroSchemaFor({ columns: [column('null', 'string', 'null_')] }) as avro.Schema,
    );
    expect(writer.toBuffer({ null_: 'v' })).toEqual(Buffer.from([2, 2, 0x76]));
  });

  it('gives a record with no fields for no columns', () => {
    expect(avroSchemaFor({ columns: [] }).fields).toEqual([]);
  });

  it('names the record as asked (one name per dataset), else after the schema, else Row', () => {
    expect(avroSchemaFor(schema, 'Orders')).toMatchObject({ name: 'Orders', namespace: 'csv2lake' });
    expect(avroSchemaFor({ ...schema, recordName: 'Events' })).toMatchObject({ name: 'Events' });
    expect(avroSchemaFor({ ...schema, recordName: 'Events' }, 'Orders')).toMatchObject({ name: 'Orders' });
  });

  it("a table's schema: the header text as doc, none for a column the file lacks; avsc takes it", () => {
    const table: TableSchema = {
      columns: [column('order_id', 'int64', 'order_id', 'Order ID'), column('gone', 'date')],
      sources: [0, -1],
      recordName: 'Orders',
    };
    const avroSchema = avroSchemaFor(table);
    expect(avroSchema.fields).toEqual([
      {
        name: 'order_id',
        type: ['null', 'long'],
        default: null,
        doc: 'Order ID',
        'csv2lake.sourceName': 'Order ID',
        'csv2lake.name': 'order_id',
      },
      {
        name: 'gone',
        type: ['null', { type: 'int', logicalType: 'date' }],
        default: null,
        doc: 'gone',
        'csv2lake.name': 'gone',
      },
    ]);
    expect(avro.Type.forSchema(avroSchema as avro.Schema).name).toBe('csv2lake.Orders');
  });
});
