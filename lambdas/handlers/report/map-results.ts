/*
 * What the Distributed Maps said about each key, merged over the maps of a run (a later map overrides an
 * earlier one): a key whose child succeeded (or that the suffix filter passed over) is known; a key whose
 * child did not succeed keeps that child's verdict and input (for the retry map), until a later map or a
 * later record proves it good. Objects only for the keys whose child failed: they are few.
 */
import type { ConvertItem, RunContext } from '../../shared/payloads';
import { itemsOf, type MapResultEntry } from './result-files';

/** A child that did not succeed (FAILED, or PENDING when its Map Run stopped), for its keys. */
export interface FailedVerdict {
  readonly status: string;
  readonly error?: string;
  readonly cause?: string;
  readonly stoppedAt?: number;
  readonly input: ConvertItem;
}

/** A format's latest record of a key, as the account keeps it, for {@link ChildVerdicts.superseded}. */
export interface RecordView {
  /** Whether format index `f` has a latest record of key `id` that is good (converted or skipped). */
  good(f: number, id: number): boolean;
  /** When that record was written, ms since the epoch (0: not known). */
  at(f: number, id: number): number;
}

/** The verdicts of the maps, by key id (the account's). */
export class ChildVerdicts {
  private readonly failed = new Map<number, FailedVerdict>();
  /** The source ETag of each format's record, kept only for keys whose child failed (SameVersion). */
  private readonly etags = new Map<number, (string | undefined)[]>();
  private readonly runs = new Map<string, RunContext>();

  constructor(private readonly intern: (text: string) => string) {}

  /**
   * One child of a Distributed Map (an entry of a result file of `kind` SUCCEEDED, FAILED or PENDING): `idOf`
   * gives (or makes) the id of each key it carries.
   */
  addChild(kind: string, entry: MapResultEntry, idOf: (key: string) => number): void {
    // Only the suffix filter's Pass answers an object; the converters' Parallel answers an array.
    const ignored =
      kind === 'SUCCEEDED' && entry.Output !== undefined && !entry.Output.trimStart().startsWith('[')
        ? Boolean((JSON.parse(entry.Output) as { ignored?: boolean } | null)?.ignored)
        : false;
    const status = ignored ? 'IGNORED' : (entry.Status ?? kind);
    const stoppedAt =
      entry.StopDate === undefined ? NaN : new Date(entry.StopDate as string | number).getTime();
    for (const input of itemsOf(entry.Input)) {
      if (!input.key) continue;
      const id = idOf(input.key);
      if (status === 'SUCCEEDED' || status === 'IGNORED') {
        this.failed.delete(id);
        continue;
      }
      this.failed.set(id, {
        status,
        ...(entry.Error !== undefined ? { error: entry.Error } : {}),
        ...(entry.Cause !== undefined ? { cause: entry.Cause } : {}),
        ...(Number.isNaN(stoppedAt) ? {} : { stoppedAt }),
        input: this.compactInput(input as ConvertItem),
      });
    }
  }

  /** The verdict of a key whose last map's child did not succeed, or undefined. */
  failedVerdict(id: number): FailedVerdict | undefined {
    return this.failed.get(id);
  }

  /** A record of format index `f` (read after the maps): its source ETag is kept when the key's child failed. */
  noteRecord(id: number, f: number, sourceEtag: string | undefined): void {
    if (!this.failed.has(id)) return;
    const etags = this.etags.get(id) ?? this.etags.set(id, []).get(id)!;
    etags[f] = sourceEtag;
  }

  /**
   * The child failed. A later attempt (a redrive) made it good only if EVERY format of the run has a good
   * record, one of them written after the child stopped (a redrive re-runs only the failed branch of the
   * Parallel). One good format proves nothing: the child fails when one branch does, and a function killed
   * before it wrote anything (out of memory, an invocation error) leaves no record of its format. Nor do
   * good records of two versions of the file: that is why such a child failed (SameVersion).
   */
  superseded(id: number, verdict: FailedVerdict, formats: readonly number[], records: RecordView): boolean {
    if (formats.length === 0) return false;
    const etags = this.etags.get(id);
    const versions = new Set<string>();
    let later = verdict.stoppedAt === undefined;
    for (const f of formats) {
      if (f < 0 || !records.good(f, id)) return false;
      const etag = etags?.[f];
      if (etag !== undefined) versions.add(etag);
      if (!later && records.at(f, id) > verdict.stoppedAt!) later = true;
    }
    return versions.size <= 1 && later;
  }

  /** An item as the retry map needs it, its run shared with every other item of the run. */
  compactInput(input: ConvertItem): ConvertItem {
    if (!input.run) return input;
    const text = JSON.stringify(input.run);
    let run = this.runs.get(text);
    if (!run) this.runs.set(text, (run = input.run));
    return { ...input, bucket: this.intern(input.bucket), run };
  }
}
