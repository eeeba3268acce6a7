/*
 * The reducer's side of the inventory: after each reduction of a run with a plan, the inventory is written
 * again, merged as streams in S3's key order from
 * - the keys this run proved (every format's latest record good, of one source ETag and one schema
 *   fingerprint), with the converters' version and options as the reducer computes them now, but only when
 *   those are still what the plan compared with (a deployment or a schema file changed during the run would
 *   otherwise be recorded as what outputs written before it hold);
 * - the keys the plan found unchanged and that did not run, their entries as the plan read them;
 * - the entries of the inventory as it is now for keys outside the prefix this execution listed (a run
 *   started on a narrower prefix keeps the rest).
 * A key listed by the plan that none of these names (failed, deleted, in doubt) has no entry: the next run
 * plans it. The object is replaced only once complete, so a failed write leaves the previous inventory.
 */
import type { ObjectStore } from '../io/object-store';
import type { RunContext } from '../shared/payloads';
import type { InventoryEntry, InventoryHeader } from './inventory';
import { entryLine, INVENTORY_FORMAT, inventoryKey, inventoryScope, readInventory } from './inventory';
import { mergeByKey, writeText } from './inventory-io';
import { locateKey } from './layout';
import type { ConverterFingerprint } from './plan-fingerprint';
import { layoutOf } from './run-datasets';

/** Where a run's inventory entries come from (the reducer's report gives them). */
export interface InventorySources {
  /** The plan's unchanged keys that did not run: their entries as the plan read them. */
  passed(): AsyncIterable<InventoryEntry>;
  /** The keys this run proved converted or unchanged, with this version and options. */
  proven(version: string, optionsOf: (key: string) => string | undefined): Iterable<InventoryEntry>;
}

/** What an update wrote. */
export interface InventoryUpdate {
  readonly key: string;
  readonly entries: number;
  /** Whether the run's own conversions were recorded (false: the converters' fingerprint changed). */
  readonly proven: boolean;
}

/**
 * Writes the run's inventory (see the module's comment).
 * @param fingerprint the converters' fingerprint now, or undefined when it is not the plan's: then only
 *   the entries the plan carried and those outside the execution's prefix are kept
 */
export async function updateInventory(
  store: ObjectStore,
  run: RunContext,
  sources: InventorySources,
  fingerprint: ConverterFingerprint | undefined,
  now: Date,
): Promise<InventoryUpdate> {
  const layout = layoutOf(run);
  const optionsOf = (key: string) => {
    try {
      return fingerprint?.optionsHash(locateKey(key, layout).dataset);
    } catch {
      return undefined;
    }
  };
  const outside = async function* () {
    for await (const entry of readInventory(store, run))
      if (!entry.k.startsWith(run.inputPrefix)) yield entry;
  };
  const header: InventoryHeader = {
    csv2lake: 'inventory',
    format: INVENTORY_FORMAT,
    scope: inventoryScope(run),
    runId: run.runId,
    at: now.toISOString(),
  };
  let entries = 0;
  const lines = async function* () {
    yield `${JSON.stringify(header)}\n`;
    const proven = fingerprint ? sources.proven(fingerprint.version, optionsOf) : [];
    for await (const entry of mergeByKey((e: InventoryEntry) => e.k, proven, sources.passed(), outside())) {
      entries++;
      yield `${entryLine(entry)}\n`;
    }
  };
  const key = inventoryKey(run);
  await writeText(store, run.outputBucket, key, lines(), 'application/x-ndjson');
  return { key, entries, proven: fingerprint !== undefined };
}
