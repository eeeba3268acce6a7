import { sniffHeader } from '../../../../lambdas/core/run/sniff-header';

const QUOTING = { quote: 0x22, escape: 0x22, comment: -1 };

describe('sniffHeader (as DuckDB: a first row whose values fit the types of the rest is data)', () => {
  const header = (text: string, extra: Partial<Parameters<typeof sniffHeader>[2]> = {}) => {
    const delimiter = (extra.delimiter ?? 0x2c) as number;
    return sniffHeader(Buffer.from(text), true, {
      ...QUOTING,
      delimiter,
      skipRows: 0,
      nullTokens: [],
      ...extra,
    });
  };

  test.each([
    ['names over numbers', 'id,price\n1,2.5\n2,3\n', true],
    ['a first row that fits the numbers', '1,2.5\n2,3.5\n', false],
    ['a double over integers does not fit them: a header', '1,2.5\n2,3\n', true],
    ['text over text', 'name,city\nAda,London\nBob,Paris\n', true],
    ['numeric-looking names over text', '2021,2022\nx,y\nz,w\n', true],
    ['a text name over numbers, the rest fitting', 'id,2022\n1,5\n2,6\n', true],
    ['an empty value fits any column (and proves nothing)', ',5\n,6\n,7\n', false],
    ['empty names over text', ',name\n1,x\n', true],
    ['dates and booleans', '2024-01-01,true\n2024-01-02,false\n', false],
    ['a date header name that is not a date', 'day,ok\n2024-01-01,true\n', true],
    ['a one-row file of names', 'a,b,c\n', true],
    ['a one-row file of values', '1,Widget,9.99\n', false],
    ['an integer over doubles is a double: data', '7,x\n1.5,y\n', false],
    ['text over a column with no value', 'a,b\n,\n,\n', true],
  ])('%s', (_, text, expected) => {
    expect(header(text)).toBe(expected);
  });

  test('lineitem-like |-delimited data has no header', () => {
    const rows = [
      '1|155190|7706|1|17|21168.23|0.04|0.02|N|O|1996-03-13|1996-02-12|1996-03-22|DELIVER IN PERSON|TRUCK|egular courts above the|',
      '1|67310|7311|2|36|45983.16|0.09|0.06|N|O|1996-04-12|1996-02-28|1996-04-20|TAKE BACK RETURN|MAIL|ly final dependencies: slyly bold |',
      '2|106170|1191|1|38|44694.46|0.00|0.05|N|O|1997-01-28|1997-01-14|1997-02-02|TAKE BACK RETURN|RAIL|ven requests. deposits breach a|',
    ];
    expect(header(rows.join('\n') + '\n', { delimiter: 0x7c })).toBe(false);
  });

  test('null tokens in the first row prove nothing; a schema whose names the first row holds means a header', () => {
    expect(header('NA,1\n5,2\n', { nullTokens: [Buffer.from('NA')] })).toBe(false);
    expect(header('1,2\n3,4\n', { names: ['2'] })).toBe(true);
  });

  test('a file joining a table: a schema may name the first row by its lake names', () => {
    expect(header('2023,2024\n1,2\n', { names: ['_2024'], lakeNames: true })).toBe(true);
    expect(header('2023,2024\n1,2\n', { names: ['_2024'] })).toBe(false);
  });

  test('the preamble is skipped before the first row', () => {
    expect(header('a title\n1,2\n3,4\n', { skipRows: 1 })).toBe(false);
  });
});
