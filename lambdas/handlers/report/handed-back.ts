/*
 * The split keys whose joins handed ranges back (issue 16's reconcile loop), as the account keeps them: by
 * key id and format, from each format's latest record (error `RangesToConvertError`, its `rangesToConvert`).
 * Objects only for those keys: they are few.
 */
import type { OutputFormat } from '../../core/model/options';
import type {
  ConvertItem,
  ConvertResult,
  ItemRange,
  JoinItem,
  RangesToConvert,
  RunContext,
} from '../../shared/payloads';

/** The handed-back ranges of each key and format. */
export class HandedBack {
  private readonly keys = new Map<number, Map<OutputFormat, RangesToConvert>>();

  /** A format's latest record of key `id`: a join that handed back is still to do; any other record is not. */
  note(id: number, r: ConvertResult): void {
    const held = this.keys.get(id);
    if (r.status === 'failed' && r.rangesToConvert) {
      if (held) held.set(r.format, r.rangesToConvert);
      else this.keys.set(id, new Map([[r.format, r.rangesToConvert]]));
    } else held?.delete(r.format);
  }

  /** Whether key `id` has ranges handed back. */
  has(id: number): boolean {
    return (this.keys.get(id)?.size ?? 0) > 0;
  }

  /** The ranges of key `id`, each once over both formats: the later round, an exact start over a guessed one. */
  private ranges(id: number): ItemRange[] {
    const ranges = new Map<number, ItemRange>();
    for (const pending of this.keys.get(id)?.values() ?? [])
      for (const r of pending.ranges) {
        const held = ranges.get(r.index);
        const later = (r.round ?? 1) - (held?.round ?? 1);
        if (!held || later > 0 || (later === 0 && r.exactStart && !held.exactStart)) ranges.set(r.index, r);
      }
    return [...ranges.values()].sort((a, b) => a.index - b.index);
  }

  /** How many items {@link items} gives for key `id`: its ranges and its join. */
  count(id: number): number {
    return this.has(id) ? this.ranges(id).length + 1 : 0;
  }

  /**
   * The retry maps' items of key `id` (`key`): its range items, then its join item, at the version listed
   * (which its parts hold: `current`, so that a key replaced since fails saying so).
   */
  *items(id: number, key: string, run: RunContext): Generator<ConvertItem | JoinItem> {
    const any = this.keys.get(id)?.values().next().value;
    if (!any) return;
    const { bucket, etag, size, count } = any;
    const base = { bucket, key, etag, size, run, current: true };
    for (const range of this.ranges(id)) yield { ...base, range };
    yield { ...base, count };
  }
}
