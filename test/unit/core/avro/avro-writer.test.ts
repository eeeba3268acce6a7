import { crc32, inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { uncompressSync } from 'snappy';
import { toAvroNames } from '../../../../lambdas/core/model/avro-names';
import { avroSchemaFor } from '../../../../lambdas/core/avro/avro-schema';
import { createAvroWriter, type AvroWriterOptions } from '../../../../lambdas/core/avro/avro-writer';
import { ColumnBatch } from '../../../../lambdas/core/model/column-batch';
import { InvalidOptionsError } from '../../../../lambdas/core/model/errors';
import type { AvroCodec } from '../../../../lambdas/core/model/options';
import type { ColumnType, TableSchema } from '../../../../lambdas/core/model/schema';
import { MemorySink } from '../../../../lambdas/core/model/sink';
import { handOver, vectorFromData, type VectorData } from '../../../../lambdas/core/parallel/transfer';
import { decodeAvro, parseContainer } from '../../../support/readers';

/** A cell as a test writes it: int32/date as number, int64/timestamp as bigint. */
type Cell = null | boolean | number | bigint | string;

const CODECS: AvroCodec[] = ['null', 'deflate', 'snappy'];
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function tableSchema(columns: [string, ColumnType][]): TableSchema {
  const avroNames = toAvroNames(columns.map(([name]) => name));
  return {
    columns: columns.map(([name, type], i) => ({ name, sourceName: name, avroName: avroNames[i]!, type })),
  };
}

/** Fills a batch row by row through the ColumnVector append API, as the converter does. */
function fill(batch: ColumnBatch, rows: readonly Cell[][]): ColumnBatch {
  for (const row of rows) {
    batch.columns.forEach((vector, c) => {
      const cell = row[c];
      if (cell === null || cell === undefined) return vector.appendNull();
      switch (vector.type) {
        case 'boolean':
          return vector.appendBoolean(cell as boolean);
        case 'int64':
        case 'timestamp':
          // The converter appends safe integers as numbers, others as BigInt: go through both.
          return (cell as bigint) >= -SAFE && (cell as bigint) <= SAFE
            ? vector.appendInt64Number(Number(cell))
            : vector.appendInt64BigInt(cell as bigint);
        case 'double':
          return vector.appendDouble(cell as number);
        case 'string':
          return vector.appendString(cell as string);
        default:
          return vector.appendInt32(cell as number);
      }
    });
  }
  return batch;
}

const batchOf = (schema: TableSchema, rows: readonly Cell[][]) => fill(new ColumnBatch(schema, 4), rows);

/** Writes the rows in batches of `batchRows` and returns the file and the writer's stats. */
async function writeFile(
  schema: TableSchema,
  rows: readonly Cell[][],
  options: AvroWriterOptions,
  batchRows = 1000,
) {
  const sink = new MemorySink();
  const writer = createAvroWriter(schema, sink, options);
  for (let i = 0; i < rows.length; i += batchRows)
    await writer.write(batchOf(schema, rows.slice(i, i + batchRows)));
  const stats = await writer.close();
  return { file: sink.bytes(), stats };
}

/** The rows as avsc should decode them: objects keyed by Avro field name. */
const expected = (schema: TableSchema, rows: readonly Cell[][]) =>
  rows.map((row) => Object.fromEntries(schema.columns.map((c, i) => [c.avroName, row[i] ?? null])));

const INT32 = [0, 1, -1, 63, 64, -64, -65, 8191, 8192, -2147483648, 2147483647, 1 << 28, -(1 << 28)];
const INT64 = [
  0n,
  1n,
  -1n,
  2n ** 31n - 1n,
  -(2n ** 31n),
  2n ** 32n,
  -(2n ** 32n) - 1n,
  2n ** 51n,
  2n ** 52n - 1n,
  2n ** 52n,
  -(2n ** 52n),
  -(2n ** 52n) - 1n,
  2n ** 53n - 1n,
  2n ** 53n,
  2n ** 53n + 1n,
  -(2n ** 53n) - 1n,
  2n ** 62n,
  -(2n ** 62n) - 3n,
  2n ** 63n - 1n,
  -(2n ** 63n),
  1234567890123456789n,
  -987654321987654321n,
];
const DOUBLES = [
  0,
  -0,
  1.5,
  -2.25,
  Math.PI,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  -1e-300,
  Infinity,
  -Infinity,
  NaN,
];
const STRINGS = [
  '',
  'a',
  'plain text',
  'Prénom',
  '数量',
  'emoji 😀 🇫🇷',
  'quote " comma , newline \n tab \t',
  '\u0000',
  'x'.repeat(200),
];
const MICROS = [
  0n,
  1n,
  -1n,
  1_700_000_000_123_456n,
  -62_135_596_800_000_000n,
  253_402_300_799_999_999n,
  -1_000_001n,
];
const DAYS = [0, 1, -1, 19723, -719162, 2932896];

/** One row per index of the longest list, every type, with nulls sprinkled in. */
function awkwardRows(): { schema: TableSchema; rows: Cell[][] } {
  const schema = tableSchema([
    ['i', 'int32'],
    ['l', 'int64'],
    ['d', 'double'],
    ['b', 'boolean'],
    ['day', 'date'],
    ['at', 'timestamp'],
    ['s', 'string'],
    ['all null', 'string'],
  ]);
  const n = Math.max(INT32.length, INT64.length, DOUBLES.length, STRINGS.length, MICROS.length, DAYS.length);
  const pick = <T>(list: readonly T[], r: number): T | null =>
    r % 5 === 4 ? null : (list[r % list.length] ?? null);
  const rows: Cell[][] = [];
  for (let r = 0; r < 2 * n; r++) {
    rows.push([
      pick(INT32, r),
      pick(INT64, r),
      pick(DOUBLES, r),
      r % 3 === 2 ? null : r % 2 === 0,
      pick(DAYS, r),
      pick(MICROS, r),
      pick(STRINGS, r),
      null,
    ]);
  }
  // Every value at least once, whatever the sprinkling of nulls skipped.
  INT64.forEach((v, k) =>
    rows.push([
      INT32[k % INT32.length]!,
      v,
      DOUBLES[k % DOUBLES.length]!,
      true,
      DAYS[k % DAYS.length]!,
      MICROS[k % MICROS.length]!,
      STRINGS[k % STRINGS.length]!,
      null,
    ]),
  );
  return { schema, rows };
}

describe('createAvroWriter', () => {
  it.each(CODECS)('%s: every type and awkward value reads back cell by cell with avsc', async (codec) => {
    const { schema, rows } = awkwardRows();
    const { file, stats } = await writeFile(schema, rows, { codec }, 7);
    const read = await decodeAvro(file);
    expect(read.meta['avro.codec']!.toString()).toBe(codec);
    expect(read.schema).toEqual(avroSchemaFor(schema));
    expect(read.rows).toEqual(expected(schema, rows));
    // toEqual does not tell -0 from 0.
    const zeros = read.rows.filter((r) => r.d === 0).map((r) => Object.is(r.d, -0));
    expect(zeros).toEqual(rows.filter((r) => r[2] === 0).map((r) => Object.is(r[2], -0)));
    expect(stats).toEqual({ rows: rows.length, bytesWritten: file.length, chunks: 1 });
  });

  it('encodes values in the exact bytes the spec gives (union index, zig-zag varints, LE doubles, UTF-8)', async () => {
    const schema = tableSchema([
      ['i', 'int32'],
      ['l', 'int64'],
      ['d', 'double'],
      ['b', 'boolean'],
      ['s', 'string'],
    ]);
    const { file } = await writeFile(
      schema,
      [
        [-65, 2n ** 63n - 1n, 1, true, 'é'],
        [null, -(2n ** 63n), null, false, ''],
      ],
      { codec: 'null' },
    );
    const [block] = parseContainer(file).blocks;
    expect(block!.count).toBe(2);
    expect([...block!.data]).toEqual([
      ...[2, 0x81, 0x01], // branch 1, -65 → 129
      ...[2, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // 2^63-1 → 2^64-2
      ...[2, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f], // 1.0
      ...[2, 1],
      ...[2, 4, 0xc3, 0xa9],
      ...[0],
      ...[2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // -2^63 → 2^64-1
      ...[0],
      ...[2, 0],
      ...[2, 0],
    ]);
  });

  it('writes the container framing: magic, metadata, a 16-byte sync marker repeated after every block', async () => {
    const schema = tableSchema([['n', 'int32']]);
    const rows = Array.from({ length: 3000 }, (_, i) => [i]);
    const { file } = await writeFile(schema, rows, { codec: 'null', blockBytes: 1024 });
    const container = parseContainer(file);
    expect(container.magic).toEqual(Buffer.from([0x4f, 0x62, 0x6a, 0x01]));
    expect([...container.meta.keys()].sort()).toEqual(['avro.codec', 'avro.schema']);
    expect(JSON.parse(container.meta.get('avro.schema')!.toString())).toEqual(avroSchemaFor(schema));
    expect(container.sync).toHaveLength(16);
    expect(container.blocks.length).toBeGreaterThan(1);
    for (const block of container.blocks) expect(block.sync).toEqual(container.sync);
  });

  it.each(CODECS)('%s: blocks of about blockBytes uncompressed, as many as the stats say', async (codec) => {
    const schema = tableSchema([
      ['n', 'int64'],
      ['s', 'string'],
    ]);
    const rows = Array.from({ length: 5000 }, (_, i) => [
      BigInt(i) * 1_000_003n,
      `row ${i} ${'x'.repeat(i % 50)}`,
    ]);
    const blockBytes = 4096;
    const { file, stats } = await writeFile(schema, rows, { codec, blockBytes }, 333);
    const { blocks } = parseContainer(file);
    expect(stats.chunks).toBe(blocks.length);
    expect(blocks.length).toBeGreaterThan(10);
    expect(blocks.reduce((sum, b) => sum + b.count, 0)).toBe(rows.length);
    const uncompressed = blocks.map((b) => {
      if (codec === 'null') return b.data.length;
      if (codec === 'snappy') return (uncompressSync(b.data.subarray(0, -4)) as Buffer).length;
      return inflateRawSync(b.data).length;
    });
    // A block closes at the row that takes it to blockBytes: at least blockBytes, less than one more row.
    for (const size of uncompressed.slice(0, -1)) {
      expect(size).toBeGreaterThanOrEqual(blockBytes);
      expect(size).toBeLessThan(blockBytes + 80);
    }
    expect(uncompressed.at(-1)).toBeLessThan(blockBytes + 80);
    expect((await decodeAvro(file)).rows).toEqual(expected(schema, rows));
  });

  it('snappy: each block is the snappy block followed by the big-endian CRC-32 of the uncompressed data', async () => {
    const schema = tableSchema([['s', 'string']]);
    const rows = Array.from({ length: 2000 }, (_, i) => [`value ${i % 17}`]);
    const { file } = await writeFile(schema, rows, { codec: 'snappy', blockBytes: 2048 });
    const { blocks } = parseContainer(file);
    expect(blocks.length).toBeGreaterThan(2);
    for (const block of blocks) {
      const data = uncompressSync(block.data.subarray(0, -4)) as Buffer;
      expect(block.data.readUInt32BE(block.data.length - 4)).toBe(crc32(data) >>> 0);
    }
  });

  it('snappy: the reader used by these tests rejects a block whose CRC-32 is wrong', async () => {
    const schema = tableSchema([['s', 'string']]);
    const { file } = await writeFile(schema, [['hello'], ['world']], { codec: 'snappy' });
    const { blocks } = parseContainer(file);
    const crcAt = file.indexOf(blocks[0]!.data) + blocks[0]!.data.length - 4;
    const corrupt = Buffer.from(file);
    corrupt[crcAt]! ^= 0xff;
    await expect(decodeAvro(corrupt)).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/CRC-32/) as unknown },
    });
  });

  it.each(CODECS)('%s: 0 rows give a valid file with the header only', async (codec) => {
    const schema = tableSchema([
      ['a', 'int32'],
      ['b', 'string'],
    ]);
    const sink = new MemorySink();
    const writer = createAvroWriter(schema, sink, { codec });
    await writer.write(new ColumnBatch(schema));
    const stats = await writer.close();
    const file = sink.bytes();
    const container = parseContainer(file);
    expect(container.blocks).toEqual([]);
    expect(container.headerLength).toBe(file.length);
    expect(stats).toEqual({ rows: 0, bytesWritten: file.length, chunks: 0 });
    const read = await decodeAvro(file);
    expect(read.rows).toEqual([]);
    expect(read.schema).toEqual(avroSchemaFor(schema));
    // Closing without any write gives the same file.
    expect((await writeFile(schema, [], { codec })).file).toEqual(file);
  });

  it.each(CODECS)('%s: a multi-megabyte string between small values', async (codec) => {
    const schema = tableSchema([
      ['n', 'int32'],
      ['text', 'string'],
    ]);
    const big = 'Grüße, 世界 😀 '.repeat(180_000); // ~3.6 MB of UTF-8
    const rows: Cell[][] = [
      [1, 'before'],
      [2, big],
      [3, 'after'],
      [4, big.slice(0, 1000)],
    ];
    const { file } = await writeFile(schema, rows, { codec }, 2);
    expect((await decodeAvro(file)).rows).toEqual(expected(schema, rows));
  });

  it('writes blocks while writing, not only at close', async () => {
    const schema = tableSchema([['s', 'string']]);
    const sink = new MemorySink();
    const writer = createAvroWriter(schema, sink, { codec: 'snappy', blockBytes: 1000 });
    await writer.write(
      batchOf(
        schema,
        Array.from({ length: 500 }, (_, i) => [`value number ${i}`]),
      ),
    );
    const before = parseContainer(sink.bytes());
    expect(before.blocks.length).toBeGreaterThan(3);
    await writer.close();
    expect(parseContainer(sink.bytes()).blocks.length).toBeGreaterThan(before.blocks.length);
  });

  it('reads back batches written through one reused batch (reset between writes)', async () => {
    const schema = tableSchema([
      ['n', 'int64'],
      ['s', 'string'],
      ['d', 'double'],
    ]);
    const rows: Cell[][] = Array.from({ length: 1000 }, (_, i) => [
      i % 9 === 0 ? null : BigInt(i) - 500n,
      i % 4 === 0 ? null : `s${i}`,
      i % 7 === 0 ? null : i / 8,
    ]);
    const sink = new MemorySink();
    const writer = createAvroWriter(schema, sink, { codec: 'deflate', blockBytes: 512 });
    const batch = new ColumnBatch(schema, 16);
    for (let i = 0; i < rows.length; i += 97) {
      batch.reset();
      await writer.write(fill(batch, rows.slice(i, i + 97)));
    }
    await writer.close();
    expect((await decodeAvro(sink.bytes())).rows).toEqual(expected(schema, rows));
  });

  it('reads back batches rebuilt from handed-over buffers, as the writer thread gets them, spares reused', async () => {
    const { schema, rows } = awkwardRows();
    const half = Math.ceil(rows.length / 2);
    const sink = new MemorySink();
    const writer = createAvroWriter(schema, sink, { codec: 'snappy' });
    const rebuild = (data: VectorData[]) =>
      new ColumnBatch(
        schema,
        0,
        data.map((d, c) => vectorFromData(schema.columns[c]!.type, d)),
      );
    // The first batch's buffers go over whole; the vectors go on in new ones.
    const source = batchOf(schema, rows.slice(0, half));
    const first = source.columns.map((v) => handOver(v, undefined));
    expect(source.length).toBe(0);
    await writer.write(rebuild(first));
    // The second batch is filled into fresh buffers and handed over with the first batch's as spares.
    fill(source, rows.slice(half));
    const second = source.columns.map((v, c) => handOver(v, first[c]));
    expect(source.columns.map((v) => v.valid)).toEqual(first.map((d) => d.valid));
    await writer.write(rebuild(second));
    await writer.close();
    expect((await decodeAvro(sink.bytes())).rows).toEqual(expected(schema, rows));
  });

  it('gives identical files for identical inputs, and a different sync marker for another schema', async () => {
    const { schema, rows } = awkwardRows();
    const first = await writeFile(schema, rows, { codec: 'snappy', blockBytes: 256 });
    const second = await writeFile(schema, rows, { codec: 'snappy', blockBytes: 256 }, 3);
    expect(second.file).toEqual(first.file);
    const renamed = tableSchema(schema.columns.map((c, i) => [i === 0 ? 'other' : c.name, c.type]));
    const third = await writeFile(renamed, rows, { codec: 'snappy', blockBytes: 256 });
    expect(parseContainer(third.file).sync).not.toEqual(parseContainer(first.file).sync);
  });

  it('uses the sync marker given in the options', async () => {
    const syncMarker = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
    const schema = tableSchema([['n', 'int32']]);
    const { file } = await writeFile(
      schema,
      Array.from({ length: 2000 }, (_, i) => [i]),
      {
        codec: 'null',
        blockBytes: 1000,
        syncMarker,
      },
    );
    const container = parseContainer(file);
    expect([...container.sync]).toEqual([...syncMarker]);
    expect(container.blocks.length).toBeGreaterThan(1);
    for (const block of container.blocks) expect([...block.sync]).toEqual([...syncMarker]);
    expect((await decodeAvro(file)).rows).toHaveLength(2000);
  });

  it.each([
    [{ syncMarker: new Uint8Array(15) }, /sync marker/],
    [{ blockBytes: 0 }, /blockBytes/],
    [{ blockBytes: -5 }, /blockBytes/],
    [{ blockBytes: Number.NaN }, /blockBytes/],
    [{ codec: 'zstd' as AvroCodec }, /codec/],
  ])('rejects invalid options %p', (options, message) => {
    const schema = tableSchema([['n', 'int32']]);
    const create = () => createAvroWriter(schema, new MemorySink(), { codec: 'null', ...options });
    expect(create).toThrow(InvalidOptionsError);
    expect(create).toThrow(message);
  });

  it('reads back random schemas, values, nulls, batch and block sizes, every codec (property test)', async () => {
    const types: ColumnType[] = ['boolean', 'int32', 'int64', 'double', 'date', 'timestamp', 'string'];
    const cellOf = (type: ColumnType): fc.Arbitrary<Cell> => {
      const value: fc.Arbitrary<Cell> =
        type === 'boolean'
          ? fc.boolean()
          : type === 'int32' || type === 'date'
            ? fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })
            : type === 'int64' || type === 'timestamp'
              ? fc.oneof(
                  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
                  fc.bigInt({ min: -(2n ** 54n), max: 2n ** 54n }),
                )
              : type === 'double'
                ? fc.double()
                : fc.string({ unit: 'grapheme', maxLength: 40 });
      return fc.option(value, { nil: null, freq: 4 });
    };
    const table = fc
      .array(fc.tuple(fc.string({ maxLength: 6 }), fc.constantFrom(...types)), { minLength: 1, maxLength: 6 })
      .chain((columns) =>
        fc.record({
          columns: fc.constant(columns),
          rows: fc.array(fc.tuple(...columns.map(([, type]) => cellOf(type))), { maxLength: 120 }),
          codec: fc.constantFrom(...CODECS),
          blockBytes: fc.integer({ min: 1, max: 3000 }),
          batchRows: fc.integer({ min: 1, max: 50 }),
        }),
      );
    await fc.assert(
      fc.asyncProperty(table, async ({ columns, rows, codec, blockBytes, batchRows }) => {
        const schema = tableSchema(columns);
        const { file, stats } = await writeFile(schema, rows, { codec, blockBytes }, batchRows);
        const read = await decodeAvro(file);
        expect(read.rows).toEqual(expected(schema, rows));
        expect(stats.rows).toBe(rows.length);
        expect(stats.chunks).toBe(parseContainer(file).blocks.length);
      }),
      { numRuns: 150 },
    );
  });
});
