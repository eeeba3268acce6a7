import fc from 'fast-check';
import { toAvroNames } from '../../../../lambdas/core/model/avro-names';

const VALID = /^[A-Za-z_][A-Za-z0-9_]*$/;

describe('toAvroNames', () => {
  it('keeps names that are already valid, in order', () => {
    expect(toAvroNames(['id', 'first_name', '_x', 'Amount2'])).toEqual(['id', 'first_name', '_x', 'Amount2']);
  });

  it('returns nothing for no columns', () => {
    expect(toAvroNames([])).toEqual([]);
  });

  it('turns an empty name into _ and a second one into __2 (the _2 suffix on _)', () => {
    expect(toAvroNames(['', ''])).toEqual(['_', '__2']);
  });

  it('replaces invalid characters with _, one per character', () => {
    expect(toAvroNames(['first name', 'price ($)', 'a-b.c', 'tab\there'])).toEqual([
      'first_name',
      'price____',
      'a_b_c',
      'tab_here',
    ]);
  });

  it('strips accents and transliterates letters that have no decomposition', () => {
    expect(toAvroNames(['Prénom', 'Straße', 'Ærø', 'Łódź', 'naïve café', 'ﬁle'])).toEqual([
      'Prenom',
      'Strasse',
      'AEro',
      'Lodz',
      'naive_cafe',
      'file',
    ]);
  });

  it('gives one _ per code point for scripts it cannot transliterate, emoji included', () => {
    expect(toAvroNames(['数量', '😀', 'a😀b'])).toEqual(['__', '_', 'a_b']);
  });

  it('prefixes a leading digit with _', () => {
    expect(toAvroNames(['2024', '1st place', '²'])).toEqual(['_2024', '_1st_place', '_2']);
  });

  it('suffixes primitive type names, which some readers reject as field names', () => {
    expect(toAvroNames(['null', 'string', 'record', 'Null', 'nullable'])).toEqual([
      'null_',
      'string_',
      'record_',
      'Null',
      'nullable',
    ]);
  });

  it('numbers duplicates _2, _3 in column order', () => {
    expect(toAvroNames(['a', 'a', 'a', 'b'])).toEqual(['a', 'a_2', 'a_3', 'b']);
  });

  it('treats names that differ only in case as duplicates', () => {
    expect(toAvroNames(['Id', 'ID', 'id'])).toEqual(['Id', 'ID_2', 'id_3']);
  });

  it('numbers names that only collide once sanitized', () => {
    expect(toAvroNames(['a b', 'a-b', 'a_b'])).toEqual(['a_b', 'a_b_2', 'a_b_3']);
  });

  it('never gives a suffixed name that another column holds in its own right', () => {
    expect(toAvroNames(['a', 'a', 'a_2'])).toEqual(['a', 'a_3', 'a_2']);
    expect(toAvroNames(['x', 'X', 'x_2', 'X_3'])).toEqual(['x', 'X_4', 'x_2', 'X_3']);
  });

  it('is deterministic: the same names give the same result every time', () => {
    const names = ['Prénom', '', 'a', 'A', '数量', '1x', 'null'];
    expect(toAvroNames(names)).toEqual(toAvroNames([...names]));
  });

  it('always gives valid names, unique case-insensitively, one per column (any input)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.string({ unit: 'grapheme' }), fc.constantFrom('a', 'A', 'a_2', '', '1', 'null')),
          {
            maxLength: 30,
          },
        ),
        (names) => {
          const out = toAvroNames(names);
          expect(out).toHaveLength(names.length);
          for (const n of out) expect(n).toMatch(VALID);
          expect(new Set(out.map((n) => n.toLowerCase())).size).toBe(out.length);
          expect(toAvroNames(names)).toEqual(out);
        },
      ),
    );
  });

  it('keeps every name that is already valid, not reserved, and unique case-insensitively', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/)), (names) => {
        const usable = names.filter((n) => !['null', 'int', 'long', 'string', 'map', 'enum'].includes(n));
        expect(toAvroNames(usable)).toEqual(usable);
      }),
    );
  });
});
