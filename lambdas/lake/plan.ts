/*
 * The plan of a run: which listed keys the Distributed Map must convert. A key is left out only when the
 * converters would skip it after a HEAD (lambdas/handlers/convert-item.ts): its inventory entry records the
 * listed ETag, this converter version, this options hash (with the dataset's pinned schema) and the
 * fingerprint of the dataset's current schema. Anything else, or any doubt, plans the key, whose child then
 * converts or skips it as before. A streaming merge-join of the listing with the inventory, both in S3's key
 * order: memory is a listing page, an inventory line, a cache of dataset schemas and two write buffers,
 * whatever the number of keys.
 */
import { CSV_SUFFIXES, isCompressedKey, isCsvKey } from '../io/object-key';
import { planRanges } from '../ranges/range-plan';
import type { ObjectInfo, ObjectPage, ObjectStore } from '../io/object-store';
import type { ConverterConfig } from '../shared/config';
import type { RunContext } from '../shared/payloads';
import { readDatasetSchema, schemaFingerprint } from './dataset-schema';
import { type InventoryEntry, type InventoryHeader, inventoryKey, readInventory } from './inventory';
import { compareKeys, KeyCursor, TextSink } from './inventory-io';
import { locateKey } from './layout';
import { converterFingerprint } from './plan-fingerprint';
import {
  countingStore,
  type PassedLine,
  type PlannedItem,
  planKeys,
  type PlanSummary,
  type RequestCounts,
} from './plan-files';
import { layoutOf } from './run-datasets';

/** What the planner needs. */
export interface PlannerDeps {
  readonly store: ObjectStore;
  /** The converters' configuration (their environment), for their options hash. */
  readonly config: ConverterConfig;
  /** The converters' version (CONVERTER_VERSION). */
  readonly converterVersion: string;
  /** The planner's memory, MB, recorded for the cost estimate. @default 1024 */
  readonly memoryMb?: number;
  readonly now?: () => Date;
}

/** Why a key is planned (`plan.json`'s `reasons`). */
export type PlanReason =
  'new' | 'source' | 'version' | 'options' | 'schema' | 'schemaFile' | 'unplaced' | 'unreadable' | 'order';

/** Dataset schemas read at once, and kept (keys come in order: a dataset's keys are together). */
const SCHEMA_READS = 16;
const KEPT_SCHEMAS = 4096;

/** A listed key's outcome, in listing order. */
type Decision =
  | { readonly planned: PlannedItem; readonly reason: PlanReason }
  | { readonly passed: PassedLine }
  | { readonly compare: InventoryEntry; readonly dataset: string; readonly object: ObjectInfo };

/**
 * Plans a run: lists `run.inputPrefix`, decides every key, and writes `_runs/<run>/plan/` (see
 * lambdas/lake/plan-files.ts). Returns what `plan.json` says.
 */
export async function planRun(deps: PlannerDeps, run: RunContext): Promise<PlanSummary> {
  const started = Date.now();
  const requests: RequestCounts = { reads: 0, writes: 0 };
  const store = countingStore(deps.store, requests);
  const layout = layoutOf(run);
  const suffixes = layout.suffixes ?? CSV_SUFFIXES;
  const fingerprint = await converterFingerprint(store, deps.config, deps.converterVersion);
  const keys = planKeys(run.runId);
  let header: { value: InventoryHeader | undefined; usable: boolean } | undefined;
  let read = 0;
  let damage: string | undefined;
  const inventory = new KeyCursor<InventoryEntry>(() =>
    (async function* () {
      for await (const entry of readInventory(
        store,
        run,
        (value, usable) => (header = { value, usable }),
        (message) => (damage = message),
      )) {
        read++;
        yield entry;
      }
    })(),
  );
  const prints = new Map<string, Promise<string | undefined>>();
  const printOf = (dataset: string): Promise<string | undefined> => {
    let print = prints.get(dataset);
    if (!print) {
      // A schema that cannot be read (or parsed) is a doubt: the key is planned, its converter says why.
      print = readDatasetSchema(store, run.outputBucket, dataset).then(
        (found) => (found ? schemaFingerprint(found.schema.columns) : undefined),
        () => undefined,
      );
      if (prints.size >= KEPT_SCHEMAS) prints.clear();
      prints.set(dataset, print);
    }
    return print;
  };

  const items = new TextSink(store, run.outputBucket, keys.items);
  const joins = new TextSink(store, run.outputBucket, keys.joins);
  const passed = new TextSink(store, run.outputBucket, keys.passed, 'application/x-ndjson');
  const counts = { listed: 0, planned: 0, unchanged: 0, ignored: 0, split: 0, ranges: 0 };
  const reasons: Partial<Record<PlanReason, number>> = {};
  let previous: string | undefined;
  let firstItem = true;
  let firstJoin = true;
  const writeItem = async (item: PlannedItem) => {
    await items.write(`${firstItem ? '[' : ','}\n${JSON.stringify(item)}`);
    firstItem = false;
  };
  const plan = async (object: ObjectInfo, reason: PlanReason) => {
    // `Range: null` on a whole key: the map's ItemSelector reads the field of every item.
    const item: PlannedItem = { Key: object.key, Etag: object.etag, Size: object.size, Range: null };
    // A compressed stream cannot be entered at an offset: a `.gz`/`.zst` key stays one item (its magic
    // bytes, for a compressed key without the suffix, are checked by the range converter, which fails it).
    const ranges = planRanges(object.size, {
      rangeBytes: deps.config.rangeBytes,
      compressed: isCompressedKey(object.key),
    });
    if (ranges.length < 2) await writeItem(item);
    else {
      for (const r of ranges)
        await writeItem({
          ...item,
          Range: { index: r.index, count: ranges.length, start: r.start, end: r.end },
        });
      const join = { Key: item.Key, Etag: item.Etag, Size: item.Size, count: ranges.length };
      await joins.write(`${firstJoin ? '[' : ','}\n${JSON.stringify(join)}`);
      firstJoin = false;
      counts.split++;
      counts.ranges += ranges.length;
    }
    counts.planned++;
    reasons[reason] = (reasons[reason] ?? 0) + 1;
  };

  const decide = async (object: ObjectInfo): Promise<Decision> => {
    const planned = (reason: PlanReason): Decision => ({
      planned: { Key: object.key, Etag: object.etag, Size: object.size },
      reason,
    });
    // Out of S3's order (a store that lists otherwise): it cannot be merged, nor written to the passed list
    // (which the reducer merges in that order). Its child decides.
    if (previous !== undefined && compareKeys(object.key, previous) <= 0) return planned('order');
    previous = object.key;
    // A folder the local store could not read: its child fails and says so (never "not CSV").
    if ((object as { unreadable?: string }).unreadable !== undefined) return planned('unreadable');
    if (!isCsvKey(object.key, suffixes)) return { passed: { k: object.key, i: 1 } };
    const entry = await inventory.seek(object.key);
    if (!entry) return planned('new');
    if (entry.e !== object.etag) return planned('source');
    if (entry.v !== fingerprint.version) return planned('version');
    let dataset: string;
    try {
      dataset = locateKey(object.key, layout).dataset;
    } catch {
      return planned('unplaced');
    }
    const options = fingerprint.optionsHash(dataset);
    if (options === undefined) return planned('schemaFile');
    if (entry.o !== options) return planned('options');
    return { compare: entry, dataset, object };
  };

  try {
    let page: Promise<ObjectPage> = store.list(run.inputBucket, run.inputPrefix, {});
    for (;;) {
      const current = await page;
      if (current.nextToken) {
        page = store.list(run.inputBucket, run.inputPrefix, { token: current.nextToken });
        // Awaited on the next turn; until then a failure must not count as unhandled.
        page.catch(() => undefined);
      }
      const decisions: Decision[] = [];
      for (const object of current.objects) decisions.push(await decide(object));
      // The page's datasets whose schema is not known yet, read together.
      const wanted = [...new Set(decisions.flatMap((d) => ('compare' in d ? [d.dataset] : [])))];
      for (let at = 0; at < wanted.length; at += SCHEMA_READS)
        await Promise.all(wanted.slice(at, at + SCHEMA_READS).map(printOf));
      for (const d of decisions) {
        counts.listed++;
        if ('planned' in d)
          await plan({ key: d.planned.Key, etag: d.planned.Etag, size: d.planned.Size }, d.reason);
        else if ('passed' in d) {
          counts.ignored++;
          await passed.write(`${JSON.stringify(d.passed)}\n`);
        } else if (d.compare.s !== (await printOf(d.dataset))) await plan(d.object, 'schema');
        else {
          counts.unchanged++;
          await passed.write(`${JSON.stringify(d.compare)}\n`);
        }
      }
      if (!current.nextToken) break;
    }
    await inventory.close();
    await items.write(firstItem ? '[]\n' : '\n]\n');
    await joins.write(firstJoin ? '[]\n' : '\n]\n');
    await items.complete();
    await joins.complete();
    await passed.complete();
  } catch (error) {
    await Promise.allSettled([items.abort(), joins.abort(), passed.abort(), inventory.close()]);
    throw error;
  }

  const found = header as { value: InventoryHeader | undefined; usable: boolean } | undefined;
  const summary: PlanSummary = {
    runId: run.runId,
    inputPrefix: run.inputPrefix,
    ...counts,
    rangeBytes: deps.config.rangeBytes,
    itemsKey: keys.items,
    joinsKey: keys.joins,
    passedKey: keys.passed,
    fingerprint: fingerprint.id,
    inventory: {
      key: inventoryKey(run),
      read,
      ...(damage ? { damaged: damage } : {}),
      ...(found?.usable
        ? {}
        : {
            unusable: !found?.value
              ? 'none yet: every key is planned, and the reduction writes it'
              : 'written for another layout, formats or converter scope: every key is planned',
          }),
    },
    reasons,
    durationMs: Date.now() - started,
    memoryMb: deps.memoryMb ?? 1024,
    // The summary's own PUT included.
    requests: { reads: requests.reads, writes: requests.writes + 1 },
    at: (deps.now ?? (() => new Date()))().toISOString(),
  };
  await deps.store.put(run.outputBucket, keys.summary, JSON.stringify(summary), {
    contentType: 'application/json',
  });
  return summary;
}
