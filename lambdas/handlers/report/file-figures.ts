/*
 * The figures of each converted key (rows, rejected rows, bytes in, bytes out per format, converter time),
 * one typed-array slot per key, and their sums.
 */
import type { OutputFormat } from '../../core/model/options';

/** What a file's figures say, as report.json's `files` give them. */
export interface Figures {
  rows: number;
  rejectedRows: number;
  bytesIn: number;
  bytesOut: Partial<Record<OutputFormat, number>>;
  durationMs: number;
}

/** Per key id (the account's), grown as ids come. */
export class FileFigures {
  private capacity = 0;
  private rows = new Float64Array(0);
  private rejected = new Float64Array(0);
  private bytesIn = new Float64Array(0);
  private duration = new Float64Array(0);
  private readonly bytesOut: Float64Array[];

  constructor(
    /** The formats, by index. */
    private readonly formats: readonly OutputFormat[],
  ) {
    this.bytesOut = formats.map(() => new Float64Array(0));
  }

  private ensure(id: number): void {
    if (id < this.capacity) return;
    let n = Math.max(1024, this.capacity);
    while (n <= id) n *= 2;
    const grow = (a: Float64Array) => {
      const next = new Float64Array(n);
      next.set(a);
      return next;
    };
    this.rows = grow(this.rows);
    this.rejected = grow(this.rejected);
    this.bytesIn = grow(this.bytesIn);
    this.duration = grow(this.duration);
    for (let f = 0; f < this.formats.length; f++) this.bytesOut[f] = grow(this.bytesOut[f]!);
    this.capacity = n;
  }

  /** A converted record of format index `f`: the key's figures (its time: the longest format's). */
  converted(
    id: number,
    f: number,
    r: { rows?: number; rejectedRows?: number; bytesIn?: number; bytesOut?: number; durationMs: number },
  ): void {
    this.ensure(id);
    this.rows[id] = r.rows ?? 0;
    this.rejected[id] = r.rejectedRows ?? 0;
    this.bytesIn[id] = r.bytesIn ?? 0;
    this.bytesOut[f]![id] = r.bytesOut ?? 0;
    this.duration[id] = Math.max(this.duration[id]!, r.durationMs);
  }

  /** A file of an earlier report, its figures as it gave them. */
  carry(id: number, file: Figures): void {
    this.ensure(id);
    this.rows[id] = file.rows;
    this.rejected[id] = file.rejectedRows;
    this.bytesIn[id] = file.bytesIn;
    this.duration[id] = file.durationMs;
    for (const [format, bytes] of Object.entries(file.bytesOut) as [OutputFormat, number][]) {
      const f = this.formats.indexOf(format);
      if (f >= 0) this.bytesOut[f]![id] = bytes;
    }
  }

  /** Rejected rows of a key. */
  rejectedRows(id: number): number {
    return id < this.capacity ? this.rejected[id]! : 0;
  }

  /** A key's figures; bytes out of the formats `hasOutput` says hold one. */
  of(id: number, hasOutput: (f: number) => boolean): Figures {
    if (id >= this.capacity) return { rows: 0, rejectedRows: 0, bytesIn: 0, bytesOut: {}, durationMs: 0 };
    const bytesOut: Partial<Record<OutputFormat, number>> = {};
    for (let f = 0; f < this.formats.length; f++)
      if (hasOutput(f)) bytesOut[this.formats[f]!] = this.bytesOut[f]![id]!;
    return {
      rows: this.rows[id]!,
      rejectedRows: this.rejected[id]!,
      bytesIn: this.bytesIn[id]!,
      bytesOut,
      durationMs: this.duration[id]!,
    };
  }

  /** The sums over the keys `ids`; bytes out of the formats `hasOutput` says hold one. */
  totals(ids: Iterable<number>, hasOutput: (f: number, id: number) => boolean): Figures {
    const sum: Figures = { rows: 0, rejectedRows: 0, bytesIn: 0, durationMs: 0, bytesOut: {} };
    for (const id of ids) {
      if (id >= this.capacity) continue;
      sum.rows += this.rows[id]!;
      sum.rejectedRows += this.rejected[id]!;
      sum.bytesIn += this.bytesIn[id]!;
      sum.durationMs += this.duration[id]!;
      for (let f = 0; f < this.formats.length; f++)
        if (hasOutput(f, id)) {
          const format = this.formats[f]!;
          sum.bytesOut[format] = (sum.bytesOut[format] ?? 0) + this.bytesOut[f]![id]!;
        }
    }
    return sum;
  }
}
