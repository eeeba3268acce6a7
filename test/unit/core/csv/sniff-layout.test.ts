import { sniffDelimiter, sniffLayout } from '../../../../lambdas/core/csv/sniff-layout';

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
