import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same file, byte for byte. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'JP', 'BR', 'IN', 'CH', 'ES', 'IT'];
const STATUS = ['new', 'paid', 'shipped', 'delivered', 'returned', 'cancelled'];
const AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML like Gecko) Chrome/126.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML like Gecko) Version/17.5 Safari/605.1.15',
  'curl/8.7.1',
];
const WORDS = [
  'alpha',
  'beta',
  'gamma',
  'delta',
  'Zürich',
  'naïve',
  'façade',
  'œuvre',
  'data',
  'lake',
  'stream',
  'parquet',
  'avro',
  'order',
  'refund',
];

/** The benchmark's header: 16 mixed columns. */
export const HEADER =
  'order_id,customer_id,amount,quantity,is_gift,created_at,birth_date,country,status,email,comment,score,ledger_ref,tags,product,user_agent';

/**
 * Writes a deterministic mixed CSV of `rows` rows (≈255 bytes each: 1M rows ≈ 255 MB): ints, nullable ints, doubles,
 * booleans, timestamps with offsets, dates, low-cardinality text, free text with quotes, commas and
 * newlines, nullable doubles, int64 beyond 2^32. Returns the bytes written.
 */
export async function generateCsv(path: string, rows: number, seed = 42): Promise<number> {
  const rnd = random(seed);
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let bytes = 0;
  let chunk: string[] = [HEADER];
  const word = () => WORDS[Math.floor(rnd() * WORDS.length)]!;
  for (let i = 1; i <= rows; i++) {
    const t = 1_700_000_000_000 + Math.floor(rnd() * 31_536_000_000);
    const offset = rnd() < 0.5 ? 'Z' : '+02:00';
    const roll = rnd();
    const comment =
      roll < 0.3
        ? ''
        : roll < 0.45
          ? `"${word()} said ""${word()}"", then ${word()}"`
          : roll < 0.55
            ? `"${word()}, ${word()}\n${word()} ${word()}"`
            : `${word()} ${word()} ${word()} ${word()} ${word()} ${word()} ${word()} ${word()}`;
    chunk.push(
      [
        i,
        rnd() < 0.1 ? '' : Math.floor(rnd() * 5_000_000),
        (rnd() * 10_000).toFixed(2),
        1 + Math.floor(rnd() * 20),
        rnd() < 0.2 ? 'true' : 'false',
        `${new Date(t).toISOString().slice(0, 19)}${offset}`,
        new Date(Date.UTC(1950, 0, 1) + Math.floor(rnd() * 20000) * 86_400_000).toISOString().slice(0, 10),
        COUNTRIES[Math.floor(rnd() * COUNTRIES.length)],
        STATUS[Math.floor(rnd() * STATUS.length)],
        `user${Math.floor(rnd() * 1_000_000)}@example.com`,
        comment,
        rnd() < 0.25 ? '' : rnd().toFixed(6),
        5_000_000_000 + Math.floor(rnd() * 1_000_000_000_000),
        `${word()}|${word()}`,
        `${word()}-${word()}-${Math.floor(rnd() * 100000)}`,
        AGENTS[Math.floor(rnd() * AGENTS.length)],
      ].join(','),
    );
    if (chunk.length >= 10_000 || i === rows) {
      const text = chunk.join('\n') + '\n';
      bytes += Buffer.byteLength(text);
      if (!out.write(text)) await once(out, 'drain');
      chunk = [];
    }
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}
