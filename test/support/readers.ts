/*
 * The tests' one module of independent readers for what csv2lake writes: DuckDB and hyparquet for Parquet,
 * avsc (and a small hand parser of the container framing, for what avsc hides) for Avro. None of them
 * shares code with the writers, so a test that reads back through them checks the files themselves.
 */
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { crc32, inflateRawSync } from 'node:zlib';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import * as avro from 'avsc';
import { parquetMetadata, parquetReadObjects, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { parquetHeader } from 'hyparquet/src/column.js';
import { uncompressSync } from 'snappy';
import type { TableSchema } from '../../lambdas/core/model/schema';

let connection: Promise<DuckDBConnection> | undefined;

/** One in-memory DuckDB connection per test file. */
export function duckdb(): Promise<DuckDBConnection> {
  connection ??= DuckDBInstance.create(':memory:').then((db) => db.connect());
  return connection;
}

/** Closes this test file's DuckDB connection (a later query opens another). */
export function closeDuckdb(): void {
  connection?.then((c) => c.closeSync()).catch(() => undefined);
  connection = undefined;
}

/** Runs a query and returns its rows as JSON-friendly objects (DuckDB's own rendering of each type). */
export async function query(sql: string): Promise<Record<string, unknown>[]> {
  const result = await (await duckdb()).runAndReadAll(sql);
  return result.getRowObjectsJson() as Record<string, unknown>[];
}

/** A path as an SQL string literal. */
export const sqlPath = (path: string): string => `'${path.replaceAll("'", "''")}'`;

/** Column names and DuckDB types, rows as DuckDB renders them. */
export async function readParquetWithDuckDB(
  path: string,
): Promise<{ columns: [string, string][]; rows: unknown[][] }> {
  const described = await query(`DESCRIBE SELECT * FROM read_parquet(${sqlPath(path)})`);
  const columns = described.map((d) => [String(d.column_name), String(d.column_type)] as [string, string]);
  const rows = await query(`SELECT * FROM read_parquet(${sqlPath(path)})`);
  return { columns, rows: rows.map((r) => columns.map(([name]) => r[name])) };
}

/**
 * An unscaled decimal (big-endian two's complement bytes, or an int64) as text with `scale` digits after
 * the point, as DuckDB renders a DECIMAL (`12.30`). Written here, apart from the writers' own encoding.
 */
export function decimalCellText(value: Uint8Array | bigint | number, scale: number): string {
  let v = 0n;
  if (value instanceof Uint8Array) {
    for (const byte of value) v = v * 256n + BigInt(byte);
    if (value.length > 0 && value[0]! >= 0x80) v -= 2n ** BigInt(8 * value.length);
  } else {
    v = BigInt(value);
  }
  const negative = v < 0n;
  let digits = (negative ? -v : v).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  return negative ? `-${digits}` : digits;
}

/**
 * Rows as hyparquet decodes them, and the file's metadata. hyparquet turns a DECIMAL into a number
 * (rounded past 2^53): its unscaled values are read instead (the column's DECIMAL annotation left out of
 * the schema handed to hyparquet) and rendered exactly by {@link decimalCellText}.
 */
export async function readParquetWithHyparquet(path: string) {
  const bytes = await readFile(path);
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  const metadata = parquetMetadata(file);
  const scales = new Map<string, number>();
  const schema = metadata.schema.map((element) => {
    if (element.converted_type !== 'DECIMAL') return element;
    scales.set(element.name, element.scale ?? 0);
    const { converted_type: _converted, logical_type: _logical, ...plain } = element;
    return plain;
  });
  // Without utf8, an unannotated BYTE_ARRAY stays bytes (STRING columns are still decoded as text).
  const rows = await parquetReadObjects({
    file,
    metadata: { ...metadata, schema },
    compressors,
    utf8: false,
  });
  for (const row of rows) {
    for (const [name, scale] of scales) {
      const value = row[name] as Uint8Array | bigint | null | undefined;
      if (value !== null && value !== undefined) row[name] = decimalCellText(value, scale);
    }
  }
  return { metadata, rows };
}

type Callback = (err: Error | null, out?: Buffer) => void;

/** avsc codecs (a `codecs` map replaces avsc's defaults); snappy verifies the CRC-32 of the block. */
export const codecs = {
  null: (buf: Buffer, cb: Callback) => cb(null, buf),
  deflate: (buf: Buffer, cb: Callback) => {
    try {
      cb(null, inflateRawSync(buf));
    } catch (error) {
      cb(error as Error);
    }
  },
  snappy: (buf: Buffer, cb: Callback) => {
    let data: Buffer;
    try {
      data = uncompressSync(buf.subarray(0, buf.length - 4)) as Buffer;
    } catch (error) {
      return cb(error as Error);
    }
    if (crc32(data) >>> 0 !== buf.readUInt32BE(buf.length - 4))
      return cb(new Error('snappy block CRC-32 mismatch'));
    cb(null, data);
  },
};

/** avsc's long, decoded as a BigInt so that values beyond 2^53 stay exact. */
const bigLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(n);
    return buf;
  },
  fromJSON: (n: number | string) => BigInt(n),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint',
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

/** avsc's `decimal` logical type (on bytes), decoded as the exact text DuckDB renders (`12.30`). */
class DecimalText extends avro.types.LogicalType {
  private readonly scale: number;

  constructor(attrs: { scale?: number }, opts?: Partial<avro.ForSchemaOptions>) {
    super(attrs as avro.Schema, opts);
    this.scale = attrs.scale ?? 0;
  }

  protected override _fromValue(value: Buffer): string {
    return decimalCellText(value, this.scale);
  }

  protected override _toValue(text: string): Buffer {
    const [whole = '', fraction = ''] = text.replace('-', '').split('.');
    let v = BigInt(whole + fraction.padEnd(this.scale, '0'));
    if (text.startsWith('-')) v = -v;
    let n = 1;
    while (v >= 1n << BigInt(8 * n - 1) || v < -(1n << BigInt(8 * n - 1))) n++;
    return Buffer.from(
      BigInt.asUintN(8 * n, v)
        .toString(16)
        .padStart(2 * n, '0'),
      'hex',
    );
  }

  protected override _resolve(type: avro.Type): ((value: unknown) => unknown) | undefined {
    return avro.Type.isType(type, 'logical:decimal') ? (value: unknown) => value : undefined;
  }
}

/**
 * Every long of a schema, the logical timestamp-micros ones included, as a BigInt; every `decimal`
 * logical type as its exact text.
 */
const bigLongs = () =>
  // A new options object for each schema: avsc keeps the schema's named types in it.
  ({
    typeHook: (attrs: unknown) =>
      attrs === 'long' || (attrs as { type?: unknown } | null)?.type === 'long' ? bigLong : undefined,
    logicalTypes: { decimal: DecimalText },
  }) as unknown as Partial<avro.ForSchemaOptions>;

/**
 * The writer schema (as written in the file header) and every record, longs as BigInt. With
 * `readerSchema`, records are resolved to it by avsc as the Avro spec says (fields matched by name or
 * alias, missing ones take their default, promotions such as long to double), and it fails as a reader
 * would when the writer schema cannot be resolved to it.
 */
export function readAvro(
  path: string,
  readerSchema?: Record<string, unknown>,
): Promise<{
  schema: Record<string, unknown>;
  header: Record<string, Buffer>;
  rows: Record<string, unknown>[];
}> {
  return new Promise((resolve, reject) => {
    const rows: Record<string, unknown>[] = [];
    let header: Record<string, Buffer> = {};
    const decoder = avro.createFileDecoder(path, {
      codecs,
      parseHook: (schema: unknown) => avro.Type.forSchema(schema as avro.Schema, bigLongs()),
      ...(readerSchema && { readerSchema: avro.Type.forSchema(readerSchema as avro.Schema, bigLongs()) }),
    } as unknown as avro.DecoderOptions);
    decoder.on('metadata', (_type: unknown, _codec: string, h: { meta: Record<string, Buffer> }) => {
      header = h.meta;
    });
    decoder.on('data', (row: Record<string, unknown>) => rows.push({ ...row }));
    decoder.on('error', reject);
    decoder.on('end', () => resolve({ schema: JSON.parse(header['avro.schema']!.toString()), header, rows }));
  });
}

/** Renders Avro timestamp-micros as DuckDB renders TIMESTAMP WITH TIME ZONE (UTC session). */
export function microsToDuckText(value: bigint | number): string {
  const micros = BigInt(value);
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const sub = Number(micros - ms * 1000n);
  const date = new Date(Number(ms));
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const fraction = (
    String(date.getUTCMilliseconds()).padStart(3, '0') + String(sub).padStart(3, '0')
  ).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${fraction}` : ''}+00`;
}

/** Renders Avro date (days since epoch) as YYYY-MM-DD. */
export function daysToText(days: number): string {
  return new Date(days * 86400000).toISOString().slice(0, 10);
}

/** What avsc reads from a container file: metadata, the writer schema, every record (longs as BigInt). */
export interface AvroContents {
  readonly meta: Record<string, Buffer>;
  readonly schema: Record<string, unknown>;
  readonly rows: Record<string, unknown>[];
}

/** Decodes a whole container file with avsc. */
export function decodeAvro(file: Uint8Array): Promise<AvroContents> {
  return new Promise((resolve, reject) => {
    const rows: Record<string, unknown>[] = [];
    let meta: Record<string, Buffer> = {};
    const decoder = new avro.streams.BlockDecoder({
      codecs,
      // A typeHook, not a registry entry: it also catches `{type: "long", logicalType: …}`, which avsc
      // would otherwise build as its own (Number, lossy) long.
      parseHook: (schema: unknown) => avro.Type.forSchema(schema as avro.Schema, bigLongs()),
    } as unknown as avro.DecoderOptions);
    decoder.on('metadata', (_type: unknown, _codec: string, header: { meta: Record<string, Buffer> }) => {
      meta = header.meta;
    });
    decoder.on('data', (row: Record<string, unknown>) => rows.push({ ...row }));
    decoder.on('error', reject);
    decoder.on('end', () => {
      const json = meta['avro.schema'];
      if (!json) return reject(new Error('no avro.schema in the header'));
      resolve({ meta, schema: JSON.parse(json.toString()) as Record<string, unknown>, rows });
    });
    Readable.from([Buffer.from(file)]).pipe(decoder);
  });
}

/** One data block of a container file, as framed. */
export interface Block {
  readonly count: number;
  /** The block's bytes as stored (compressed, with the snappy CRC when there is one). */
  readonly data: Buffer;
  readonly sync: Buffer;
}

/** The framing of a container file, parsed by hand: magic, metadata, sync marker, blocks. */
export interface Container {
  readonly magic: Buffer;
  readonly meta: Map<string, Buffer>;
  readonly sync: Buffer;
  readonly headerLength: number;
  readonly blocks: Block[];
}

/** Parses the container framing; throws on anything malformed or trailing. */
export function parseContainer(file: Uint8Array): Container {
  const buf = Buffer.from(file);
  let pos = 0;
  const long = (): number => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buf[pos++];
      if (byte === undefined) throw new Error('truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if (byte < 0x80) break;
    }
    return Number((result >> 1n) ^ -(result & 1n));
  };
  const bytes = (n: number): Buffer => {
    if (n < 0 || pos + n > buf.length) throw new Error(`truncated: ${n} bytes at ${pos}`);
    const out = buf.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const magic = bytes(4);
  const meta = new Map<string, Buffer>();
  for (let n = long(); n !== 0; n = long()) {
    if (n < 0) {
      long(); // a negative count is followed by the block's byte size
      n = -n;
    }
    for (let i = 0; i < n; i++) meta.set(bytes(long()).toString('utf8'), bytes(long()));
  }
  const sync = bytes(16);
  const headerLength = pos;
  const blocks: Block[] = [];
  while (pos < buf.length) {
    const count = long();
    const data = bytes(long());
    blocks.push({ count, data, sync: bytes(16) });
  }
  return { magic, meta, sync, headerLength, blocks };
}

/** Runs a query and returns its rows as objects of native values (BigInt, DuckDB's date and time objects). */
export async function duck(sql: string): Promise<Record<string, unknown>[]> {
  const result = await (await duckdb()).runAndReadAll(sql);
  return result.getRowObjects() as Record<string, unknown>[];
}

/**
 * One cell as the tests write and expect it: boolean, int32 and double as numbers/booleans, int64 and
 * timestamp (microseconds since the epoch) as bigint, date as days since the epoch, string as string.
 */
export type Cell = null | boolean | number | bigint | string;

/** A DuckDB value as a {@link Cell}: DATE as days, TIMESTAMP WITH TIME ZONE as microseconds. */
function fromDuck(value: unknown): Cell {
  if (value === null || typeof value !== 'object') return value as Cell;
  if ('days' in value) return (value as { days: number }).days;
  if ('micros' in value) return (value as { micros: bigint }).micros;
  throw new Error(`unexpected DuckDB value ${String(value)}`);
}

/** DuckDB's column names and types, and every row as cells in column order. */
export async function readWithDuckDB(path: string): Promise<{ columns: [string, string][]; rows: Cell[][] }> {
  const described = await duck(`DESCRIBE SELECT * FROM read_parquet(${sqlPath(path)})`);
  const columns = described.map((d) => [String(d.column_name), String(d.column_type)] as [string, string]);
  const result = await (await duckdb()).runAndReadAll(`SELECT * FROM read_parquet(${sqlPath(path)})`);
  return { columns, rows: result.getRows().map((row) => row.map(fromDuck)) };
}

const parsers = {
  timestampFromMicroseconds: (micros: bigint) => micros,
  dateFromDays: (days: number) => days,
};

/**
 * hyparquet's metadata, every row as cells in schema order, and per column the values (rows) of each data
 * page, from the page headers as hyparquet parses them (checking that the pages fill each chunk exactly).
 */
export async function readWithHyparquet(
  bytes: Buffer,
  schema: TableSchema,
): Promise<{ metadata: FileMetaData; rows: Cell[][]; pages: Map<string, number[]> }> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  const metadata = parquetMetadata(file, { parsers });
  const objects = await parquetReadObjects({ file, compressors, utf8: true, parsers });
  const rows = objects.map((o) => schema.columns.map((c) => (o[c.name] ?? null) as Cell));
  const pages = new Map<string, number[]>();
  for (const group of metadata.row_groups) {
    for (const chunk of group.columns) {
      const meta = chunk.meta_data!;
      const name = meta.path_in_schema.join('.');
      const start = Number(meta.dictionary_page_offset ?? meta.data_page_offset);
      const reader = { view: new DataView(file), offset: start };
      const end = start + Number(meta.total_compressed_size);
      while (reader.offset < end) {
        const header = parquetHeader(reader);
        if (header.type === 'DATA_PAGE')
          pages.set(name, [...(pages.get(name) ?? []), header.data_page_header!.num_values]);
        else expect(header.type).toBe('DICTIONARY_PAGE');
        reader.offset += header.compressed_page_size;
      }
      expect(reader.offset).toBe(end);
    }
  }
  return { metadata, rows, pages };
}
