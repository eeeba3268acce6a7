/*
 * npx tsx test/bench/avro-writer-bench.ts [--rows N] [--runs N] [--codec null,snappy,deflate] [--block-bytes N]
 *
 * Measures the Avro writer alone: a synthetic stream of mixed batches (1,000,000 rows by default, in batches
 * of 16,384 rows as the converter makes them) is prepared in memory first, then encoded into a sink that only
 * counts bytes. Prints MB/s of value bytes encoded (what the batches hold: ColumnBatch.valueBytes) and of
 * Avro bytes produced before compression, per codec, the median of the runs. It asserts nothing: the figures
 * are for people to read.
 */
import { createAvroWriter } from '../../lambdas/core/avro/avro-writer';
import { ColumnBatch } from '../../lambdas/core/model/column-batch';
import type { AvroCodec } from '../../lambdas/core/model/options';
import type { ColumnType, TableSchema } from '../../lambdas/core/model/schema';
import type { ByteSink } from '../../lambdas/core/model/sink';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const rows = Number(flag('--rows') ?? 1_000_000);
const runs = Number(flag('--runs') ?? 3);
const codecs = (flag('--codec') ?? 'null,snappy,deflate').split(',') as AvroCodec[];
const blockBytes = flag('--block-bytes') === undefined ? undefined : Number(flag('--block-bytes'));
const BATCH_ROWS = 16384;

const types: [string, ColumnType][] = [
  ['id', 'int32'],
  ['big', 'int64'],
  ['price', 'double'],
  ['flag', 'boolean'],
  ['day', 'date'],
  ['at', 'timestamp'],
  ['status', 'string'],
  ['comment', 'string'],
  ['maybe', 'int32'],
  ['note', 'string'],
  ['country', 'string'],
  ['agent', 'string'],
];
const schema: TableSchema = {
  columns: types.map(([name, type]) => ({ name, sourceName: name, avroName: name, type })),
};

/** A deterministic pseudo-random generator (xorshift32), so every run encodes the same data. */
let seed = 0x9e3779b9;
function random(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}

const STATUSES = ['active', 'pending', 'closed', 'refunded', 'on hold', 'ünïcödé'];
const COUNTRIES = 'US GB FR DE ES IT NL BE CH AT SE NO DK FI PL PT IE IN BR JP'.split(' ');
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML like Gecko) Chrome/126.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML like Gecko) Mobile/15E148',
  'curl/8.5.0',
];
const WORDS = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor'.split(' ');

function makeBatches(): ColumnBatch[] {
  const batches: ColumnBatch[] = [];
  for (let start = 0; start < rows; start += BATCH_ROWS) {
    const n = Math.min(BATCH_ROWS, rows - start);
    const batch = new ColumnBatch(schema, n);
    const [id, big, price, flagCol, day, at, status, comment, maybe, note, country, agent] = batch.columns;
    for (let r = start; r < start + n; r++) {
      id!.appendInt32(r);
      // A few values beyond 2^53 so the BigInt path is exercised, as real int64 ids can be.
      if (r % 100 === 0) big!.appendInt64BigInt(BigInt(r) * 1_000_000_007n * 1_000_000_007n);
      else big!.appendInt64Number(Math.floor(random() * 2 ** 53) - 2 ** 52);
      price!.appendDouble(Math.round(random() * 1e6) / 100);
      flagCol!.appendBoolean(random() < 0.5);
      day!.appendInt32(18000 + (r % 3000));
      at!.appendInt64Number(1.7e15 + r * 1_000_003);
      status!.appendString(STATUSES[r % STATUSES.length]!);
      let text = '';
      const words = 3 + Math.floor(random() * 12);
      for (let w = 0; w < words; w++) text += (w ? ' ' : '') + WORDS[Math.floor(random() * WORDS.length)]!;
      comment!.appendString(text);
      if (random() < 0.3) maybe!.appendNull();
      else maybe!.appendInt32(Math.floor(random() * 1000));
      if (random() < 0.9) note!.appendNull();
      else note!.appendString(`note ${r}`);
      country!.appendString(COUNTRIES[Math.floor(random() * COUNTRIES.length)]!);
      agent!.appendString(AGENTS[Math.floor(random() * AGENTS.length)]!);
    }
    batches.push(batch);
  }
  return batches;
}

class CountingSink implements ByteSink {
  bytes = 0;
  write(chunk: Uint8Array): void {
    this.bytes += chunk.length;
  }
}

async function encode(batches: ColumnBatch[], codec: AvroCodec) {
  const sink = new CountingSink();
  const writer = createAvroWriter(schema, sink, { codec, blockBytes });
  const started = process.hrtime.bigint();
  for (const batch of batches) await writer.write(batch);
  const stats = await writer.close();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, out: sink.bytes, blocks: stats.chunks };
}

async function main(): Promise<void> {
  const batches = makeBatches();
  const valueBytes = batches.reduce((sum, b) => sum + b.valueBytes, 0);
  // The uncompressed Avro size, to report encoding speed in Avro bytes too.
  const avroBytes = (await encode(batches, 'null')).out;
  console.log(
    `Avro writer: ${rows.toLocaleString('en')} rows, ${types.length} columns, ` +
      `${(valueBytes / 1e6).toFixed(1)} MB of values, ${(avroBytes / 1e6).toFixed(1)} MB of Avro uncompressed; ` +
      `median of ${runs} runs (node ${process.version})`,
  );
  for (const codec of codecs) {
    await encode(batches, codec); // warm-up
    const results = [];
    for (let i = 0; i < runs; i++) results.push(await encode(batches, codec));
    results.sort((a, b) => a.seconds - b.seconds);
    const median = results[Math.floor(results.length / 2)]!;
    console.log(
      `${codec.padEnd(7)} ${(valueBytes / 1e6 / median.seconds).toFixed(0).padStart(5)} MB/s of values  ` +
        `${(avroBytes / 1e6 / median.seconds).toFixed(0).padStart(5)} MB/s of Avro  ` +
        `${(median.seconds * 1000).toFixed(0).padStart(5)} ms  output ${(median.out / 1e6).toFixed(1)} MB  ` +
        `${median.blocks} block(s)`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
