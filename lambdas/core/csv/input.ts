import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { EmptyInputError, quoted, UnsupportedEncodingError } from '../model/errors';
import type { TextEncoding } from '../model/options';
import { transcode, validateUtf8 } from './utf8';

export { InvalidUtf8Error } from './utf8';

/** What {@link decodeInput} found out about the input. */
export interface InputInfo {
  gzip: boolean;
  /** True when the input was zstd-compressed (and decompressed). @default false */
  zstd?: boolean;
  /** Bytes read from the source (compressed bytes when gzip or zstd). */
  bytesIn: number;
}

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** Bytes looked at for a file format's magic number. */
const MAGIC_BYTES = 10;
/** Bytes of the (decompressed) start whose control bytes tell a binary file from text. */
const BINARY_SNIFF_BYTES = 64 * 1024;
/**
 * A start with at least this many control bytes (C0 but tab, LF, CR, FF), making at least this share of
 * its bytes, is binary (or UTF-16 without a byte order mark, half NULs): text has next to none. A few NULs
 * inside fields (database exports keep them) are data.
 */
const BINARY_MIN_CONTROLS = 16;
const BINARY_MIN_SHARE = 0.1;

/** Formats that are not CSV text, by their first bytes, and what to do about each. */
const FOREIGN_FORMATS: readonly {
  readonly format: string;
  readonly magic: readonly number[];
  readonly then?: (head: Uint8Array) => boolean;
  readonly advice: string;
}[] = [
  {
    format: 'bzip2',
    magic: [0x42, 0x5a, 0x68],
    then: bzip2Block,
    advice: 'decompress it first (e.g. bunzip2 -k <file>)',
  },
  {
    format: 'xz',
    magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00],
    advice: 'decompress it first (e.g. xz -dk <file>)',
  },
  { format: 'zip', magic: [0x50, 0x4b, 0x03, 0x04], advice: 'extract the CSV first (e.g. unzip <file>)' },
  {
    format: 'zip',
    magic: [0x50, 0x4b, 0x05, 0x06],
    advice: 'it is an empty zip archive: extract the CSV first',
  },
  {
    format: '7z',
    magic: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c],
    advice: 'extract the CSV first (e.g. 7z x <file>)',
  },
  { format: 'lz4', magic: [0x04, 0x22, 0x4d, 0x18], advice: 'decompress it first (e.g. lz4 -d <file>)' },
  {
    format: 'Parquet',
    magic: [0x50, 0x41, 0x52, 0x31],
    then: (head) =>
      head.length > 4 && head[4]! < 0x20 && head[4] !== 0x09 && head[4] !== 0x0a && head[4] !== 0x0d,
    advice: 'it is already columnar: nothing to convert',
  },
  { format: 'Avro', magic: [0x4f, 0x62, 0x6a, 0x01], advice: 'it is already Avro: nothing to convert' },
];

/** bzip2: `BZh` and a block size digit, then a block or end-of-stream marker (digits of pi, sqrt pi). */
function bzip2Block(head: Uint8Array): boolean {
  const level = head[3];
  if (level === undefined || level < 0x31 || level > 0x39) return false;
  const block = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
  const end = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90];
  return (
    head.length < 10 || block.every((b, k) => head[4 + k] === b) || end.every((b, k) => head[4 + k] === b)
  );
}

function startsWith(head: Uint8Array, magic: readonly number[]): boolean {
  return head.length >= magic.length && magic.every((b, k) => head[k] === b);
}

/** Whether the running Node.js decompresses zstd (zlib has it from Node 22.15 and 23.8). */
export function zstdAvailable(): boolean {
  return typeof (zlib as { createZstdDecompress?: unknown }).createZstdDecompress === 'function';
}

/**
 * The refusal of an input that is not CSV text, by its first bytes: an archive or a compression other
 * than gzip (and zstd, where Node.js reads it), or a Parquet or Avro file.
 */
function foreignFormat(name: string, head: Uint8Array): UnsupportedEncodingError | undefined {
  for (const { format, magic, then, advice } of FOREIGN_FORMATS) {
    if (!startsWith(head, magic) || (then && !then(head))) continue;
    return new UnsupportedEncodingError(
      `${name} is ${/^(xz|lz4|Avro)$/u.test(format) ? 'an' : 'a'} ${format} file: csv2lake reads plain, gzip or zstd CSV; ${advice.replace('<file>', quotedName(name))}`,
      { byteOffset: 0 },
    );
  }
  return undefined;
}

/** A file name for a shell command in a message: as it is when plain, else single-quoted JSON-escaped. */
function quotedName(name: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1);
  return /^[\w.@%+=:,-]+$/u.test(base) ? base : quoted(base);
}

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
 * Turns the raw bytes of a CSV file into validated UTF-8: decompresses gzip and zstd input (detected by
 * their magic bytes; zstd where the running Node.js has it), strips a UTF-8 byte order mark, validates
 * UTF-8 (throwing {@link InvalidUtf8Error} at the first bad byte, after yielding everything before it) or
 * transcodes Latin-1 / Windows-1252 to UTF-8.
 *
 * @throws EmptyInputError when the input has no bytes at all.
 * @throws UnsupportedEncodingError for UTF-16/32 input (byte order marks), for other compressions and
 *   archives (bzip2, xz, zip, 7z, lz4), Parquet and Avro files, zstd without a decompressor, and a binary
 *   file (control bytes are 10% of its first 64 KiB, whatever the encoding).
 */
export async function* decodeInput(
  source: AsyncIterable<Uint8Array>,
  encoding: TextEncoding,
  info: InputInfo,
  name: string,
): AsyncIterable<Uint8Array> {
  const raw = counted(source, info)[Symbol.asyncIterator]();
  const first = await peek(raw, MAGIC_BYTES);
  if (first.head.length === 0) {
    throw new EmptyInputError(
      `${name} is empty (0 bytes): there is nothing to convert; check the export that produced it`,
    );
  }
  let bytes: AsyncIterable<Uint8Array> = prepend(first.head, raw, first.done);
  if (startsWith(first.head, GZIP_MAGIC)) {
    info.gzip = true;
    bytes = Readable.from(bytes, { objectMode: false }).pipe(zlib.createGunzip({ chunkSize: 1 << 20 }));
  } else if (startsWith(first.head, ZSTD_MAGIC)) {
    if (!zstdAvailable()) {
      throw new UnsupportedEncodingError(
        `${name} is a zstd file and this Node.js (${process.version}) cannot decompress zstd (Node.js 22.15 ` +
          `or later can); decompress it first (e.g. zstd -dk ${quotedName(name)})`,
        { byteOffset: 0 },
      );
    }
    info.zstd = true;
    const { createZstdDecompress } = zlib as unknown as {
      createZstdDecompress: (options: { chunkSize: number }) => import('node:stream').Transform;
    };
    bytes = Readable.from(bytes, { objectMode: false }).pipe(createZstdDecompress({ chunkSize: 1 << 20 }));
  } else {
    const foreign = foreignFormat(name, first.head);
    if (foreign) throw foreign;
  }
  const compressed = info.gzip || info.zstd === true;
  const it = bytes[Symbol.asyncIterator]();
  const start = await peek(it, 4);
  let head = start.head;
  if (head.length === 0 && compressed) {
    throw new EmptyInputError(
      `${name} is an empty ${info.gzip ? 'gzip' : 'zstd'} file: there is nothing to convert`,
    );
  }
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) head = head.subarray(3);
  else if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    throw new UnsupportedEncodingError(
      `${name} is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8 and convert again`,
      { byteOffset: 0 },
    );
  }
  const decoded = refuseBinary(prepend(head, it, start.done), name, compressed);
  if (encoding === 'utf-8') yield* validateUtf8(decoded);
  else yield* transcode(decoded, encoding);
}

/**
 * Passes the chunks on, failing when the first 64 KiB (or the whole input, if shorter) is mostly control
 * bytes: a binary file, or UTF-16 without a byte order mark, which --encoding latin1 would "convert" into
 * junk. Chunks pass as they come, so that the input's chunking (and the first pass's sample) does not
 * change; a conversion that fails here has written nothing yet.
 */
async function* refuseBinary(
  source: AsyncIterable<Uint8Array>,
  name: string,
  compressed: boolean,
): AsyncIterable<Uint8Array> {
  let seen = 0;
  let controls = 0;
  let firstOffset = -1;
  const judge = (): void => {
    if (controls < BINARY_MIN_CONTROLS || controls < seen * BINARY_MIN_SHARE) return;
    throw new UnsupportedEncodingError(
      `${name} is not CSV text: ${controls} of its first ${seen} bytes${compressed ? ' (decompressed)' : ''} ` +
        `are control characters such as NUL (the first at byte offset ${firstOffset}), so it is a binary ` +
        `file, or UTF-16 without a byte order mark (save it as UTF-8)`,
      { byteOffset: firstOffset },
    );
  };
  for await (const chunk of source) {
    if (seen < BINARY_SNIFF_BYTES) {
      const n = Math.min(chunk.length, BINARY_SNIFF_BYTES - seen);
      for (let i = 0; i < n; i++) {
        const c = chunk[i]!;
        // C0 controls but tab, LF, FF and CR.
        if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0c && c !== 0x0d) {
          if (controls === 0) firstOffset = seen + i;
          controls++;
        }
      }
      seen += n;
      if (seen >= BINARY_SNIFF_BYTES) judge();
    }
    yield chunk;
  }
  if (seen < BINARY_SNIFF_BYTES) judge();
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

