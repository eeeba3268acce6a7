import { columnNames } from '../../../lambdas/core/column-names';
import { sniffDelimiter } from '../../../lambdas/core/dialect';

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
