/*
 * Independent readers for what csv2lake writes: DuckDB and hyparquet for Parquet, avsc for Avro. None of
 * them shares code with the writers, so a test that reads back through them checks the files themselves.
 */
import { readFile } from 'node:fs/promises';
import { crc32, inflateRawSync } from 'node:zlib';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import * as avro from 'avsc';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { uncompressSync } from 'snappy';

let connection: Promise<DuckDBConnection> | undefined;

/** One in-memory DuckDB connection per test file. */
export function duckdb(): Promise<DuckDBConnection> {
  connection ??= DuckDBInstance.create(':memory:').then((db) => db.connect());
  return connection;
}

/** Runs a query and returns its rows as JSON-friendly objects (DuckDB's own rendering of each type). */
export async function query(sql: string): Promise<Record<string, unknown>[]> {
  const result = await (await duckdb()).runAndReadAll(sql);
  return result.getRowObjectsJson() as Record<string, unknown>[];
}

const quote = (path: string) => `'${path.replaceAll("'", "''")}'`;

/** Column names and DuckDB types, rows as DuckDB renders them. */
export async function readParquetWithDuckDB(
  path: string,
): Promise<{ columns: [string, string][]; rows: unknown[][] }> {
  const described = await query(`DESCRIBE SELECT * FROM read_parquet(${quote(path)})`);
  const columns = described.map((d) => [String(d.column_name), String(d.column_type)] as [string, string]);
  const rows = await query(`SELECT * FROM read_parquet(${quote(path)})`);
  return { columns, rows: rows.map((r) => columns.map(([name]) => r[name])) };
}

/** Rows as hyparquet decodes them, and the file's metadata. */
export async function readParquetWithHyparquet(path: string) {
  const bytes = await readFile(path);
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  const metadata = parquetMetadata(file);
  const rows = await parquetReadObjects({ file, compressors, utf8: true });
  return { metadata, rows };
}

/** Avro codecs for avsc, snappy checking the CRC-32 the spec requires. */
const codecs = {
  null: (buf: Buffer, cb: (err: Error | null, out?: Buffer) => void) => cb(null, buf),
  deflate: (buf: Buffer, cb: (err: Error | null, out?: Buffer) => void) => cb(null, inflateRawSync(buf)),
  snappy: (buf: Buffer, cb: (err: Error | null, out?: Buffer) => void) => {
    const data = uncompressSync(buf.subarray(0, buf.length - 4)) as Buffer;
    const expected = buf.readUInt32BE(buf.length - 4);
    if (crc32(data) >>> 0 !== expected) return cb(new Error('snappy block CRC-32 mismatch'));
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

/** Every long of a schema, the logical timestamp-micros ones included, as a BigInt. */
const bigLongs = () =>
  // A new options object for each schema: avsc keeps the schema's named types in it.
  ({
    typeHook: (attrs: unknown) =>
      attrs === 'long' || (attrs as { type?: unknown } | null)?.type === 'long' ? bigLong : undefined,
  }) as Partial<avro.ForSchemaOptions>;

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
