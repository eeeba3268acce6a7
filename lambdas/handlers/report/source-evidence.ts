/*
 * What a run's records say each key's outputs hold, for the inventory (lambdas/lake/inventory-update.ts):
 * the source ETag and schema fingerprint its formats' good records agree on, and which formats have one.
 * Compact, as the rest of the account: a million keys cost ~25 MB (an S3 ETag as 16 bytes, fingerprints
 * interned), not a string per key.
 */
import type { InventoryEntry } from '../../lake/inventory';

/** ETag kinds: none yet; `"<hex>"`; `"<hex>-<parts>"` (multipart); another form (kept as a string); disagreeing. */
const NONE = 0;
const SINGLE = 1;
const MULTIPART = 2;
const OTHER = 3;
const MIXED = 4;

/** Fingerprint slots: none yet, or the formats disagree; else an index into the interned list. */
const NO_PRINT = -1;
const MIXED_PRINT = -2;

/** Per key id (the account's), grown as ids come. */
export class SourceEvidence {
  private capacity = 0;
  private etagBytes = new Uint8Array(0);
  private etagKind = new Uint8Array(0);
  private etagParts = new Int32Array(0);
  private readonly otherEtags = new Map<number, string>();
  private readonly prints: string[] = [];
  private readonly printIds = new Map<string, number>();
  private printOf = new Int32Array(0);
  /** A bit per format index with a good record that carries an ETag and a fingerprint. */
  private formatBits = new Uint8Array(0);

  private ensure(id: number): void {
    if (id < this.capacity) return;
    let n = Math.max(1024, this.capacity);
    while (n <= id) n *= 2;
    const grow = <T extends Uint8Array | Int32Array>(a: T, size: number, fill = 0): T => {
      const next = new (a.constructor as new (n: number) => T)(size);
      if (fill !== 0) next.fill(fill);
      next.set(a);
      return next;
    };
    this.etagBytes = grow(this.etagBytes, n * 16);
    this.etagKind = grow(this.etagKind, n);
    this.etagParts = grow(this.etagParts, n);
    this.printOf = grow(this.printOf, n, NO_PRINT);
    this.formatBits = grow(this.formatBits, n);
    this.capacity = n;
  }

  /** A good record of format index `f`: its ETag and fingerprint are the key's, unless another format's differ. */
  add(id: number, f: number, etag: string, print: string): void {
    this.ensure(id);
    this.formatBits[id] = this.formatBits[id]! | (1 << f);
    const kind = this.etagKind[id]!;
    if (kind === NONE) this.setEtag(id, etag);
    else if (kind !== MIXED && this.etag(id) !== etag) this.etagKind[id] = MIXED;
    let p = this.printIds.get(print);
    if (p === undefined) {
      p = this.prints.length;
      this.prints.push(print);
      this.printIds.set(print, p);
    }
    const was = this.printOf[id]!;
    if (was === NO_PRINT) this.printOf[id] = p;
    else if (was !== p) this.printOf[id] = MIXED_PRINT;
  }

  private setEtag(id: number, etag: string): void {
    const m = /^"([0-9a-f]{32})(?:-([1-9][0-9]{0,8}))?"$/.exec(etag);
    if (!m) {
      this.etagKind[id] = OTHER;
      this.otherEtags.set(id, etag);
      return;
    }
    this.etagBytes.set(Buffer.from(m[1]!, 'hex'), id * 16);
    this.etagKind[id] = m[2] === undefined ? SINGLE : MULTIPART;
    this.etagParts[id] = m[2] === undefined ? 0 : Number(m[2]);
  }

  /** The formats (a bit per format index) with a good record of the key. */
  formats(id: number): number {
    return id < this.capacity ? this.formatBits[id]! : 0;
  }

  /** The ETag its records agree on, or undefined (none, or they disagree). */
  etag(id: number): string | undefined {
    if (id >= this.capacity) return undefined;
    const kind = this.etagKind[id]!;
    if (kind === OTHER) return this.otherEtags.get(id);
    if (kind !== SINGLE && kind !== MULTIPART) return undefined;
    const hex = Buffer.from(this.etagBytes.buffer, this.etagBytes.byteOffset + id * 16, 16).toString('hex');
    return kind === SINGLE ? `"${hex}"` : `"${hex}-${this.etagParts[id]}"`;
  }

  /** The schema fingerprint its records agree on, or undefined. */
  print(id: number): string | undefined {
    if (id >= this.capacity) return undefined;
    const p = this.printOf[id]!;
    return p >= 0 ? this.prints[p] : undefined;
  }

  /**
   * The inventory entries of the keys `files` (ids and keys, in key order) whose every format of `mask` (a bit
   * per format index) has a good latest record, all of one source ETag and one schema fingerprint.
   * `optionsOf` gives the options hash of a key's outputs (undefined: not known, no entry).
   */
  *entries(
    files: Iterable<readonly [number, string]>,
    mask: number,
    version: string,
    optionsOf: (key: string) => string | undefined,
  ): Generator<InventoryEntry> {
    for (const [id, k] of files) {
      if ((this.formats(id) & mask) !== mask) continue;
      const e = this.etag(id);
      const p = this.print(id);
      if (e === undefined || p === undefined) continue;
      const o = optionsOf(k);
      if (o === undefined) continue;
      yield { k, e, v: version, o, s: p };
    }
  }
}
