/*
 * The Avro-only path (AvroRowWriter: rows encoded straight from the CSV bytes) against the two-format path
 * (column vectors, then the Avro writer), which the golden corpus checks cell by cell with avsc: on random
 * CSV of every type and awkward value, the two files must be the same bytes, and avsc must read them.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { convert } from '../../../../lambdas/core/convert';
import type {
  AvroCodec,
  ConversionSummary,
  ConvertOptions,
  ReplayableSource,
} from '../../../../lambdas/core/model/options';
import { MemorySink } from '../../../../lambdas/core/model/sink';
import { readAvro } from '../../../support/readers';

function source(bytes: Buffer, chunk: number): ReplayableSource {
  return {
    name: 'test.csv',
    async *open() {
      for (let at = 0; at < bytes.length; at += chunk) yield bytes.subarray(at, at + chunk);
    },
  };
}

interface Outcome {
  summary: ConversionSummary;
  avro: Buffer;
  rejects: Buffer | undefined;
}

async function run(src: ReplayableSource, options: ConvertOptions, alone: boolean): Promise<Outcome> {
  const avro = new MemorySink();
  let rejects: MemorySink | undefined;
  const summary = await convert(
    src,
    {
      avro,
      ...(alone ? {} : { parquet: new MemorySink() }),
      rejects: () => (rejects = new MemorySink()),
    },
    { ...options, formats: alone ? ['avro'] : ['parquet', 'avro'] },
  );
  return { summary, avro: avro.bytes(), rejects: rejects?.bytes() };
}

async function bothWays(bytes: Buffer, options: ConvertOptions, chunk = 1 << 16) {
  const alone = await run(source(bytes, chunk), options, true);
  const both = await run(source(bytes, chunk), options, false);
  return { alone, both };
}

async function avscRows(avro: Buffer): Promise<Record<string, unknown>[]> {
  const dir = await mkdtemp(join(tmpdir(), 'avro-rows-'));
  try {
    await writeFile(join(dir, 'out.avro'), avro);
    return (await readAvro(join(dir, 'out.avro'))).rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const quoted = (s: string) => `"${s.replaceAll('"', '""')}"`;

/** Values of every kind the inference knows, and the awkward ones around them. */
const cell = fc.oneof(
  fc.integer({ min: -2147483648, max: 2147483647 }).map(String),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => String(x)),
  fc.constantFrom('true', 'FALSE', 'True'),
  fc
    .date({ min: new Date('0001-01-01'), max: new Date('9999-12-31'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10)),
  fc
    .tuple(
      fc.date({ min: new Date('0001-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }),
      fc.constantFrom('Z', '+05:30', '-0800', '+01', '', '.123456Z', '.5'),
      fc.constantFrom('T', ' '),
    )
    .map(([d, zone, sep]) => d.toISOString().slice(0, 19).replace('T', sep) + zone),
  fc.constantFrom('', '""', 'NA', '00501', '+5', 'NaN'),
  fc.string({ unit: 'grapheme', maxLength: 12 }).map(quoted),
  fc.string({ maxLength: 8 }).filter((s) => !/[",\r\n]/.test(s)),
);

/** A column draws its values from one generator most of the time, so that typed columns come out. */
const table = fc
  .integer({ min: 1, max: 6 })
  .chain((columns) =>
    fc.tuple(
      fc.array(fc.array(cell, { minLength: columns, maxLength: columns }), { minLength: 0, maxLength: 40 }),
      fc.array(fc.nat(9), { minLength: columns, maxLength: columns }),
    ),
  );

test('on random CSV of every type, Avro alone is the two-format Avro byte for byte, and avsc reads it', async () => {
  await fc.assert(
    fc.asyncProperty(
      table,
      fc.constantFrom<AvroCodec>('null', 'deflate', 'snappy'),
      fc.integer({ min: 16, max: 4096 }),
      fc.integer({ min: 1, max: 300 }),
      fc.boolean(),
      async ([rows, pick], codec, blockBytes, chunk, ragged) => {
        const header = pick.map((_, c) => `c${c}`).join(',');
        // Most columns keep the kind of their first value: pick[c] < 7 copies row 0's value shape.
        const lines = rows.map((row, r) =>
          row.map((v, c) => (pick[c]! < 7 && r > 0 ? (rows[0]![c] ?? v) : v)).join(','),
        );
        if (ragged && lines.length > 0) lines.push('1,2,3,4,5,6,7'); // a reject
        const bytes = Buffer.from(`${header}\n${lines.join('\r\n')}\n`);
        const options: ConvertOptions = { avroCodec: codec, avroBlockBytes: blockBytes, nullTokens: ['NA'] };
        const { alone, both } = await bothWays(bytes, options, chunk);
        expect(alone.summary.columns).toEqual(both.summary.columns);
        expect(alone.summary.rows).toBe(both.summary.rows);
        expect(alone.avro.equals(both.avro)).toBe(true);
        expect(alone.rejects?.toString()).toEqual(both.rejects?.toString());
        expect(await avscRows(alone.avro)).toHaveLength(alone.summary.rows);
      },
    ),
    { numRuns: 150 },
  );
});

test('a value that breaks the first MiB’s type guess: Avro alone reads the file again and still matches', async () => {
  // Past the 1 MiB sample: integers, an empty column, then a double and a late text value.
  const pad = 'x'.repeat(40);
  const lines = Array.from({ length: 30000 }, (_, i) => `${i},,${pad}`);
  lines.push(`2.5,"late ""text""",${pad}`);
  const bytes = Buffer.from(`n,late,pad\n${lines.join('\n')}\n`);
  const { alone, both } = await bothWays(bytes, { avroCodec: 'snappy' });
  expect(alone.summary.passes).toBe(2);
  expect(alone.summary.columns).toEqual([
    { name: 'n', type: 'double' },
    { name: 'late', type: 'string' },
    { name: 'pad', type: 'string' },
  ]);
  expect(alone.avro.equals(both.avro)).toBe(true);
  const rows = await avscRows(alone.avro);
  expect(rows).toHaveLength(30001);
  expect(rows[30000]).toEqual({ n: 2.5, late: 'late "text"', pad });
  expect(rows[7]).toEqual({ n: 7, late: null, pad });
});

test('a first-pass guess that holds converts Avro alone in one read', async () => {
  const lines = Array.from({ length: 40000 }, (_, i) => `${i},${i % 2 === 0},2024-01-0${(i % 9) + 1}`);
  const bytes = Buffer.from(`id,even,day\n${lines.join('\n')}\n`);
  const { alone, both } = await bothWays(bytes, { avroCodec: 'deflate' });
  expect(alone.summary.passes).toBe(1);
  expect(alone.avro.equals(both.avro)).toBe(true);
  const rows = await avscRows(alone.avro);
  expect(rows[39999]).toEqual({ id: 39999n, even: false, day: 19723 + ((39999 % 9) + 1) - 1 });
});
