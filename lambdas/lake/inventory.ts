/*
 * The inventory: what csv2lake last converted from each input key, kept in the output bucket
 * (`_state/inventory/<input bucket>/<configured prefix>inventory.jsonl`) so that a run plans only the keys
 * that are new or changed (lambdas/lake/plan.ts). One JSON line per key, in S3's key order, after a header
 * line naming what the entries are valid for: a streaming merge-join with a listing of any length, in
 * bounded memory. Written by the reducer at the end of each reduction (lambdas/lake/inventory-update.ts).
 */
import type { OutputFormat } from '../core/model/options';
import type { ObjectStore } from '../io/object-store';
import type { RunContext } from '../shared/payloads';
import { objectLines } from './inventory-io';
import { layoutOf } from './run-datasets';

/** The folder of the inventories in the output bucket. */
export const INVENTORY_PREFIX = '_state/inventory/';

/** The layout of the entries: another one is not read (every key is then planned). */
export const INVENTORY_FORMAT = 1;

/**
 * One key's entry: what its outputs were converted from and with, as the converters' skip-unchanged
 * compares it (lambdas/handlers/convert-item.ts): the same four values make a converter skip the key after a
 * HEAD, so the plan can leave it out. Short names: a million lines are read every night.
 */
export interface InventoryEntry {
  /** The input key. */
  readonly k: string;
  /** The source ETag every output of the key holds (quotes included, as listed). */
  readonly e: string;
  /** The converter version (CONVERTER_VERSION) that wrote them. */
  readonly v: string;
  /** The options hash they were written with (the converter's, with the dataset's pinned schema). */
  readonly o: string;
  /** The schema fingerprint every output of the key holds. */
  readonly s: string;
}

/**
 * What the entries are valid for: output keys, and so whether an output exists at all, depend on the
 * configured prefix, the pattern, the suffixes and each format's prefix (lambdas/lake/layout.ts). A run
 * whose scope differs reads no entry: it plans every key, whose converters then skip or convert.
 */
export interface InventoryScope {
  readonly inputBucket: string;
  readonly root: string;
  readonly pattern: string;
  readonly suffixes: readonly string[] | null;
  readonly outputPrefixes: Readonly<Partial<Record<OutputFormat, string>>>;
}

/** The header line of an inventory. */
export interface InventoryHeader {
  readonly csv2lake: 'inventory';
  readonly format: number;
  readonly scope: InventoryScope;
  /** The run whose reduction wrote it, and when. */
  readonly runId: string;
  readonly at: string;
}

/** The scope of a run's entries (see {@link InventoryScope}). */
export function inventoryScope(run: RunContext): InventoryScope {
  const layout = layoutOf(run);
  const prefixes: Partial<Record<OutputFormat, string>> = {};
  for (const format of Object.keys(run.outputPrefixes).sort() as OutputFormat[])
    prefixes[format] = run.outputPrefixes[format];
  return {
    inputBucket: run.inputBucket,
    root: layout.root,
    pattern: layout.pattern,
    suffixes: layout.suffixes ? [...layout.suffixes] : null,
    outputPrefixes: prefixes,
  };
}

/** The inventory's key for a run: per input bucket and configured prefix. */
export function inventoryKey(run: RunContext): string {
  const root = layoutOf(run).root;
  return `${INVENTORY_PREFIX}${run.inputBucket}/${root}${root === '' || root.endsWith('/') ? '' : '/'}inventory.jsonl`;
}

function sameScope(a: InventoryScope, b: InventoryScope): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The entries of the run's inventory, one at a time as it streams, or none when there is no inventory, its
 * format is another or it was written for another scope (then `onHeader` says why). A line that is not an
 * entry (a torn or edited file) ends the entries there, as if the rest were absent: their keys are planned,
 * and the next reduction writes the inventory whole again. Memory: a line.
 */
export async function* readInventory(
  store: ObjectStore,
  run: RunContext,
  onHeader?: (header: InventoryHeader | undefined, usable: boolean) => void,
  onDamage?: (message: string) => void,
): AsyncGenerator<InventoryEntry> {
  const key = inventoryKey(run);
  let header: InventoryHeader | undefined;
  for await (const line of objectLines(store, run.outputBucket, key)) {
    const parsed = parse(line);
    if (header === undefined) {
      header = (parsed ?? {}) as InventoryHeader;
      const usable =
        header.csv2lake === 'inventory' &&
        header.format === INVENTORY_FORMAT &&
        sameScope(header.scope, inventoryScope(run));
      onHeader?.(header, usable);
      if (!usable) return;
      continue;
    }
    const entry = parsed as Partial<InventoryEntry> | undefined;
    if (!entry || ![entry.k, entry.e, entry.v, entry.o, entry.s].every((f) => typeof f === 'string')) {
      onDamage?.(`${key}: a line is not an entry (${line.slice(0, 80)}): the keys after it are planned`);
      return;
    }
    yield entry as InventoryEntry;
  }
  if (header === undefined) onHeader?.(undefined, false);
}

function parse(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}

/** The line of an entry, in the order of its fields (so that a carried line is written as it was read). */
export function entryLine(entry: InventoryEntry): string {
  return JSON.stringify({ k: entry.k, e: entry.e, v: entry.v, o: entry.o, s: entry.s });
}
