import fc from 'fast-check';
import { columnNames, LAKE_NAME, lakeColumnNames } from '../../../../lambdas/core/model/column-names';

describe('lakeColumnNames', () => {
  test.each<[string[], string[]]>([
    [
      ['Order ID', 'Customer-Ref', 'amount (EUR)'],
      ['order_id', 'customer_ref', 'amount_eur'],
    ],
    [
      ['Prénom', 'ÉTÉ', 'ﬁle²', 'Ångström'],
      ['prenom', 'ete', 'file2', 'angstrom'],
    ],
    [
      ['2024', '1st place', '_1'],
      ['_2024', '_1st_place', '_1'],
    ],
    [
      ['__x__', '--a--b--', ' a  b '],
      ['x', 'a_b', 'a_b_2'],
    ],
    [
      ['数量', '', '!!!'],
      ['column_1', 'column_2', 'column_3'],
    ],
    [
      ['A', 'a', 'a_2'],
      ['a', 'a_3', 'a_2'],
    ],
    [
      ['', 'column_1'],
      ['column_1_2', 'column_1'],
    ],
    [
      ['x', 'X', 'x', 'x_2_2', 'x_2'],
      ['x', 'x_3', 'x_4', 'x_2_2', 'x_2'],
    ],
  ])('%j → %j', (headers, expected) => {
    expect(lakeColumnNames(headers)).toEqual(expected);
  });

  const headers = fc.array(
    fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 12 }),
      fc.constantFrom('', 'a', 'A', 'a_2', 'column_1', 'column_2', '1', '_', 'É', 'id', 'ID', 'Id '),
      fc.stringMatching(/^[a-zA-Z0-9 _-]{0,6}$/u),
    ),
    { maxLength: 24 },
  );

  test('every name is a lake name, unique, one per header, and the same headers give the same names', () => {
    fc.assert(
      fc.property(headers, (h) => {
        const names = lakeColumnNames(h);
        expect(names).toHaveLength(h.length);
        for (const name of names) expect(name).toMatch(LAKE_NAME);
        expect(new Set(names).size).toBe(names.length);
        expect(lakeColumnNames([...h])).toEqual(names);
      }),
      { numRuns: 2000 },
    );
  });

  test('lake names map to themselves: a table written with them keeps its names on the next file', () => {
    fc.assert(
      fc.property(headers, (h) => {
        const names = lakeColumnNames(h);
        expect(lakeColumnNames(names)).toEqual(names);
      }),
      { numRuns: 2000 },
    );
  });

  test('a name a header gives in its own right goes to the first header that reduces to it', () => {
    fc.assert(
      fc.property(headers, fc.nat(), (h, pick) => {
        // A lake name with no `_` to trim reduces to itself: nothing generated may take it.
        const names = lakeColumnNames(h);
        // (`column_<n>` aside: a single empty header reduces to `column_1` too; the examples cover it.)
        const own = h.filter((x) => /^[a-z](?:[a-z0-9_]*[a-z0-9])?$/u.test(x) && !x.startsWith('column_'));
        if (own.length === 0) return;
        const name = own[pick % own.length]!;
        // The first header that reduces to it (`ID` before `id`) has it.
        expect(names[h.findIndex((x) => lakeColumnNames([x])[0] === name)]).toBe(name);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('columnNames (exact naming) is unchanged', () => {
  test('empty names and repeats', () => {
    expect(columnNames(['a', '', 'a', 'column_2'])).toEqual(['a', 'column_2_1', 'a_1', 'column_2']);
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
