/*
 * Stage 1 indexes the input in slices of SLICE_BYTES (structural.ts): the scan must read the same rows
 * wherever a slice ends. The other differential tests push small inputs, which fit one slice; here a
 * padding row moves every byte of a generated file onto the slice boundary in turn (right after a quote,
 * a CR, an escape, inside a multi-byte character, ...), with and without a chunk boundary there too.
 * csv-parse is the oracle of the default dialect's files; in every dialect, the rows must be those of the
 * file tokenized alone (which tokenizer-differential.test.ts holds to csv-parse), one line further down.
 */
import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { SLICE_BYTES } from '../../../../lambdas/core/csv/structural';
import {
  tokenizeToStrings,
  type StringTokenizerOptions,
} from '../../../../lambdas/core/csv/tokenize-strings';

const NEWLINES = ['\n', '\r\n', '\r'];
const PAD = 'p';

const value = fc.string({
  unit: fc.constantFrom('a', '1', ' ', 'é', '日', '😀', '"', "'", '\\', '#', ',', ';', '\n', '\r\n', '\r'),
  maxLength: 6,
});

/** The rows shifted down one line, after the padding row. */
function afterPadding(rows: { line: number; fields: string[] }[], pad: string) {
  return [{ line: 1, fields: [pad] }, ...rows.map((r) => ({ line: r.line + 1, fields: r.fields }))];
}

/**
 * Tokenizes `text` behind a padding row at every offset of the file on the slice boundary: whole, and cut
 * into two chunks at that boundary; each must read as `expected` (the rows of `text` alone).
 */
function checkEveryBoundary(
  text: string,
  options: StringTokenizerOptions,
  newline: string,
  expected: ReturnType<typeof tokenizeToStrings>,
): void {
  const body = Buffer.from(text);
  for (let at = 0; at <= body.length; at++) {
    const pad = PAD.repeat(SLICE_BYTES - at - newline.length);
    const input = Buffer.concat([Buffer.from(pad + newline), body]);
    const want = {
      rows: afterPadding(expected.rows, pad),
      malformed: expected.malformed.map((m) => ({ ...m, line: m.line + 1 })),
    };
    expect([at, tokenizeToStrings(input, options)]).toEqual([at, want]);
    expect([at, tokenizeToStrings(input, options, [SLICE_BYTES])]).toEqual([at, want]);
  }
}

test('agrees with csv-parse wherever a slice ends in the file (quotes, doubled quotes, line breaks)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(value, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 }),
      fc.constantFrom(...NEWLINES),
      fc.boolean(),
      (rows, newline, trailingNewline) => {
        // prepare: a value is quoted when it must be, and the empty ones too (a lone one is a blank line)
        const text =
          rows
            .map((r) =>
              r.map((v) => (/[",\r\n]/.test(v) || v === '' ? `"${v.replaceAll('"', '""')}"` : v)).join(','),
            )
            .join(newline) + (trailingNewline ? newline : '');
        const oracle = parse(text, { delimiter: ',', relax_column_count: true, record_delimiter: newline });
        const alone = tokenizeToStrings(Buffer.from(text), { delimiter: ',' });
        // assert: the file alone reads as csv-parse reads it, and so behind the padding at every boundary
        expect(alone.rows.map((r) => r.fields)).toEqual(oracle);
        checkEveryBoundary(text, { delimiter: ',' }, newline, alone);
      },
    ),
    { numRuns: 60, seed: 20261207 },
  );
});

test('reads the same wherever a slice ends, in every dialect (escape byte, no quoting, comments, broken rows)', () => {
  const dialects: (StringTokenizerOptions & { newline: string })[] = [
    { delimiter: ',', quote: '"', escape: '\\', newline: '\n' },
    { delimiter: ';', quote: "'", comment: '#', newline: '\r\n' },
    { delimiter: '\t', quote: '', newline: '\r' },
    { delimiter: ',', comment: '#', keepBlankLines: true, newline: '\r\n' },
  ];
  fc.assert(
    fc.property(
      fc.array(fc.array(value, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 }),
      fc.constantFrom(...dialects),
      fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
      (rows, { newline, ...options }, quoting) => {
        // prepare: values written raw or quoted at random (raw ones may break the quoting: that is wanted)
        const q = options.quote ?? '"';
        const text = rows
          .map((r, i) =>
            r
              .map((v, j) => (quoting[(i * 4 + j) % 16] && q !== '' ? q + v.replaceAll(q, q + q) + q : v))
              .join(options.delimiter),
          )
          .join(newline);
        const alone = tokenizeToStrings(Buffer.from(text), options);
        // act and assert
        checkEveryBoundary(text, options, newline, alone);
      },
    ),
    { numRuns: 40, seed: 20261208 },
  );
});
