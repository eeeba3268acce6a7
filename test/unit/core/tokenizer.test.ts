import { CsvTokenizer, tokenizeToStrings } from '../../../lambdas/core/tokenizer';
import { MalformedCsvError } from '../../../lambdas/core/errors';

const parse = (text: string, chunk?: number, delimiter = ',') =>
  tokenizeToStrings(Buffer.from(text), { delimiter }, chunk);

/** Every chunk size from 1 to the input's length gives the same result. */
function everyChunking(text: string, delimiter = ',') {
  const whole = parse(text, undefined, delimiter);
  for (let size = 1; size <= Buffer.byteLength(text); size++) {
    expect([size, parse(text, size, delimiter)]).toEqual([size, whole]);
  }
  return whole;
}

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
});
