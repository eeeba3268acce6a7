/*
 * The speculative row-start scan (findRowStart) that the two-thread split and the byte ranges share: the
 * configured quote and escape bytes, CRLF and lone CR line ends, quoting off, and a file's middle.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  afterLineBreak,
  findCut,
  findRowStart,
  type CutDialect,
} from '../../../../lambdas/core/parallel/cut';
import { folder } from '../table-support';

const dialect = (over: Partial<CutDialect> = {}): CutDialect => ({ delimiter: 0x2c, columns: 3, ...over });
const at = (text: string, d: CutDialect, eof = true) => findRowStart(Buffer.from(text), 1, d, eof);

test('the first line break followed by ordinary rows', () => {
  const text = 'x1,2,3\n4,5,6\n7,8,9\n';
  expect(at(text, dialect())).toBe(7);
});

test('a line break inside a quoted field is passed over, with " or a configured quote', () => {
  // Looked at from inside a quoted field `"a⏎"` that ends the first field of `"a⏎",2,3`: from the first line
  // break the closing quote reads as an opening one, and no complete row follows.
  const rows = (q: string) => `a\n${q},2,3\n4,5,6\n7,8,9\n`;
  expect(at(rows('"'), dialect())).toBe(rows('"').indexOf('4,5,6'));
  expect(at(rows("'"), dialect({ quote: 0x27, escape: 0x5c }))).toBe(rows("'").indexOf('4,5,6'));
  expect(at(rows('"'), dialect({ quote: 0x27 }))).toBe(2);
});

test('never between the CR and LF of a CRLF; a lone CR ends a row', () => {
  expect(afterLineBreak(Buffer.from('a\r\nb'), 2, true)).toBe(false);
  expect(afterLineBreak(Buffer.from('a\r\nb'), 3, true)).toBe(true);
  expect(afterLineBreak(Buffer.from('a\rb'), 2, true)).toBe(true);
  expect(afterLineBreak(Buffer.from('a\r'), 2, false)).toBe(false);
  expect(at('x\r\n1,2,3\r\n', dialect())).toBe(3);
  expect(at('x\r1,2,3\r', dialect())).toBe(2);
});

test('quoting off: every line break, exactly', () => {
  expect(at('"a\nb,c,d\n', dialect({ quote: -1 }))).toBe(3);
});

test('no line break: undefined, or the end at the end of the file', () => {
  expect(at('abc', dialect(), false)).toBeUndefined();
  expect(at('abc', dialect(), true)).toBe(3);
});

test('findCut takes the file quote: a cut past the middle at an ordinary row', () => {
  const dir = folder('cut-');
  const path = join(dir, 'f.csv');
  const body = Array.from({ length: 200 }, (_, i) => `${i},'multi\nline ${i}',x`).join('\n');
  const text = `a,b,c\n${body}\n`;
  writeFileSync(path, text);
  const context = { delimiter: ',', comment: -1, headers: ['a', 'b', 'c'], types: [], track: [] };
  const middle = Math.floor(text.length / 2);
  const cut = findCut(path, text.length, middle, context, { quote: 0x27, escape: 0x27 })!;
  expect(cut).toBeGreaterThanOrEqual(middle);
  expect(text.slice(cut)).toMatch(/^\d+,'multi\n/);
});
