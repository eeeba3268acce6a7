/*
 * What goes round the retry maps (issue 16's reconcile loop): `RetryFailed` converts items — whole keys,
 * and the range items of split keys (those a join handed back, and every range of a split key whose output
 * is stale) — then `RetryJoin` joins the split keys, from `retry-joins.json`. A join item never goes to
 * `RetryFailed`, which tolerates no failure: a join that hands ranges back ends its child there, and only
 * the join maps' children catch that (lib/workflow/child-states.ts).
 */
import { isCompressedKey } from '../../io/object-key';
import { planRanges } from '../../ranges/range-plan';
import { type ConvertItem, isJoinItem, type JoinItem } from '../../shared/payloads';
import { reportList, type ReportList } from './report-types';

/** The retry maps' lists, from a reduction's failed and stale items. */
export interface RetryLists {
  /** `RetryFailed`'s items (failed-items.json, with the stale ones): every failed item but the joins. */
  readonly failedItems: ReportList<ConvertItem>;
  /** Stale outputs to convert again: a split key as its range items. */
  readonly staleItems: readonly ConvertItem[];
  /** Stale keys (each once, whether whole or in ranges). */
  readonly staleKeys: number;
  /** `RetryJoin`'s items (retry-joins.json): the failed joins, and a stale split key's. */
  readonly joins: readonly JoinItem[];
  /** Range items among `RetryFailed`'s: while there are any, the loop goes on (`AnyStale`). */
  readonly ranges: number;
}

/**
 * Sorts the reduction's failed items (the account's: a handed-back split key gives its range items and its
 * join item) and stale items into the retry maps' lists. A stale key larger than `rangeBytes` (and not
 * compressed) is converted again as the planner would plan it now: its range items, round 1, and its join,
 * never as one whole-key item (which a file of many ranges could not finish in one function).
 */
export function retryLists(
  failed: ReportList<ConvertItem>,
  stale: readonly ConvertItem[],
  rangeBytes: number,
): RetryLists {
  const joins: JoinItem[] = [];
  let ranges = 0;
  for (const item of failed as Iterable<ConvertItem | JoinItem>) {
    if (isJoinItem(item)) joins.push(item);
    else if (item.range) ranges++;
  }
  const failedJoins = joins.length;
  const staleItems: ConvertItem[] = [];
  for (const item of stale) {
    const cut = planRanges(item.size, {
      rangeBytes,
      compressed: isCompressedKey(item.key),
    });
    if (cut.length < 2) {
      staleItems.push(item);
      continue;
    }
    for (const r of cut) {
      staleItems.push({ ...item, current: true, range: { ...r, count: cut.length } });
      ranges++;
    }
    joins.push({
      bucket: item.bucket,
      key: item.key,
      etag: item.etag,
      size: item.size,
      count: cut.length,
      run: item.run,
      current: true,
    });
  }
  const failedItems = reportList(failed.length - failedJoins, () => withoutJoins(failed));
  return { failedItems, staleItems, staleKeys: stale.length, joins, ranges };
}

function* withoutJoins(items: Iterable<ConvertItem>): Generator<ConvertItem> {
  for (const item of items as Iterable<ConvertItem | JoinItem>) if (!isJoinItem(item)) yield item;
}
