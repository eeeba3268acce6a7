import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsvTokenizer } from '../../../../lambdas/core/csv/tokenizer';
import {
  tokenizeToStrings,
  type StringTokenizerOptions,
} from '../../../../lambdas/core/csv/tokenize-strings';
import { MalformedCsvError } from '../../../../lambdas/core/model/errors';
import { convertFile } from '../../../../lambdas/io/convert-file';
import { readAvro } from '../../../support/readers';

type Dialect = Omit<StringTokenizerOptions, 'delimiter'> & { delimiter?: string };

const parse = (text: string, chunk?: number | number[], delimiter: string | Dialect = ',') =>
  tokenizeToStrings(
    Buffer.from(text),
    typeof delimiter === 'string' ? { delimiter } : { delimiter: ',', ...delimiter },
    chunk,
  );

/** Every chunk size from 1 to the input's length, and a cut at every offset, give the same result. */
function everyChunking(text: string, delimiter: string | Dialect = ',') {
  const whole = parse(text, undefined, delimiter);
  for (let size = 1; size <= Buffer.byteLength(text); size++) {
    expect([size, parse(text, size, delimiter)]).toEqual([size, whole]);
  }
  for (let at = 0; at <= Buffer.byteLength(text); at++) {
    expect([`cut ${at}`, parse(text, [at], delimiter)]).toEqual([`cut ${at}`, whole]);
  }
  return whole;
}

const NOT_CLOSED = expect.stringContaining('not closed');
const AFTER_QUOTE = expect.stringContaining('text after a closing quote');
type Rows = { line: number; fields: string[] }[];
type Malformed = { line: number; reason: unknown; raw: string }[];

describe('CsvTokenizer', () => {
  test('quoted fields hold delimiters, doubled quotes and every line ending', () => {
    const result = everyChunking('a,b\r\n"x,y","say ""hi"""\r\n"l1\nl2\r\nl3\rl4",z\n');
    expect(result.rows).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x,y', 'say "hi"'] },
      { line: 3, fields: ['l1\nl2\r\nl3\rl4', 'z'] },
    ]);
  });

  test('CR, CRLF and LF endings and blank lines; physical line numbers', () => {
    const result = everyChunking('a\r\rb\r\n\r\nc\n\nd');
    expect(result.rows).toEqual([
      { line: 1, fields: ['a'] },
      { line: 3, fields: ['b'] },
      { line: 5, fields: ['c'] },
      { line: 7, fields: ['d'] },
    ]);
  });

  test('a trailing delimiter at the end of the input is a last empty field', () => {
    expect(everyChunking('a,b,').rows).toEqual([{ line: 1, fields: ['a', 'b', ''] }]);
  });

  test('a quote inside an unquoted field is a character', () => {
    expect(everyChunking(`h,w\n5'11",x\n`).rows[1]).toEqual({ line: 2, fields: [`5'11"`, 'x'] });
  });

  test('broken quoting marks only its row', () => {
    const result = everyChunking('a,b\n"x"y,1\n2,3\n"open,4\n5,6');
    expect(result.rows).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 3, fields: ['2', '3'] },
    ]);
    expect(result.malformed).toEqual([
      { line: 2, reason: expect.stringContaining('text after a closing quote'), raw: '"x"y,1' },
      { line: 4, reason: expect.stringContaining('not closed'), raw: '"open,4\n5,6' },
    ]);
  });

  test('other delimiters', () => {
    expect(everyChunking('a\tb\n"1\t2"\t3', '\t').rows[1]!.fields).toEqual(['1\t2', '3']);
    expect(parse('a;b|c', undefined, ';').rows[0]!.fields).toEqual(['a', 'b|c']);
  });

  test('unicode passes through byte-exact across chunk boundaries', () => {
    const text = 'naïve,日本語,😀\n"é,ü",x\n';
    expect(everyChunking(text).rows.map((r) => r.fields)).toEqual([
      ['naïve', '日本語', '😀'],
      ['é,ü', 'x'],
    ]);
  });

  test('a field of several megabytes', () => {
    const big = 'x'.repeat(5 * 1024 * 1024);
    const result = parse(`a,b\n"${big}",1\n`, 64 * 1024);
    expect(result.rows[1]!.fields[0]!.length).toBe(big.length);
  });

  test('a row longer than maxRowBytes fails with its line, instead of filling memory', () => {
    const t = new CsvTokenizer({ delimiter: 0x2c, maxRowBytes: 1 << 20 }, () => undefined);
    let error: unknown;
    try {
      t.push(Buffer.from('a\n"'));
      for (let i = 0; i < 8; i++) t.push(Buffer.alloc(512 * 1024, 0x61));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MalformedCsvError);
    expect((error as Error).message).toMatch(/line 2 .*quote/);
  });

  test('the last field of a file without a final newline, unquoted and holding quotes, after a doubled quote', () => {
    // Issue 10 item 1: it took the flags of the last quoted field, and `x"y"z` became `x""`.
    expect(everyChunking('a,b\n1,"p""q"\n2,x"y"z').rows).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1', 'p"q'] },
      { line: 3, fields: ['2', 'x"y"z'] },
    ]);
  });

  // The end of the input in every state the tokenizer can be in, after an escaped quoted field, a plain
  // quoted field or a broken row: nothing of one field or row may reach the next.
  test.each<[string, string, Rows, Malformed]>([
    ['after a row terminator', '"p""q",x\n', [{ line: 1, fields: ['p"q', 'x'] }], []],
    ['at a pending CR', '"p""q",x\r', [{ line: 1, fields: ['p"q', 'x'] }], []],
    ['after a delimiter', '"p""q",', [{ line: 1, fields: ['p"q', ''] }], []],
    ['in an unquoted field', '"p""q",x"', [{ line: 1, fields: ['p"q', 'x"'] }], []],
    [
      'in an unquoted field, a row later',
      '"p""q"\nx""y',
      [
        { line: 1, fields: ['p"q'] },
        { line: 2, fields: ['x""y'] },
      ],
      [],
    ],
    ['right after a closing quote', '"p""q","r"', [{ line: 1, fields: ['p"q', 'r'] }], []],
    [
      'right after the closing quote of an escaped field',
      '"p",q\n"r""s"',
      [
        { line: 1, fields: ['p', 'q'] },
        { line: 2, fields: ['r"s'] },
      ],
      [],
    ],
    [
      'in the text after a closing quote',
      '"p""q"x"y',
      [],
      [{ line: 1, reason: AFTER_QUOTE, raw: '"p""q"x"y' }],
    ],
    [
      'inside a quoted field',
      '"p""q",x\n"r',
      [{ line: 1, fields: ['p"q', 'x'] }],
      [{ line: 2, reason: NOT_CLOSED, raw: '"r' }],
    ],
    [
      'inside a quoted field, just after a doubled quote',
      '"p""',
      [],
      [{ line: 1, reason: NOT_CLOSED, raw: '"p""' }],
    ],
    [
      'in an unquoted field after a broken row',
      '"p"q\nx"y"z',
      [{ line: 2, fields: ['x"y"z'] }],
      [{ line: 1, reason: AFTER_QUOTE, raw: '"p"q' }],
    ],
    [
      'after a delimiter after a broken row',
      '"p"q\n,',
      [{ line: 2, fields: ['', ''] }],
      [{ line: 1, reason: AFTER_QUOTE, raw: '"p"q' }],
    ],
  ])('the end of the input %s', (_state, text, rows, malformed) => {
    expect(everyChunking(text)).toEqual({ rows, malformed });
  });

  test('Avro alone (encoded from the tokenizer bytes) reads back when the last field holds quotes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tokenizer-avro-'));
    const input = join(dir, 'in.csv');
    await writeFile(input, 'a,b\n1,"p""q"\n2,"r""""s"\n3,x"y"z');
    const result = await convertFile(input, join(dir, 'out'), { formats: ['avro'], avroCodec: 'null' });
    expect((await readAvro(result.outputs.avro!)).rows).toEqual([
      { a: 1n, b: 'p"q' },
      { a: 2n, b: 'r""s' },
      { a: 3n, b: 'x"y"z' },
    ]);
  });
});

describe('escaped values through the Avro row writer', () => {
  // Un-escaping shortens a value; where the shorter length takes fewer varint bytes (raw 64 → 63, 8,192 →
  // 8,191) the writer moves the value back. Read back by avsc, whose lengths must match the bytes.
  test.each([
    ['doubled quotes', {}, (v: string) => `"${v.replaceAll('"', '""')}"`],
    ['a backslash escape', { escape: '\\' }, (v: string) => `"${v.replace(/["\\]/g, '\\$&')}"`],
  ])('%s, around the varint boundaries of the length', async (_, options, quoted) => {
    const values = [31, 62, 63, 64, 65, 8190, 8191, 8192, 8193].flatMap((n) => [
      `${'x'.repeat(n)}"`,
      `"${'é'.repeat(n >> 1)}\\`,
      '"'.repeat(n),
    ]);
    const dir = await mkdtemp(join(tmpdir(), 'tokenizer-avro-escapes-'));
    const input = join(dir, 'in.csv');
    await writeFile(input, `v\n${values.map(quoted).join('\n')}`);
    const result = await convertFile(input, join(dir, 'out'), {
      formats: ['avro'],
      avroCodec: 'null',
      delimiter: ',',
      header: true,
      ...options,
    });
    expect((await readAvro(result.outputs.avro!)).rows.map((r) => r.v)).toEqual(values);
  });
});

describe('CsvTokenizer dialects', () => {
  test('quoting off: every byte is data, a quote first in a field included', () => {
    const result = everyChunking('a\tb\n"x\t5\'11"\n""\t"open\n', { delimiter: '\t', quote: '' });
    expect(result).toEqual({
      rows: [
        { line: 1, fields: ['a', 'b'] },
        { line: 2, fields: ['"x', `5'11"`] },
        { line: 3, fields: ['""', '"open'] },
      ],
      malformed: [],
    });
  });

  test('another quote byte; the double quote is then a character', () => {
    expect(everyChunking(`'a,b','it''s',"x"\n`, { quote: "'" }).rows).toEqual([
      { line: 1, fields: ['a,b', "it's", '"x"'] },
    ]);
  });

  test('a backslash escape: \\" is a quote, \\\\ a backslash, \\x is x, an escaped line break a line', () => {
    const result = everyChunking('"a\\"b","c\\\\d","\\x\\,",e\\"f\n"l1\\\nl2",z\n', { escape: '\\' });
    expect(result).toEqual({
      rows: [
        { line: 1, fields: ['a"b', 'c\\d', 'x,', 'e\\"f'] },
        { line: 2, fields: ['l1\nl2', 'z'] },
      ],
      malformed: [],
    });
  });

  test('with a backslash escape a doubled quote closes the field: broken quoting', () => {
    expect(everyChunking('"a""b",c\nd,e', { escape: '\\' })).toEqual({
      rows: [{ line: 2, fields: ['d', 'e'] }],
      malformed: [{ line: 1, reason: AFTER_QUOTE, raw: '"a""b",c' }],
    });
  });

  test('a backslash escape at the end of the input leaves the quote open', () => {
    expect(everyChunking('a\n"b\\', { escape: '\\' })).toEqual({
      rows: [{ line: 1, fields: ['a'] }],
      malformed: [{ line: 2, reason: NOT_CLOSED, raw: '"b\\' }],
    });
    expect(everyChunking('"b\\"', { escape: '\\' }).malformed).toEqual([
      { line: 1, reason: NOT_CLOSED, raw: '"b\\"' },
    ]);
  });

  test('comment lines are skipped but counted, at a row start only, whatever they hold', () => {
    const text = '# title, "unbalanced\na,#b\r\n#\r\n"#q",x\r"multi\n#line",y\n #not\n#last';
    expect(everyChunking(text, { comment: '#' })).toEqual({
      rows: [
        { line: 2, fields: ['a', '#b'] },
        { line: 4, fields: ['#q', 'x'] },
        { line: 5, fields: ['multi\n#line', 'y'] },
        { line: 7, fields: [' #not'] },
      ],
      malformed: [],
    });
  });

  test('a quote wins over an equal comment byte', () => {
    expect(everyChunking("'a,b'\n#x\n", { quote: "'", comment: "'" }).rows).toEqual([
      { line: 1, fields: ['a,b'] },
      { line: 2, fields: ['#x'] },
    ]);
  });

  test('a comment line longer than the row limit is not a row: it does not fail', () => {
    const rows: number[] = [];
    const t = new CsvTokenizer({ delimiter: 0x2c, comment: 0x23, maxRowBytes: 1024 }, (p) => {
      for (let r = 0; r < p.rowCount; r++) rows.push(p.rowLine[r]!);
    });
    t.push(Buffer.from('a\n#'));
    for (let i = 0; i < 8; i++) t.push(Buffer.alloc(512, 0x61));
    t.push(Buffer.from('\nb\n'));
    t.end();
    expect(rows).toEqual([1, 3]);
  });

  test.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ])(
    'keepBlankLines hands blank lines over as one empty field (%s), but not the end of the input',
    (_, nl) => {
      const text = `a${nl}${nl}b${nl}${nl}${nl}`;
      const keep = { keepBlankLines: true };
      expect(everyChunking(text, keep).rows).toEqual([
        { line: 1, fields: ['a'] },
        { line: 2, fields: [''] },
        { line: 3, fields: ['b'] },
        { line: 4, fields: [''] },
        { line: 5, fields: [''] },
      ]);
      expect(everyChunking(`${nl}a${nl}${nl}`, keep).rows).toEqual([
        { line: 1, fields: [''] },
        { line: 2, fields: ['a'] },
        { line: 3, fields: [''] },
      ]);
      expect(everyChunking(`a${nl}`, keep).rows).toEqual([{ line: 1, fields: ['a'] }]);
      expect(everyChunking(text).rows.map((r) => r.line)).toEqual([1, 3]);
    },
  );

  test('keepBlankLines: mixed line endings, comment lines, an empty quoted field is not blank', () => {
    const result = everyChunking('a\r\n\n\r\r\n#c\n""\n', { keepBlankLines: true, comment: '#' });
    expect(result.rows).toEqual([
      { line: 1, fields: ['a'] },
      { line: 2, fields: [''] },
      { line: 3, fields: [''] },
      { line: 4, fields: [''] },
      { line: 6, fields: [''] },
    ]);
    expect(everyChunking('a\n""\n').rows).toEqual([
      { line: 1, fields: ['a'] },
      { line: 2, fields: [''] },
    ]);
  });
});
