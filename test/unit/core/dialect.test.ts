import { columnNames } from '../../../lambdas/core/column-names';
import fc from 'fast-check';
import { PreambleBlanker, sniffDelimiter, sniffHeader, sniffLayout } from '../../../lambdas/core/dialect';

describe('sniffDelimiter', () => {
  test.each([
    ['a,b,c\n1,2,3\n', ','],
    ['a;b;c\n1,5;2,5;3\n', ';'],
    ['a\tb\n1\t2\n', '\t'],
    ['a|b\n1|2\n', '|'],
    ['"x;y",b\n"1;2",3\n', ','],
    ['single\ncolumn\n', ','],
  ])('%j → %j', (text, expected) => {
    expect(sniffDelimiter(Buffer.from(text), true)).toBe(expected);
  });

  test('ignores a cut last line when the sample is not the whole input', () => {
    expect(sniffDelimiter(Buffer.from('a;b\n1;2\n3;4\n5,6,7,8,9'), false)).toBe(';');
  });
});

describe('columnNames', () => {
  test('keeps names exactly, names empty ones by position and suffixes repeats', () => {
    expect(columnNames(['id', '', 'Prénom ', 'id', 'id', '', 'id_1'])).toEqual([
      'id',
      'column_2',
      'Prénom ',
      'id_2',
      'id_3',
      'column_6',
      'id_1',
    ]);
  });

  test('a generated name never collides with a written one', () => {
    expect(columnNames(['column_2', ''])).toEqual(['column_2', 'column_2_1']);
  });
});

const QUOTING = { quote: 0x22, escape: 0x22, comment: -1 };
const layout = (text: string, known: { delimiter?: string; skipRows?: number } = {}) =>
  sniffLayout(Buffer.from(text), true, known, QUOTING);

describe('sniffLayout: a preamble above the header', () => {
  test('# lines above a ;-delimited table: the delimiter is found and the lines skipped', () => {
    expect(layout('# exported by x, v2\n# 2024-01-01, UTC\na;b\n1;3\n6;7\n')).toEqual({
      delimiter: ';',
      skipRows: 2,
      comment: -1,
    });
  });

  test('a title line and a blank line above the header', () => {
    expect(layout('Sales report, Q3 2024\n\nid|region|amount\n1|north|2.5\n2|south|3\n')).toEqual({
      delimiter: '|',
      skipRows: 2,
      comment: -1,
    });
  });

  test('CRLF and CR line ends count as the tokenizer counts them', () => {
    expect(layout('title\r\nmore\ra,b,c\r\n1,2,3\r\n4,5,6\r\n').skipRows).toBe(2);
  });

  test('no preamble: a plain table, a one-column file, a table with ragged rows near the top', () => {
    expect(layout('a,b,c\n1,2,3\n')).toEqual({ delimiter: ',', skipRows: 0, comment: -1 });
    expect(layout('single\ncolumn\n')).toEqual({ delimiter: ',', skipRows: 0, comment: -1 });
    expect(layout('a,b,c\n1,2\n3,4,5\n6,7,8\n').skipRows).toBe(0);
    // A wider row above the table is not a title: the header is never skipped for it.
    expect(layout('a,b,c,d\n1,2,3\n4,5,6\n7,8,9\n').skipRows).toBe(0);
  });

  test('a one-column file under # lines', () => {
    expect(layout('# values\n# more\nv\n1\n2\n')).toEqual({ delimiter: ',', skipRows: 2, comment: -1 });
    expect(layout('#only\n#hashes\n').skipRows).toBe(0);
  });

  test('a #-started header of the table width is the header (#chrom…)', () => {
    expect(layout('#chrom\tstart\tend\nchr1\t1\t5\nchr2\t3\t9\n')).toEqual({
      delimiter: '\t',
      skipRows: 0,
      comment: -1,
    });
  });

  test('# lines below the header too, none of the table width: # is the comment character', () => {
    expect(layout('# head\na,b,c\n1,2,3\n# note\n4,5,6\n')).toEqual({
      delimiter: ',',
      skipRows: 1,
      comment: 0x23,
    });
    // A remark of the table's width is a comment too.
    expect(layout('a,b\n1,2\n# note, really\n3,4\n').comment).toBe(0x23);
    // A #-started row of the table width is data: no comment character.
    expect(layout('tag,n,x\n#a,1,2\n#b,2,3\n# note\n').comment).toBe(-1);
  });

  test('given skip rows and delimiter are taken as they are', () => {
    expect(layout('x;y\nz\na,b\n1,2\n', { skipRows: 1 })).toMatchObject({ skipRows: 1 });
    expect(layout('t\na;b\n1;2\n', { delimiter: ';' })).toEqual({ delimiter: ';', skipRows: 1, comment: -1 });
  });
});

describe('PreambleBlanker', () => {
  test('blanks the first lines at any chunking and keeps every terminator and offset', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', '"', ',', '\n', '\r', '\r\n', 'é'), { maxLength: 40 }),
        fc.nat(6),
        fc.integer({ min: 1, max: 9 }),
        (parts, lines, chunk) => {
          const text = Buffer.from(parts.join(''));
          const blanker = new PreambleBlanker(lines, 0x20);
          const out: Uint8Array[] = [];
          for (let at = 0; at < text.length; at += chunk)
            out.push(blanker.apply(text.subarray(at, at + chunk)));
          const blanked = Buffer.concat(out);
          expect(blanked.length).toBe(text.length);
          // Reference: split into physical lines as the tokenizer ends them.
          const expected = Buffer.from(text);
          let left = lines;
          for (let i = 0; i < expected.length && left > 0; i++) {
            const c = expected[i]!;
            if (c === 0x0d) left--;
            else if (c === 0x0a) {
              if (i === 0 || expected[i - 1] !== 0x0d) left--;
            } else expected[i] = 0x20;
          }
          expect(blanked).toEqual(expected);
          expect(text).toEqual(Buffer.from(parts.join(''))); // the input chunks are not written
        },
      ),
    );
  });
});

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
