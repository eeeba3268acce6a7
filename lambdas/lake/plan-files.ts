/*
 * What the planner leaves for the rest of the run, under `_runs/<run>/plan/`:
 * - `items.json`: the keys to convert, a JSON array the `ConvertFiles` Distributed Map reads (S3 JSON
 *   ItemReader), each item as `listObjectsV2` would have given it (`Key`, `Etag`, `Size`); an uncompressed
 *   key larger than the converters' `rangeBytes` is there as `count` range items, the same fields plus
 *   `Range: {index, count, start, end}` (issue 16);
 * - `joins.json`: one join item per split key (`Key`, `Etag`, `Size`, `count`), the `JoinFiles` map's items;
 * - `passed.jsonl`: every other listed key in S3's key order, one JSON line each: an unchanged key with its
 *   inventory entry (reported skipped, its entry carried into the next inventory), or a key that is not CSV
 *   (`{"k": …, "i": 1}`, reported ignored);
 * - `plan.json`: the counts, where the two lists are, and the converters' fingerprint the plan compared with.
 * The reducer finds them by the run id alone, so the execution-status rule's reducer does too.
 */
import type { ObjectStore } from '../io/object-store';
import { readText } from '../io/object-text';
import type { RunContext } from '../shared/payloads';
import { runFileKey } from '../shared/run-keys';
import type { InventoryEntry } from './inventory';
import { isMissing, objectLines } from './inventory-io';

/** The keys of a run's plan files. */
export function planKeys(runId: string): { items: string; passed: string; summary: string; joins: string } {
  const base = runFileKey(runId, 'plan/');
  return {
    items: `${base}items.json`,
    passed: `${base}passed.jsonl`,
    summary: `${base}plan.json`,
    joins: `${base}joins.json`,
  };
}

/** An item of `items.json`: the fields `listObjectsV2` gives that the map's ItemSelector reads. */
export interface PlannedItem {
  readonly Key: string;
  readonly Etag: string;
  readonly Size: number;
  /** A range item's byte range (see ItemRange); null on a whole key. */
  readonly Range?: null | {
    readonly index: number;
    readonly count: number;
    readonly start: number;
    readonly end: number;
  };
}

/** An item of `joins.json`: a split key and its number of range items. */
export interface PlannedJoin {
  readonly Key: string;
  readonly Etag: string;
  readonly Size: number;
  readonly count: number;
}

/** A line of `passed.jsonl`: an unchanged key (its inventory entry) or a key that is not CSV. */
export type PassedLine = InventoryEntry | { readonly k: string; readonly i: 1 };

/** Whether a passed line is a key that is not CSV. */
export function isIgnoredLine(line: PassedLine): line is { readonly k: string; readonly i: 1 } {
  return (line as { i?: number }).i === 1;
}

/** S3 requests made, by price class. */
export interface RequestCounts {
  /** GET, HEAD. */
  reads: number;
  /** PUT, LIST, multipart calls. */
  writes: number;
}

/** `plan.json`: what the plan decided and from what. */
export interface PlanSummary {
  readonly runId: string;
  /** The prefix listed (the execution's). */
  readonly inputPrefix: string;
  /** Keys listed, and how they were decided: planned + unchanged + ignored = listed. */
  readonly listed: number;
  readonly planned: number;
  readonly unchanged: number;
  readonly ignored: number;
  /** Planned keys that were split into range items (also counted in `planned`, once each). */
  readonly split: number;
  /** Range items written (a split key's items; `items.json` holds planned - split + ranges items). */
  readonly ranges: number;
  /** The range size the plan split with (the converters' `rangeBytes`). */
  readonly rangeBytes: number;
  readonly itemsKey: string;
  readonly joinsKey: string;
  readonly passedKey: string;
  /** The converters' fingerprint id the unchanged keys were compared with (see plan-fingerprint.ts). */
  readonly fingerprint: string;
  /** The inventory read: where, how many entries, and why none was used (absent, another scope). */
  readonly inventory: {
    readonly key: string;
    readonly read: number;
    readonly unusable?: string;
    /** Where the inventory stopped being readable (the keys after it were planned). */
    readonly damaged?: string;
  };
  /** Why keys were planned: new (no entry), changed source, converter version, options, schema, other. */
  readonly reasons: Readonly<Record<string, number>>;
  readonly durationMs: number;
  /** The planner's memory, MB (for the cost estimate's GB-seconds). */
  readonly memoryMb: number;
  /** The planner's S3 requests, its plan files included. */
  readonly requests: RequestCounts;
  readonly at: string;
}

/** A run's plan summary, or undefined when the run has no plan (a definition without a `Plan` state). */
export async function readPlanSummary(store: ObjectStore, run: RunContext): Promise<PlanSummary | undefined> {
  try {
    return JSON.parse(await readText(store, run.outputBucket, planKeys(run.runId).summary)) as PlanSummary;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/** The lines of a plan's `passed.jsonl`, one at a time as it streams. */
export async function* passedLines(
  store: ObjectStore,
  bucket: string,
  key: string,
): AsyncGenerator<PassedLine> {
  for await (const line of objectLines(store, bucket, key)) yield JSON.parse(line) as PassedLine;
}

/** An ObjectStore that counts the requests made through it (see {@link RequestCounts}). */
export function countingStore(store: ObjectStore, counts: RequestCounts): ObjectStore {
  return {
    head: (b, k) => (counts.reads++, store.head(b, k)),
    get: (b, k, o) => (counts.reads++, store.get(b, k, o)),
    list: (b, p, o) => (counts.writes++, store.list(b, p, o)),
    put: (b, k, body, o) => (counts.writes++, store.put(b, k, body, o)),
    createWriter: (b, k, o) => {
      const writer = store.createWriter(b, k, o);
      return {
        write: (chunk) => writer.write(chunk),
        ...(writer.reset ? { reset: () => writer.reset!() } : {}),
        get bytesWritten() {
          return writer.bytesWritten;
        },
        complete: () => {
          // A small object is one PUT; a multipart upload is at least three calls (8 MiB parts).
          const parts = Math.ceil(writer.bytesWritten / (8 << 20));
          counts.writes += parts > 1 ? 2 + parts : 1;
          return writer.complete();
        },
        abort: () => writer.abort(),
      };
    },
    delete: (b, k) => store.delete(b, k),
    ...(store.localFile ? { localFile: (b: string, k: string) => store.localFile!(b, k) } : {}),
  };
}
