/*
 * CSV built to hurt, written to disk in pieces (the large ones never exist whole in memory): shared by the
 * reliability tests (small sizes) and the reliability benchmark (full sizes).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { random } from './helpers';

/** Writes pieces to a file with back-pressure. */
async function write(path: string, pieces: Iterable<string | Buffer>): Promise<number> {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let bytes = 0;
  for (const piece of pieces) {
    bytes += piece.length;
    if (!out.write(piece)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}

function* repeat(piece: string, times: number): Generator<string> {
  const batch = piece.repeat(Math.max(1, Math.floor((1 << 20) / piece.length)));
  const perBatch = batch.length / piece.length;
  let left = times;
  while (left >= perBatch) {
    yield batch;
    left -= perBatch;
  }
  if (left > 0) yield piece.repeat(left);
}

/** One quoted field of `bytes` bytes (with doubled quotes and line breaks inside), between two small rows. */
export function singleField(path: string, bytes: number): Promise<number> {
  const unit = 'lorem ""ipsum"", dolor\nsit amet; ';
  return write(path, [
    'id,blob,tail\n1,small,a\n2,"',
    ...repeat(unit, Math.ceil(bytes / unit.length)),
    '",b\n3,small,c\n',
  ]);
}

/** `columns` columns (ints: row r holds r * columns + c in column c), `rows` rows, made one at a time. */
export function wideColumns(path: string, columns: number, rows: number): Promise<number> {
  const header = Array.from({ length: columns }, (_, i) => `c${i}`).join(',') + '\n';
  const row = (r: number) =>
    Array.from({ length: columns }, (_, i) => String(r * columns + i)).join(',') + '\n';
  function* lines(): Generator<string> {
    yield header;
    for (let r = 0; r < rows; r++) yield row(r);
  }
  return write(path, lines());
}

/** `rows` rows of one one-digit column. */
export function tinyRows(path: string, rows: number): Promise<number> {
  return write(path, ['x\n', ...repeat('7\n', rows)]);
}

/** A quote opened on line 3 and never closed, then `bytes` of ordinary rows that it swallows. */
export function unclosedQuote(path: string, bytes: number): Promise<number> {
  return write(path, ['a,b\n1,2\n3,"never closed\n', ...repeat('4,5\n', Math.ceil(bytes / 4))]);
}

/** `rows` rows of quote soup: stray, doubled and unbalanced quotes in every position (seeded). */
export function quoteSoup(path: string, rows: number): Promise<number> {
  const rnd = random(11);
  const bits = ['"', '""', 'a"b', '"x"y', 'plain', '"""', '"open', 'close"', ''];
  const pieces: string[] = ['a,b,c\n'];
  for (let r = 0; r < rows; r++) {
    const field = () => bits[Math.floor(rnd() * bits.length)]!;
    pieces.push(`${field()},${field()},${field()}\n`);
  }
  return write(path, pieces);
}

/** NUL bytes inside fields, unquoted and quoted, and a field that is only NUL. */
export function nulBytes(path: string): Promise<number> {
  return write(path, ['id,text\n', '1,a\0b\n', '2,"\0"\n', '3,\0\0\0\n', '4,plain\n']);
}

/** LF, CRLF and CR line endings mixed in one file, also inside a quoted field. */
export function mixedLineEndings(path: string): Promise<number> {
  return write(path, ['id,text\r\n', '1,a\n', '2,b\r', '3,c\r\n', '4,"multi\r\nline\rfield\n"\n', '5,e']);
}
