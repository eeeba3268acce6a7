/*
 * The tokenizer against csv-parse (the oracle) on generated CSV: quoting, embedded delimiters and line
 * breaks, CRLF/CR/LF, unicode, every sniffed delimiter, ragged rows, arbitrary chunk boundaries.
 */
import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { tokenizeToStrings } from '../../../../lambdas/core/csv/tokenize-strings';

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

/*
 * End of input × every tokenizer state × what came before. The generator above could not find the stale
 * flags bug (the last unquoted field of a file without a final newline was copied with the flags of the
 * last quoted field, so `x"y"z` after a `""` became `x""`): it quoted every value holding a quote, so no
 * unquoted field ever held one, and a stale FIELD_ESCAPED changes nothing in a field without quotes.
 * Here the files mix unquoted fields with literal quotes, escaped and plain quoted fields, comment lines,
 * blank lines and broken rows, in any dialect, and end in any state: after a row terminator, a pending CR,
 * a delimiter, inside an unquoted field, right after a closing quote, in the text after a closing quote,
 * inside a comment line, or inside a quoted field left open (just after an escape, too). Every file is
 * tokenized whole, cut in two at every offset, and in random chunks; csv-parse gives the fields of the
 * well-formed rows, the generator the line numbers and the broken rows (csv-parse stops at those).
 */

interface Dialect {
  readonly delimiter: string;
  readonly newline: string;
  /** '' for no quoting. */
  readonly quote: string;
  readonly escape: string;
  /** '' for none. */
  readonly comment: string;
  readonly keepBlankLines: boolean;
}

const DEFAULT_DIALECT = fc.record({
  delimiter: fc.constantFrom(...DELIMITERS),
  newline: fc.constantFrom(...NEWLINES),
  quote: fc.constant('"'),
  escape: fc.constant('"'),
  comment: fc.constant(''),
  keepBlankLines: fc.constant(false),
});

/** Raw material of values: every byte with a meaning in some dialect, unicode, line breaks. */
const rawValue = fc.string({
  unit: fc.constantFrom(
    'a',
    'Z',
    '1',
    ' ',
    'é',
    '日',
    '😀',
    '"',
    "'",
    '\\',
    '#',
    ',',
    ';',
    '\t',
    '|',
    '\n',
    '\r\n',
    '\r',
  ),
  maxLength: 8,
});

type Field = { readonly value: string; readonly quoted: boolean; readonly escapeAll: boolean };
type Item =
  | { readonly kind: 'row'; readonly fields: readonly Field[] }
  | { readonly kind: 'comment'; readonly text: string }
  | {
      readonly kind: 'broken';
      readonly before: readonly Field[];
      readonly value: string;
      readonly junk: string;
    };
interface Doc {
  readonly items: readonly Item[];
  /** A quoted field left open to the end: the fields before it, its value, whether it ends on an escape. */
  readonly open: { before: readonly Field[]; value: string; danglingEscape: boolean } | undefined;
  readonly trailingNewline: boolean;
}

const field: fc.Arbitrary<Field> = fc.record({
  value: rawValue,
  quoted: fc.boolean(),
  escapeAll: fc.boolean(),
});
const fields = fc.array(field, { minLength: 1, maxLength: 5 });
const doc: fc.Arbitrary<Doc> = fc.record({
  items: fc.array(
    fc.oneof(
      { weight: 6, arbitrary: fields.map((f): Item => ({ kind: 'row', fields: f })) },
      {
        weight: 1,
        arbitrary: fc.constant<Item>({
          kind: 'row',
          fields: [{ value: '', quoted: false, escapeAll: false }],
        }),
      },
      { weight: 1, arbitrary: rawValue.map((text): Item => ({ kind: 'comment', text })) },
      {
        weight: 1,
        arbitrary: fc
          .record({ before: fc.array(field, { maxLength: 2 }), value: rawValue, junk: rawValue })
          .map((b): Item => ({ kind: 'broken', ...b })),
      },
    ),
    { maxLength: 6 },
  ),
  open: fc.option(
    fc.record({ before: fc.array(field, { maxLength: 2 }), value: rawValue, danglingEscape: fc.boolean() }),
    { nil: undefined },
  ),
  trailingNewline: fc.boolean(),
});

const LINE_BREAK = /\r\n|\r|\n/g;
const breaks = (text: string): number => text.match(LINE_BREAK)?.length ?? 0;

/** The text of a quoted value: the quote and the escape escaped (all of it, with `escapeAll`). */
function quotedContent(value: string, d: Dialect, escapeAll: boolean): string {
  if (d.escape === d.quote) return value.replaceAll(d.quote, d.quote + d.quote);
  let out = '';
  for (const ch of value) out += escapeAll || ch === d.quote || ch === d.escape ? d.escape + ch : ch;
  return out;
}

/** A field as it is written; `first` when it begins a row. */
function renderField(f: Field, d: Dialect, first: boolean): string {
  if (f.quoted && d.quote !== '') return d.quote + quotedContent(f.value, d, f.escapeAll) + d.quote;
  // Unquoted: no delimiter or line break; a quote is a literal unless it comes first (it would open a
  // quoted field); a comment character first on a line would make it a comment.
  let v = f.value.replace(/[\r\n]/g, '').replaceAll(d.delimiter, '');
  if ((d.quote !== '' && v.startsWith(d.quote)) || (first && d.comment !== '' && v.startsWith(d.comment)))
    v = `u${v}`;
  return v;
}

function renderFields(fs: readonly Field[], d: Dialect): string {
  return fs.map((f, i) => renderField(f, d, i === 0)).join(d.delimiter);
}

/** Junk after a closing quote: no line break, and not starting as a delimiter or an escaped quote would. */
function junkText(junk: string, d: Dialect): string {
  const j = junk.replace(/[\r\n]/g, '');
  return j === '' || j.startsWith(d.delimiter) || j.startsWith(d.quote) ? `j${j}` : j;
}

function renderItem(item: Item, d: Dialect): string {
  if (item.kind === 'row') return renderFields(item.fields, d);
  if (item.kind === 'comment') return d.comment + item.text.replace(/[\r\n]/g, '');
  const head = item.before.length > 0 ? renderFields(item.before, d) + d.delimiter : '';
  return `${head}${d.quote}${quotedContent(item.value, d, false)}${d.quote}${junkText(item.junk, d)}`;
}

/** The file, what csv-parse reads (the well-formed rows), and the lines and broken rows expected. */
function build(document: Doc, d: Dialect) {
  let items = document.items.filter((i) =>
    i.kind === 'comment' ? d.comment !== '' : i.kind !== 'broken' || d.quote !== '',
  );
  const open = d.quote === '' ? undefined : document.open;
  const texts = items.map((i) => renderItem(i, d));
  // A blank row last, with nothing after it, is no line at all.
  if (!open && !document.trailingNewline && texts.at(-1) === '') {
    items = items.slice(0, -1);
    texts.pop();
  }
  let text = '';
  const good: string[] = [];
  const goodLines: number[] = [];
  const broken: { line: number; reason: string; raw: string }[] = [];
  texts.forEach((t, k) => {
    if (k > 0) text += d.newline;
    const line = 1 + breaks(text);
    text += t;
    const item = items[k]!;
    if (item.kind === 'broken') broken.push({ line, reason: 'text after a closing quote', raw: t });
    else if (item.kind === 'row') {
      good.push(t);
      if (t !== '' || d.keepBlankLines) goodLines.push(line);
    }
  });
  if (open) {
    const head = open.before.length > 0 ? renderFields(open.before, d) + d.delimiter : '';
    const tail = `${head}${d.quote}${quotedContent(open.value, d, false)}${open.danglingEscape && d.escape !== d.quote ? d.escape : ''}`;
    if (texts.length > 0) text += d.newline;
    broken.push({ line: 1 + breaks(text), reason: 'not closed', raw: tail });
    text += tail;
  } else if (document.trailingNewline && texts.length > 0) {
    text += d.newline;
  }
  return { text, oracleText: good.length > 0 ? good.join(d.newline) + d.newline : '', goodLines, broken };
}

function oracle(text: string, d: Dialect): string[][] {
  return parse(text, {
    delimiter: d.delimiter,
    record_delimiter: d.newline,
    quote: d.quote === '' ? null : d.quote,
    escape: d.quote === '' ? null : d.escape,
    ...(d.comment === '' ? {} : { comment: d.comment, comment_no_infix: true }),
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: !d.keepBlankLines,
  }) as string[][];
}

function checkDocument(document: Doc, d: Dialect, cuts: number[], chunk: number): void {
  const { text, oracleText, goodLines, broken } = build(document, d);
  const options = {
    delimiter: d.delimiter,
    quote: d.quote,
    escape: d.escape,
    comment: d.comment,
    keepBlankLines: d.keepBlankLines,
  };
  const bytes = Buffer.from(text);
  const whole = tokenizeToStrings(bytes, options);
  const expectedFields = oracle(oracleText, d);
  expect(expectedFields).toHaveLength(goodLines.length); // the generator and the oracle agree on the rows
  expect(whole.rows).toEqual(expectedFields.map((fields, k) => ({ line: goodLines[k], fields })));
  expect(whole.malformed).toEqual(
    broken.map((b) => ({ line: b.line, reason: expect.stringContaining(b.reason), raw: b.raw })),
  );
  // The same, wherever the chunks end: cut once at every offset, at random offsets, in fixed sizes.
  for (let at = 0; at <= bytes.length; at++)
    expect([at, tokenizeToStrings(bytes, options, [at])]).toEqual([at, whole]);
  expect(
    tokenizeToStrings(
      bytes,
      options,
      cuts.map((c) => Math.round(c * bytes.length)).sort((a, b) => a - b),
    ),
  ).toEqual(whole);
  expect(tokenizeToStrings(bytes, options, chunk)).toEqual(whole);
}

const cutsArb = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 });

test('agrees with csv-parse whatever state the input ends in and whatever came before, at every cut', () => {
  fc.assert(fc.property(doc, DEFAULT_DIALECT, cutsArb, fc.integer({ min: 1, max: 16 }), checkDocument), {
    numRuns: 600,
    seed: 20261202,
  });
});

/** Every dialect: another quote, no quoting, a backslash escape, comment lines, blank lines kept. */
const ANY_DIALECT = fc
  .record({
    delimiter: fc.constantFrom(...DELIMITERS),
    newline: fc.constantFrom(...NEWLINES),
    quote: fc.constantFrom('"', "'", ''),
    backslash: fc.boolean(),
    comment: fc.constantFrom('', '#'),
    keepBlankLines: fc.boolean(),
  })
  .map(({ backslash, ...d }): Dialect => ({ ...d, escape: d.quote !== '' && backslash ? '\\' : d.quote }));

test('agrees with csv-parse in every dialect (quote, escape, comment, blank lines), at every cut', () => {
  fc.assert(fc.property(doc, ANY_DIALECT, cutsArb, fc.integer({ min: 1, max: 16 }), checkDocument), {
    numRuns: 1000,
    seed: 20261203,
  });
});
