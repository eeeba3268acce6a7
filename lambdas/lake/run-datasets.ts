/*
 * What a run did to its datasets, as the reducer sees it after a map: which schemas evolved, which outputs
 * were written with an older schema of their dataset (stale: they are converted again in the same
 * execution, so that a table never holds two physical types for one column), and which partitions the
 * catalog must know.
 */
import type { OutputFormat } from '../core/model/options';
import { isCsvKey } from '../io/object-key';
import type { ObjectStore } from '../io/object-store';
import { readText } from '../io/object-text';
import type { ConvertItem, ConvertResult, RunContext } from '../shared/payloads';
import { runFileKey } from '../shared/run-keys';
import {
  type ColumnChange,
  type DatasetSchema,
  readDatasetSchema,
  schemaFingerprint,
} from './dataset-schema';
import { DEFAULT_DATASET_PATTERN, type DatasetLayout, locateKey } from './layout';

/** A file converted again in this execution, and why. */
export interface Reconverted {
  readonly key: string;
  readonly reason: string;
}

/** What the report says of one dataset. */
export interface DatasetReport {
  readonly dataset: string;
  /** The stored schema's version now (0: no schema yet, every file of it failed). */
  readonly version: number;
  /** Its version before this execution changed it (equal to `version` when it did not). */
  readonly versionAtStart: number;
  /** What this execution changed, against the schema stored before it (oldest first). */
  readonly evolved: readonly ColumnChange[];
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  /** Files converted again because the dataset's schema changed (all rounds of the execution so far). */
  readonly reconverted: readonly Reconverted[];
  /** How many of `reconverted` this reduction added (they are in the retry map's items). */
  readonly staleNow: number;
}

/** Partition values of one dataset seen in this run (each a list in the pattern's order). */
export type PartitionValues = readonly (readonly string[])[];

interface DatasetState {
  readonly schema: DatasetSchema | undefined;
  readonly print: string | undefined;
  /** Whether this execution changed the stored schema (a history entry names its run id). */
  readonly changed: boolean;
  /** Changed datasets only: key → formats whose output is current. */
  readonly current: Map<string, number>;
  /** Changed datasets only: keys with an output that is not current. */
  readonly behind: Set<string>;
  readonly failed: Set<string>;
  /** Unchanged datasets: keys whose output is not current all the same (written before a change by another run). */
  readonly stale: Map<string, ConvertResult>;
  readonly partitions: Map<string, readonly string[]>;
}

/** The run's layout, for runs recorded before datasets existed too. */
export function layoutOf(run: RunContext): DatasetLayout {
  return run.layout ?? { root: run.inputPrefix, pattern: DEFAULT_DATASET_PATTERN };
}

/** Where the reconverted lists of earlier reductions of the execution are kept. */
function reconvertedKey(run: RunContext): string {
  return runFileKey(run.runId, 'reconverted.json');
}

/**
 * The datasets of a run, fed with every record the reducer reads. Memory: per dataset its schema and
 * partitions; per key only for datasets whose schema this execution changed (their keys must be told
 * current or stale).
 */
export class RunDatasets {
  private readonly states = new Map<string, Promise<DatasetState>>();

  constructor(
    private readonly store: ObjectStore,
    private readonly run: RunContext,
    private readonly formats: readonly OutputFormat[],
  ) {}

  private state(dataset: string): Promise<DatasetState> {
    let state = this.states.get(dataset);
    if (!state) {
      state = readDatasetSchema(this.store, this.run.outputBucket, dataset).then((found) => {
        const schema = found?.schema;
        return {
          schema,
          print: schema ? schemaFingerprint(schema.columns) : undefined,
          changed: schema?.history.some((h) => h.runId === this.run.runId) ?? false,
          current: new Map(),
          behind: new Set(),
          failed: new Set(),
          stale: new Map(),
          partitions: new Map(),
        };
      });
      this.states.set(dataset, state);
    }
    return state;
  }

  /** Takes one per-item record (the latest of its key and format). */
  async addRecord(record: ConvertResult): Promise<void> {
    if (record.dataset === undefined) return;
    const state = await this.state(record.dataset);
    if (record.status === 'failed') {
      state.failed.add(record.key);
      return;
    }
    const isCurrent = state.print !== undefined && record.schemaFingerprint === state.print;
    if (state.changed) {
      if (isCurrent) state.current.set(record.key, (state.current.get(record.key) ?? 0) + 1);
      else state.behind.add(record.key);
    } else if (!isCurrent) state.stale.set(record.key, record);
    try {
      const values = locateKey(record.key, layoutOf(this.run)).partitions.map((p) => p.value);
      if (values.length > 0) state.partitions.set(values.join('\u0000'), values);
    } catch {
      // A key the layout cannot place has no record with a dataset: nothing to register.
    }
  }

  /**
   * The datasets' reports, and the stale outputs to convert again (as retry map items asking for the
   * file's current version). A dataset this execution changed is listed under the configured prefix
   * (whatever prefix the execution narrowed to: the table is the whole dataset), and each of its keys whose
   * outputs are not all current and did not fail is stale.
   * @param ignored keys this execution's maps passed over as not CSV: never stale (a key of the dataset's
   *   listing that the deployment's suffixes do not convert has no output, and would be passed over again,
   *   round after round of the retry map)
   */
  async finish(ignored: (key: string) => boolean = () => false): Promise<{
    readonly datasets: readonly DatasetReport[];
    readonly staleItems: readonly ConvertItem[];
    readonly partitions: ReadonlyMap<string, PartitionValues>;
    /** The stored schema of each dataset, as read for this reduction. */
    readonly schemas: ReadonlyMap<string, DatasetSchema>;
  }> {
    const earlier = await this.readReconverted();
    const staleItems: ConvertItem[] = [];
    const datasets: DatasetReport[] = [];
    const partitions = new Map<string, PartitionValues>();
    const schemas = new Map<string, DatasetSchema>();
    for (const [dataset, pending] of [...this.states].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const state = await pending;
      const mine = state.schema?.history.filter((h) => h.runId === this.run.runId) ?? [];
      const version = state.schema?.version ?? 0;
      const versionAtStart = mine.length > 0 ? Math.min(...mine.map((h) => h.version)) - 1 : version;
      const evolved = mine.flatMap((h) => h.changes);
      const reason = describe(versionAtStart, version, evolved);
      const added: Reconverted[] = [];
      const behind = (key: string) =>
        !state.failed.has(key) && !ignored(key) && (state.current.get(key) ?? 0) < this.formats.length;
      if (state.changed && versionAtStart === 0) {
        // Created by this execution: it has no outputs but this run's, whose records tell which are behind.
        for (const key of state.behind) {
          if (!behind(key)) continue;
          const info = await this.store.head(this.run.inputBucket, key);
          if (!info) continue;
          staleItems.push(this.item(key, info.etag, info.size));
          added.push({ key, reason });
        }
      } else if (state.changed) {
        for await (const item of this.datasetKeys(dataset)) {
          if (!behind(item.key)) continue;
          staleItems.push(item);
          added.push({ key: item.key, reason });
        }
      } else {
        for (const [key] of state.stale) {
          if (state.failed.has(key)) continue;
          const info = await this.store.head(this.run.inputBucket, key);
          if (!info) continue;
          staleItems.push({ ...this.item(key, info.etag, info.size) });
          added.push({ key, reason: `written with an older schema of ${dataset} (now version ${version})` });
        }
      }
      const reconverted = [...(earlier[dataset] ?? []), ...added];
      earlier[dataset] = reconverted;
      partitions.set(dataset, [...state.partitions.values()]);
      if (state.schema) schemas.set(dataset, state.schema);
      datasets.push({
        dataset,
        version,
        versionAtStart,
        evolved,
        columns: state.schema?.columns ?? [],
        reconverted,
        staleNow: added.length,
      });
    }
    if (staleItems.length > 0)
      await this.store.put(this.run.outputBucket, reconvertedKey(this.run), JSON.stringify(earlier), {
        contentType: 'application/json',
      });
    return { datasets, staleItems, partitions, schemas };
  }

  private item(key: string, etag: string, size: number): ConvertItem {
    return { bucket: this.run.inputBucket, key, etag, size, run: this.run, current: true };
  }

  /** Every CSV key of a dataset under the configured prefix. */
  private async *datasetKeys(dataset: string): AsyncGenerator<ConvertItem> {
    const layout = layoutOf(this.run);
    // With the default pattern (and any that starts with the dataset's folder), one listing of the keys that
    // start with the dataset's name finds its folder and the top-level files named after it (`orders.csv`),
    // and only the few other datasets whose names start the same; any other pattern lists the root.
    const root = layout.root === '' || layout.root.endsWith('/') ? layout.root : `${layout.root}/`;
    const prefix = layout.pattern.startsWith('{dataset}/') ? `${root}${dataset}` : layout.root;
    let token: string | undefined;
    do {
      const page = await this.store.list(this.run.inputBucket, prefix, token ? { token } : {});
      for (const object of page.objects) {
        if (!isCsvKey(object.key, layout.suffixes)) continue;
        let located: string | undefined;
        try {
          located = locateKey(object.key, layout).dataset;
        } catch {
          continue;
        }
        if (located === dataset) yield this.item(object.key, object.etag, object.size);
      }
      token = page.nextToken;
    } while (token);
  }

  private async readReconverted(): Promise<Record<string, Reconverted[]>> {
    const key = reconvertedKey(this.run);
    if (!(await this.store.head(this.run.outputBucket, key))) return {};
    return JSON.parse(await readText(this.store, this.run.outputBucket, key)) as Record<
      string,
      Reconverted[]
    >;
  }
}

/** Why a dataset's outputs were converted again: `schema v1 → v3: amount int64 → double, note added`. */
function describe(from: number, to: number, changes: readonly ColumnChange[]): string {
  const what = changes.map((c) =>
    c.from ? `${c.column} ${c.from} → ${c.to}` : `${c.column} added (${c.to})`,
  );
  return `schema v${from} → v${to}: ${what.join(', ') || 'changed'}`;
}
