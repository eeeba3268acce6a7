/*
 * The output key of each key's latest good record, per format, kept compactly (a hash, a length and an
 * interned rest instead of a string per key and format), to find the outputs that two input keys wrote.
 */
import type { OutputFormat } from '../../core/model/options';

/** Two input keys that wrote the same output object: the later one replaced the other's output. */
export interface OutputCollision {
  readonly outputKey: string;
  readonly inputKeys: string[];
}

/** A 53-bit hash of a string (cyrb53): output keys are compared by hash first, then exactly. */
function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** Per format index and key id (the account's), grown as ids come. */
export class OutputKeys {
  private capacity = 0;
  /** Per format: the output key's hash (NaN: none), its length in common with `<prefix><key>`, the rest. */
  private readonly hashes: Float64Array[];
  private readonly common: Int32Array[];
  private readonly rest: (string | undefined)[][];

  constructor(
    /** The formats, by index. */
    private readonly formats: readonly OutputFormat[],
    private readonly prefixes: Readonly<Partial<Record<OutputFormat, string>>>,
    /** The input key of an id. */
    private readonly keyOf: (id: number) => string,
    private readonly intern: (text: string) => string,
  ) {
    this.hashes = formats.map(() => new Float64Array(0));
    this.common = formats.map(() => new Int32Array(0));
    this.rest = formats.map(() => []);
  }

  private ensure(id: number): void {
    if (id < this.capacity) return;
    let n = Math.max(1024, this.capacity);
    while (n <= id) n *= 2;
    for (let f = 0; f < this.formats.length; f++) {
      const hashes = new Float64Array(n).fill(NaN);
      hashes.set(this.hashes[f]!);
      this.hashes[f] = hashes;
      const common = new Int32Array(n);
      common.set(this.common[f]!);
      this.common[f] = common;
    }
    this.capacity = n;
  }

  /**
   * An output key is `<format prefix><key's stem><extension>`: kept as the length it shares with
   * `<format prefix><key>` and the (interned) rest, a few bytes instead of a string per key and format.
   */
  set(f: number, id: number, outputKey: string): void {
    this.ensure(id);
    const like = (this.prefixes[this.formats[f]!] ?? '') + this.keyOf(id);
    let common = 0;
    const max = Math.min(like.length, outputKey.length);
    while (common < max && like.charCodeAt(common) === outputKey.charCodeAt(common)) common++;
    this.hashes[f]![id] = hash53(outputKey);
    this.common[f]![id] = common;
    this.rest[f]![id] = this.intern(outputKey.slice(common));
  }

  private outputKeyOf(f: number, id: number): string {
    const like = (this.prefixes[this.formats[f]!] ?? '') + this.keyOf(id);
    return like.slice(0, this.common[f]![id]) + (this.rest[f]![id] ?? '');
  }

  /**
   * Output objects written from two or more input keys (the latest good record of each key and format),
   * found by hash and confirmed by the keys themselves.
   */
  collisions(): OutputCollision[] {
    // Slots past the last key set hold NaN, as do keys with no output of the format.
    const n = this.capacity;
    const hashes: number[] = [];
    for (let f = 0; f < this.formats.length; f++)
      for (let id = 0; id < n; id++) {
        const h = this.hashes[f]![id]!;
        if (!Number.isNaN(h)) hashes.push(h);
      }
    const sorted = Float64Array.from(hashes).sort();
    const repeated = new Set<number>();
    for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) repeated.add(sorted[i]!);
    if (repeated.size === 0) return [];
    const groups = new Map<string, Set<string>>();
    for (let f = 0; f < this.formats.length; f++)
      for (let id = 0; id < n; id++) {
        if (!repeated.has(this.hashes[f]![id]!)) continue;
        const outputKey = this.outputKeyOf(f, id);
        (groups.get(outputKey) ?? groups.set(outputKey, new Set()).get(outputKey)!).add(this.keyOf(id));
      }
    return [...groups]
      .filter(([, keys]) => keys.size > 1)
      .map(([outputKey, keys]) => ({ outputKey, inputKeys: [...keys].sort() }))
      .sort((x, y) => (x.outputKey < y.outputKey ? -1 : 1));
  }
}
