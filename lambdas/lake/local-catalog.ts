/*
 * The catalog of a local run: the very `TableInput` JSON a run on AWS sends to Glue, written under
 * `_catalog/<database>/` of the output, so that it can be checked and diffed.
 */
import type { ObjectStore } from '../io/object-store';
import { readText } from '../io/object-text';
import type { CatalogWriter, PartitionInput, TableInput } from './catalog';
import { CATALOG_PREFIX } from './layout';

/** JSON with every object's keys sorted (arrays keep their order): the same definition, the same bytes. */
export function stableJson(value: unknown): string {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sorted)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
          )
        : v;
  return `${JSON.stringify(sorted(value), null, 2)}\n`;
}

/** The key of a table's definition: `_catalog/<database>/<table>.json`. */
export function catalogTableKey(database: string, table: string): string {
  return `${CATALOG_PREFIX}${database}/${table}.json`;
}

/** The key of a table's partitions: `_catalog/<database>/<table>.partitions.json`. */
export function catalogPartitionsKey(database: string, table: string): string {
  return `${CATALOG_PREFIX}${database}/${table}.partitions.json`;
}

/**
 * Writes table definitions and partitions as JSON to the output bucket: `<table>.json` (the `TableInput`)
 * and `<table>.partitions.json` (every partition registered so far, sorted by values).
 */
export class LocalCatalogWriter implements CatalogWriter {
  constructor(
    private readonly store: ObjectStore,
    private readonly bucket: string,
  ) {}

  /**
   * Writes the definition (replacing the one there: it is what Glue would hold after CreateTable or
   * UpdateTable), unless the same one is there already (a read, as Glue's GetTable, instead of a write).
   */
  async putTable(database: string, table: TableInput): Promise<void> {
    const key = catalogTableKey(database, table.Name);
    const text = stableJson(table);
    if ((await this.store.head(this.bucket, key)) && (await readText(this.store, this.bucket, key)) === text)
      return;
    await this.store.put(this.bucket, key, text, { contentType: 'application/json' });
  }

  /** Merges the partitions into those written before; one that exists keeps its location, as in Glue. */
  async addPartitions(database: string, table: string, partitions: readonly PartitionInput[]): Promise<void> {
    const key = catalogPartitionsKey(database, table);
    const known = new Map<string, PartitionInput>();
    if (await this.store.head(this.bucket, key)) {
      const stored = JSON.parse(await readText(this.store, this.bucket, key)) as PartitionInput[];
      for (const p of stored) known.set(JSON.stringify(p.values), p);
    }
    const before = known.size;
    for (const p of partitions) {
      const id = JSON.stringify(p.values);
      if (!known.has(id)) known.set(id, { values: [...p.values], location: p.location });
    }
    if (known.size === before) return;
    const all = [...known.values()].sort((a, b) => compareValues(a.values, b.values));
    await this.store.put(this.bucket, key, stableJson(all), { contentType: 'application/json' });
  }
}

function compareValues(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}
