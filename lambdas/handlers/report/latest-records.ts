/*
 * The latest per-item record of each key and format (the one every attempt overwrites): its status and when
 * it was written, a byte and a double per key and format.
 */
import type { RecordView } from './map-results';

/** What a file became in the run. */
export type FileStatus = 'converted' | 'skipped' | 'failed';

/** A format's latest record of a key: none, or its status. */
export const NO_RECORD = 0;
export const RECORD_CODE: Readonly<Record<FileStatus, number>> = { converted: 1, skipped: 2, failed: 3 };

/** Per format index and key id (the account's), grown as ids come. */
export class LatestRecords implements RecordView {
  private capacity = 0;
  private readonly codes: Uint8Array[];
  private readonly times: Float64Array[];

  constructor(private readonly formatCount: number) {
    this.codes = Array.from({ length: formatCount }, () => new Uint8Array(0));
    this.times = Array.from({ length: formatCount }, () => new Float64Array(0));
  }

  private ensure(id: number): void {
    if (id < this.capacity) return;
    let n = Math.max(1024, this.capacity);
    while (n <= id) n *= 2;
    for (let f = 0; f < this.formatCount; f++) {
      const codes = new Uint8Array(n);
      codes.set(this.codes[f]!);
      this.codes[f] = codes;
      const times = new Float64Array(n);
      times.set(this.times[f]!);
      this.times[f] = times;
    }
    this.capacity = n;
  }

  /** The latest record of format index `f` for key `id`: its status, written at `at` (ms; 0: not known). */
  set(f: number, id: number, status: FileStatus, at: number): void {
    this.ensure(id);
    this.codes[f]![id] = RECORD_CODE[status];
    this.times[f]![id] = at;
  }

  /** The record's code: NO_RECORD, or the RECORD_CODE of its status. */
  code(f: number, id: number): number {
    return id < this.capacity ? this.codes[f]![id]! : NO_RECORD;
  }

  /** Whether the latest record converted the key (the format holds an output written in the run). */
  converted(f: number, id: number): boolean {
    return this.code(f, id) === RECORD_CODE.converted;
  }

  good(f: number, id: number): boolean {
    const code = this.code(f, id);
    return code !== NO_RECORD && code !== RECORD_CODE.failed;
  }

  at(f: number, id: number): number {
    return id < this.capacity ? this.times[f]![id]! : 0;
  }

  /** The records of the keys 0 … `keys` - 1, every format, by status: what the converters' invocations did. */
  outcomes(keys: number): Record<FileStatus, number> {
    const out: Record<FileStatus, number> = { converted: 0, skipped: 0, failed: 0 };
    for (let f = 0; f < this.formatCount; f++)
      for (let id = 0; id < keys; id++) {
        const code = this.code(f, id);
        if (code === RECORD_CODE.converted) out.converted++;
        else if (code === RECORD_CODE.skipped) out.skipped++;
        else if (code === RECORD_CODE.failed) out.failed++;
      }
    return out;
  }
}
