/*
 * The run report's shape (report.json's fields, and what report.md and the catalog read besides), its
 * per-key lists lazy: a list may hold an element per key (a million), iterated when it is written.
 */
import type { OutputFormat } from '../../core/model/options';
import type { ConvertItem } from '../../shared/payloads';
import type { DatasetSchema } from '../../lake/dataset-schema';
import type { InventorySources } from '../../lake/inventory-update';
import type { DatasetReport, PartitionValues } from '../../lake/run-datasets';
import type { ItemAccount, ItemError, OutputCollision } from './accounting';
import type { DatasetColumnTypes } from './file-schemas';
import type { RunOrigin } from './origin';
import type { PlanReport } from './planned';

/**
 * A list of the report that may hold an element per key (a million): iterated, each time anew, when it is
 * written, never held as an array.
 */
export interface ReportList<T> extends Iterable<T> {
  readonly length: number;
}

/** A {@link ReportList} of `length` elements that `elements` gives, each time it is called. */
export function reportList<T>(length: number, elements: () => Iterator<T>): ReportList<T> {
  return { length, [Symbol.iterator]: elements };
}

/**
 * A {@link ReportList} whose elements may come asynchronously (merged with the plan's passed keys, which are
 * streamed from S3): iterated each time anew when report.json is written.
 */
export interface AsyncReportList<T> extends AsyncIterable<T> {
  readonly length: number;
}

/** An {@link AsyncReportList} of `length` elements that `elements` gives, each time it is called. */
export function asyncReportList<T>(
  length: number,
  elements: () => AsyncIterable<T> | Iterable<T>,
): AsyncReportList<T> {
  return {
    length,
    async *[Symbol.asyncIterator]() {
      yield* elements();
    },
  };
}

/** Unit prices of the cost estimate, USD. */
export interface Prices {
  stateTransition: number;
  lambdaGbSecond: number;
  lambdaRequest: number;
  s3Write: number;
  s3Read: number;
}

/** The run report (report.json), its per-key lists lazy. */
export interface RunReport {
  runId: string;
  status: 'SUCCEEDED' | 'FAILED';
  generatedAt: string;
  input: { bucket: string; prefix: string };
  /**
   * The input as its user names it, and how to redrive the run where it ran (a local run's reducer is told;
   * on AWS: the input bucket and prefix, and the execution). @default the run on AWS
   */
  origin?: RunOrigin;
  /** `total` is the sum of the others: every key is a file (converted, skipped, failed) or not CSV. */
  items: { total: number; converted: number; skipped: number; failed: number; ignored: number };
  /** What the plan decided (absent for a run without one): the keys it passed over are in `items` too. */
  plan?: PlanReport;
  rows: number;
  rejectedRows: number;
  bytesIn: number;
  bytesOut: Partial<Record<OutputFormat, number>>;
  durationMs: number;
  drift: { folder: string; differences: string[] }[];
  /** Per dataset, the column types of its files converted in the run (report.md; not in report.json). */
  columnTypes: readonly DatasetColumnTypes[];
  /** Input keys that map to the same output key (e.g. `a.csv` and `a.csv.gz`): only one output survives. */
  collisions: OutputCollision[];
  /**
   * What the run did, priced: transitions of the executions that ran (a key the plan passed over starts
   * none), Lambda invocations and GB-seconds (converters and planner), S3 requests (reads: GET, HEAD;
   * writes: PUT, LIST) of the converters by outcome, of the maps, and the planner's and this reduction's as
   * counted.
   */
  cost: {
    stateTransitions: number;
    lambdaRequests: number;
    lambdaGbSeconds: number;
    s3Requests: number;
    s3Reads: number;
    s3Writes: number;
    usd: number;
    prices: Prices;
  };
  failures: ReportList<{ key: string; errors: ItemError[] }>;
  /** The failed items as the Map gave them to their children (for the retry map). */
  failedItems: ReportList<ConvertItem>;
  files: AsyncReportList<ItemAccount>;
  /** Files with rejected rows (not written to report.json: report.md lists them). */
  rejectedFiles: Iterable<ItemAccount>;
  ignoredKeys: AsyncReportList<string>;
  /** Per dataset: its schema version, what evolved in this execution, files converted again and why. */
  datasets: readonly DatasetReport[];
  /** The catalog after this reduction: database, tables written, and datasets that could not be registered. */
  catalog?: CatalogReport;
  /**
   * Outputs written with an older schema of their dataset, to convert again (the retry map's items, after
   * the failed ones; not in report.json: `datasets[].reconverted` says which and why).
   */
  staleItems: readonly ConvertItem[];
  /** Partition values of the files of this run, per dataset (for the catalog; not in report.json). */
  partitions: ReadonlyMap<string, PartitionValues>;
  /** The stored schema of each dataset of the run (for the catalog; not in report.json). */
  schemas: ReadonlyMap<string, DatasetSchema>;
  /** A run with a plan: what its inventory is made of (not in report.json). */
  inventory?: InventorySources;
}

/** What the reducer did to the catalog. */
export interface CatalogReport {
  readonly database: string;
  /** Where the definitions went: Glue, or `_catalog/` of a local run. */
  readonly target: 'glue' | 'local';
  readonly tables: readonly string[];
  readonly errors: readonly { readonly dataset: string; readonly message: string }[];
}
