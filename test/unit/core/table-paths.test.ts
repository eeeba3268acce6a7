/*
 * ConvertOptions.table (issue 11) on every path a conversion takes: Avro alone (the fused encoder), one
 * format cut in two between threads, both formats through the writer thread; all give the output of both
 * formats on one thread. An unusable table is refused.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConvertOptions } from '../../../lambdas/core/model/options';
import { InvalidOptionsError } from '../../../lambdas/core/model/errors';
import type { ColumnType, TableLayout } from '../../../lambdas/core/model/schema';
import { convertFile } from '../../../lambdas/io/convert-file';
import { query, readAvro } from '../../support/readers';
import { folder, parquetSchema, writerWorkerForTests } from './table-support';

const worker = writerWorkerForTests('table-paths-test');

describe('one table whatever path converts the file', () => {
  const table: TableLayout = {
    recordName: 'Events',
    columns: [
      { name: 'gone', type: 'date' },
      { name: 'value', type: 'int64' },
      { name: 'id', type: 'int64' },
      { name: 'also_gone', type: 'string' },
    ],
  };
  // Two MiB, ragged rows and quoted line breaks, more rows than a batch: cut in two when one format is
  // converted with the worker; many batches through the writer thread otherwise.
  const text = () => {
    const lines = Array.from({ length: 60000 }, (_, i) =>
      i % 7919 === 3 ? `${i},short` : `${i},"text ""${i}""${i % 11 === 0 ? '\nmore' : ''}",${i * 3}`,
    );
    return `ID,Label,Value\n${lines.join('\n')}\n`;
  };

  test.each<[string, ConvertOptions]>([
    [
      'Avro alone, cut in two',
      { formats: ['avro'], writerWorkerPath: worker, secondThreadMinBytes: 1 << 20 },
    ],
    [
      'Parquet alone, cut in two',
      { formats: ['parquet'], writerWorkerPath: worker, secondThreadMinBytes: 1 << 20 },
    ],
    ['both formats, writer thread', { writerWorkerPath: worker, secondThreadMinBytes: 0 }],
    ['Avro alone, one thread', { formats: ['avro'] }],
  ])('%s: the same output as both formats on one thread', async (_name, options) => {
    const dir = folder('paths-');
    const path = join(dir, 'events.csv');
    writeFileSync(path, text());
    const reference = await convertFile(path, join(dir, 'reference'), { table });
    const result = await convertFile(path, join(dir, 'out'), { ...options, table });
    if (options.secondThreadMinBytes) expect(result.parts).toBe(2);
    const expectedColumns = [
      { name: 'gone', type: 'date' },
      { name: 'value', type: 'int64', sourceName: 'Value' },
      { name: 'id', type: 'int64', sourceName: 'ID' },
      { name: 'also_gone', type: 'string' },
      { name: 'label', type: 'string', sourceName: 'Label' },
    ];
    expect(reference.columns).toEqual(expectedColumns);
    expect(result.columns).toEqual(expectedColumns);
    expect([result.rows, result.rejectedRows]).toEqual([reference.rows, reference.rejectedRows]);
    expect(readFileSync(result.outputs.rejects!, 'utf8')).toBe(
      readFileSync(reference.outputs.rejects!, 'utf8'),
    );
    if (result.outputs.parquet) {
      const sql = (p: string) => `SELECT * FROM read_parquet('${p}') ORDER BY id`;
      expect(await parquetSchema(result.outputs.parquet)).toEqual(
        await parquetSchema(reference.outputs.parquet!),
      );
      const rows = await query(sql(result.outputs.parquet));
      expect(rows).toEqual(await query(sql(reference.outputs.parquet!)));
      expect(rows.find((r) => r.id === '12')).toEqual({
        gone: null,
        value: '36',
        id: '12',
        also_gone: null,
        label: 'text "12"',
      });
    }
    if (result.outputs.avro) {
      const mine = await readAvro(result.outputs.avro);
      const theirs = await readAvro(reference.outputs.avro!);
      expect(mine.schema).toEqual(theirs.schema);
      expect(mine.rows).toEqual(theirs.rows);
      expect(mine.rows.find((r) => r.id === 11n)).toEqual({
        gone: null,
        value: 33n,
        id: 11n,
        also_gone: null,
        label: 'text "11"\nmore',
      });
      // Fields are the table's, a missing one without a header text.
      expect(mine.schema.fields).toContainEqual({
        name: 'gone',
        type: ['null', { type: 'int', logicalType: 'date' }],
        default: null,
        doc: 'gone',
        'csv2lake.name': 'gone',
      });
      if (!options.secondThreadMinBytes)
        expect(readFileSync(result.outputs.avro)).toEqual(readFileSync(reference.outputs.avro!));
    }
  });
});

describe('an unusable table is refused before anything is read', () => {
  test.each<[string, TableLayout, RegExp]>([
    [
      'record name',
      { recordName: 'my-orders', columns: [] },
      /record name "my-orders" is not a valid Avro name/,
    ],
    [
      'column name',
      { recordName: 'O', columns: [{ name: 'Order ID', type: 'int64' }] },
      /"Order ID" is not a lake column name/,
    ],
    [
      'repeated column',
      {
        recordName: 'O',
        columns: [
          { name: 'a', type: 'int64' },
          { name: 'a', type: 'string' },
        ],
      },
      /"a" is listed twice/,
    ],
    ['type', { recordName: 'O', columns: [{ name: 'a', type: 'int' as ColumnType }] }, /"a" has type "int"/],
  ])('%s', async (_what, table, message) => {
    const dir = folder('bad-table-');
    const path = join(dir, 'x.csv');
    writeFileSync(path, 'a\n1\n');
    const run = convertFile(path, join(dir, 'out'), { table });
    await expect(run).rejects.toBeInstanceOf(InvalidOptionsError);
    await expect(run).rejects.toThrow(message);
  });
});
