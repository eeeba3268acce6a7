/*
 * Reading back what the Avro writer produced, without any of its code: avsc's block decoder for the records,
 * and a small hand parser of the container framing (header, blocks, sync markers) for what avsc hides.
 */
import { Readable } from 'node:stream';
import { crc32, inflateRawSync } from 'node:zlib';
import * as avro from 'avsc';
import { uncompressSync } from 'snappy';

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

/** avsc's long decoded as a BigInt, so that values beyond 2^53 stay exact. */
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
      parseHook: (schema: unknown) =>
        avro.Type.forSchema(
          schema as avro.Schema,
          {
            typeHook: (s: unknown) =>
              s === 'long' ||
              (typeof s === 'object' && s !== null && (s as { type?: unknown }).type === 'long')
                ? bigLong
                : undefined,
          } as unknown as avro.ForSchemaOptions,
        ),
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
