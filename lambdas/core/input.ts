import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { TextEncoding } from './convert';
import { EmptyInputError, UnsupportedEncodingError } from './errors';

/** Raised by {@link decodeInput} at the first byte that is not UTF-8; the caller adds the line and column. */
export class InvalidUtf8Error extends Error {
  constructor(readonly byteOffset: number) {
    super(`invalid UTF-8 at byte offset ${byteOffset}`);
    this.name = 'InvalidUtf8Error';
  }
}

/** What {@link decodeInput} found out about the input. */
export interface InputInfo {
  gzip: boolean;
  /** Bytes read from the source (compressed bytes when gzip). */
  bytesIn: number;
}

const GZIP_MAGIC = [0x1f, 0x8b];

async function* counted(source: AsyncIterable<Uint8Array>, info: InputInfo): AsyncIterable<Uint8Array> {
  for await (const chunk of source) {
    info.bytesIn += chunk.length;
    yield chunk;
  }
}

/** Reads until `min` bytes are available (or the input ends); returns them and the rest of the stream. */
async function peek(
  iterator: AsyncIterator<Uint8Array>,
  min: number,
): Promise<{ head: Uint8Array; done: boolean }> {
  const parts: Uint8Array[] = [];
  let size = 0;
  while (size < min) {
    const next = await iterator.next();
    if (next.done) return { head: Buffer.concat(parts, size), done: true };
    parts.push(next.value);
    size += next.value.length;
  }
  return { head: parts.length === 1 ? parts[0]! : Buffer.concat(parts, size), done: false };
}

async function* prepend(
  head: Uint8Array,
  iterator: AsyncIterator<Uint8Array>,
  done: boolean,
): AsyncIterable<Uint8Array> {
  if (head.length > 0) yield head;
  if (done) return;
  for (;;) {
    const next = await iterator.next();
    if (next.done) return;
    yield next.value;
  }
}

/**
 * Turns the raw bytes of a CSV file into validated UTF-8: gunzips gzip input (detected by its magic bytes),
 * strips a UTF-8 byte order mark, validates UTF-8 (throwing {@link InvalidUtf8Error} at the first bad byte,
 * after yielding everything before it) or transcodes Latin-1 / Windows-1252 to UTF-8.
 *
 * @throws EmptyInputError when the input has no bytes at all.
 * @throws UnsupportedEncodingError for UTF-16/32 input (byte order marks).
 */
export async function* decodeInput(
  source: AsyncIterable<Uint8Array>,
  encoding: TextEncoding,
  info: InputInfo,
  name: string,
): AsyncIterable<Uint8Array> {
  const raw = counted(source, info)[Symbol.asyncIterator]();
  const first = await peek(raw, 2);
  if (first.head.length === 0) {
    throw new EmptyInputError(
      `${name} is empty (0 bytes): there is nothing to convert; check the export that produced it`,
    );
  }
  let bytes: AsyncIterable<Uint8Array> = prepend(first.head, raw, first.done);
  if (first.head[0] === GZIP_MAGIC[0] && first.head[1] === GZIP_MAGIC[1]) {
    info.gzip = true;
    bytes = Readable.from(bytes, { objectMode: false }).pipe(createGunzip({ chunkSize: 1 << 20 }));
  }
  const it = bytes[Symbol.asyncIterator]();
  const start = await peek(it, 4);
  let head = start.head;
  if (head.length === 0 && info.gzip) {
    throw new EmptyInputError(`${name} is an empty gzip file: there is nothing to convert`);
  }
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) head = head.subarray(3);
  else if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    throw new UnsupportedEncodingError(
      `${name} is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8 and convert again`,
      { byteOffset: 0 },
    );
  }
  const decoded = prepend(head, it, start.done);
  if (encoding === 'utf-8') yield* validateUtf8(decoded);
  else yield* transcode(decoded, encoding);
}

/**
 * Like {@link decodeInput} for a part of a file that starts at a row boundary: validates or transcodes, with
 * no gzip, byte order mark or empty-input handling (those belong to the file's start).
 */
export async function* decodeRange(
  source: AsyncIterable<Uint8Array>,
  encoding: TextEncoding,
  info: InputInfo,
): AsyncIterable<Uint8Array> {
  const bytes = counted(source, info);
  if (encoding === 'utf-8') yield* validateUtf8(bytes);
  else yield* transcode(bytes, encoding);
}

/** Length of the incomplete UTF-8 sequence at the end of `chunk` (0 when it ends on a boundary). */
function incompleteTail(chunk: Uint8Array): number {
  const n = chunk.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const c = chunk[n - back]!;
    if ((c & 0xc0) === 0x80) continue; // continuation byte: look further back
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

async function* validateUtf8(source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  let carry: Uint8Array | undefined;
  let offset = 0;
  for await (const input of source) {
    let chunk = input;
    if (carry) {
      chunk = Buffer.concat([carry, input]);
      carry = undefined;
    }
    const tail = incompleteTail(chunk);
    const body = tail > 0 ? chunk.subarray(0, chunk.length - tail) : chunk;
    if (!isUtf8(body)) {
      const bad = firstInvalidLinear(body);
      if (bad > 0) yield body.subarray(0, bad);
      throw new InvalidUtf8Error(offset + bad);
    }
    if (tail > 0) carry = Uint8Array.prototype.slice.call(chunk.subarray(chunk.length - tail));
    offset += body.length;
    if (body.length > 0) yield body;
  }
  if (carry) throw new InvalidUtf8Error(offset);
}

/** The offset of the first invalid UTF-8 sequence in `b` (which is known to be invalid). */
function firstInvalidLinear(b: Uint8Array): number {
  let i = 0;
  const n = b.length;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    if (i + need >= n) return i;
    let cp = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const cc = b[i + k];
      if (cc === undefined || (cc & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return n;
}

async function* transcode(
  source: AsyncIterable<Uint8Array>,
  encoding: TextEncoding,
): AsyncIterable<Uint8Array> {
  if (encoding === 'latin1') {
    for await (const chunk of source) {
      yield Buffer.from(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length).toString('latin1'), 'utf8');
    }
    return;
  }
  // Windows-1252 is single-byte: chunks can be decoded independently.
  const decoder = new TextDecoder('windows-1252');
  for await (const chunk of source) yield Buffer.from(decoder.decode(chunk), 'utf8');
}
