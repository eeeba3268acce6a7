/*
 * The tokenizer against csv-parse (the oracle) on generated CSV: quoting, embedded delimiters and line
 * breaks, CRLF/CR/LF, unicode, every sniffed delimiter, ragged rows, arbitrary chunk boundaries.
 */
import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { tokenizeToStrings } from '../../../lambdas/core/tokenizer';

const DELIMITERS = [',', ';', '\t', '|'];
const NEWLINES = ['\n', '\r\n', '\r'];

/** A field value: plain text, or text needing quotes (delimiters, quotes, line breaks), unicode included. */
const fieldValue = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', 'b', 'Z', '1', ' ', 'é', '日', '😀', '-', '.') }),
  fc.string({ unit: fc.constantFrom('a', ',', ';', '\t', '|', '"', '\n', '\r\n', '\r', 'é', ' ') }),
);

function render(rows: string[][], delimiter: string, newline: string, quoteAll: boolean): string {
  return rows
    .map((row) =>
      row
        .map((v) => (quoteAll || /[",;\t|\r\n]/.test(v) || v === '' ? `"${v.replaceAll('"', '""')}"` : v))
        .join(delimiter),
    )
    .join(newline);
}

test('agrees with csv-parse on generated files, at any chunk size', () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(fieldValue, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 12 }),
      fc.constantFrom(...DELIMITERS),
      fc.constantFrom(...NEWLINES),
      fc.boolean(),
      fc.boolean(),
      fc.integer({ min: 1, max: 64 }),
      (rows, delimiter, newline, quoteAll, trailingNewline, chunk) => {
        const text = render(rows, delimiter, newline, quoteAll) + (trailingNewline ? newline : '');
        const expected = parse(text, {
          delimiter,
          relax_column_count: true,
          skip_empty_lines: true,
          record_delimiter: newline === '\r' ? '\r' : undefined,
        }) as string[][];
        const actual = tokenizeToStrings(Buffer.from(text), { delimiter }, chunk);
        expect(actual.malformed).toEqual([]);
        expect(actual.rows.map((r) => r.fields)).toEqual(expected);
      },
    ),
    { numRuns: 400, seed: 20261125 },
  );
});

test('physical line numbers count the line breaks inside quoted fields', () => {
  fc.assert(
    fc.property(
      fc.array(fieldValue, { minLength: 1, maxLength: 20 }),
      fc.constantFrom(...NEWLINES),
      (values, newline) => {
        const text = values.map((v) => `"${v.replaceAll('"', '""')}",x`).join(newline) + newline;
        const rows = tokenizeToStrings(Buffer.from(text), { delimiter: ',' }).rows;
        let line = 1;
        values.forEach((v, i) => {
          expect(rows[i]!.line).toBe(line);
          line += (v.match(/\r\n|\r|\n/g)?.length ?? 0) + 1;
        });
      },
    ),
    { numRuns: 200, seed: 7 },
  );
});
