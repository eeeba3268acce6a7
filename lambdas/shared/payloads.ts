/*
 * The contract between the state machine and the Lambdas: what each task receives and returns. The
 * workflow definition (lib/workflow) builds these shapes with ItemSelector and Parameters.
 */
import type { ColumnType } from '../core/model/schema';
import type { OutputFormat } from '../core/model/options';
import type { ColumnChange } from '../lake/dataset-schema';
import type { DatasetLayout } from '../lake/layout';

/** Settings of one run, the same for every item: the defaults merged with the execution input. */
export interface RunContext {
  /** The execution name: the run's id, and the folder of its records under `_runs/`. */
  readonly runId: string;
  readonly inputBucket: string;
  readonly inputPrefix: string;
  readonly outputBucket: string;
  /**
   * Output prefix of each format the run writes, e.g. `{ parquet: 'parquet/', avro: 'avro/' }`: its keys are
   * the run's formats, which every converted file must have.
   */
  readonly outputPrefixes: Readonly<Partial<Record<OutputFormat, string>>>;
  /**
   * How input keys map to datasets: the CONFIGURED input prefix (which an execution's `inputPrefix` may
   * narrow, but output keys never depend on) and the key pattern. @default root: inputPrefix, the default pattern
   */
  readonly layout?: DatasetLayout;
}

/** One input object, as the Distributed Map's ItemSelector builds it from a listObjectsV2 item. */
export interface ConvertItem {
  readonly bucket: string;
  readonly key: string;
  /** ETag as listed, quotes included. */
  readonly etag: string;
  readonly size: number;
  readonly run: RunContext;
  /**
   * Convert the input's current version, found with a HEAD, rather than the listed one: set on the items
   * of the retry map, whose listing may be older than the file (a file fixed before a redrive, or one whose
   * formats were converted from two versions). @default false
   */
  readonly current?: boolean;
  /**
   * A byte range of the key (the planner's range items, issue 16): the converter converts only the rows that
   * start in it into a part under the run's folder; the key's join item makes its one output.
   */
  readonly range?: ItemRange | null;
}

/** Which byte range of its key a range item converts (see lambdas/ranges/range-plan.ts). */
export interface ItemRange {
  readonly index: number;
  readonly count: number;
  readonly start: number;
  readonly end: number;
  /**
   * 2: convert with the file's final types, which the key's `verdict.json` holds (a column widened in round
   * 1), from the start it records. Set by the reducer on the items a join handed back. @default 1
   */
  readonly round?: 1 | 2;
  /** `start` is the row start the range begins at (the end of the range before), not a cut. @default false */
  readonly exactStart?: boolean;
}

/** One range of a split key, as its part was joined (report.json's `files[].parts`, report.md). */
export interface PartFigures {
  readonly index: number;
  /** Rows the range's part holds, and rows of the range sent to the rejects file. */
  readonly rows: number;
  readonly rejectedRows: number;
  /** Bytes of the input the range's rows span. */
  readonly bytesIn: number;
  /** Time of the conversion whose part was joined. */
  readonly durationMs: number;
  /** 1: converted with the head's guess; 2: again with the file's final types (a column widened). */
  readonly round: 1 | 2;
}

/**
 * A join item (`joins.json`, the `JoinFiles` map): a key planned as `count` range items, whose parts the
 * converter joins into the key's one output.
 */
export interface JoinItem {
  readonly bucket: string;
  readonly key: string;
  readonly etag: string;
  readonly size: number;
  readonly count: number;
  readonly run: RunContext;
  /**
   * Set on the retry join map's items: the key must still be the version listed (its parts are of that
   * version), else the join fails saying so (see ConvertItem.current). @default false
   */
  readonly current?: boolean;
}

/** Whether an event is a join item (`joins.json`, or a join sent round the retry maps). */
export function isJoinItem(event: unknown): event is JoinItem {
  return typeof (event as { count?: unknown } | undefined)?.count === 'number';
}

/**
 * What a split key's join handed back to the state machine instead of converting it inline (its record's,
 * error `RangesToConvertError`): the ranges to convert (again), which the reducer lists as range items for
 * the retry map, and what makes the key's join item for the retry join map.
 */
export interface RangesToConvert {
  readonly bucket: string;
  readonly etag: string;
  readonly size: number;
  readonly count: number;
  /** 1: ranges without a part, or a misplaced start; 2: the file's final types (a column widened). */
  readonly round: 1 | 2;
  readonly ranges: readonly ItemRange[];
}

/**
 * A batch of items, as a Distributed Map with `ItemBatcher` gives it to one child: the items as the
 * ItemSelector built them (with or without `run`) and the run in `BatchInput`. The converters accept it as
 * well as a single {@link ConvertItem}; the workflow as deployed today sends single items.
 */
export interface ConvertBatch {
  readonly Items: readonly (Omit<ConvertItem, 'run'> & { readonly run?: RunContext })[];
  readonly BatchInput: { readonly run: RunContext };
}

/** A converter's answer to a batch in which every item succeeded (otherwise it throws, see convertBatch). */
export interface ConvertBatchResult {
  readonly results: readonly ConvertResult[];
}

/** What a converter returns for an item (and records under `_runs/<runId>/items/`). */
export interface ConvertResult {
  readonly key: string;
  readonly format: OutputFormat;
  readonly status: 'converted' | 'skipped' | 'failed';
  readonly rows?: number;
  readonly rejectedRows?: number;
  readonly bytesIn?: number;
  readonly bytesOut?: number;
  readonly durationMs: number;
  readonly outputKey: string;
  readonly rejectsKey?: string;
  readonly columns?: readonly { readonly name: string; readonly type: ColumnType }[];
  /**
   * The ETag of the input version the output holds (converted now, or earlier when skipped): the child
   * checks that both formats hold the same version.
   */
  readonly sourceEtag?: string;
  /** The dataset of the key (absent when the key pattern could not place it). */
  readonly dataset?: string;
  /** The fingerprint of the columns the output holds (converted) or held (skipped: the dataset's then). */
  readonly schemaFingerprint?: string;
  /** The dataset schema's version after this conversion. */
  readonly schemaVersion?: number;
  /** What this conversion changed in its dataset's stored schema. */
  readonly schemaChanges?: readonly ColumnChange[];
  /** For a failure: the error's name (what Step Functions matches) and message. */
  readonly error?: { readonly type: string; readonly message: string };
  /** A key converted in byte ranges (issue 16): what each range's part held, in file order (the join's record). */
  readonly parts?: readonly PartFigures[];
  /** A split key's join that handed ranges back (error `RangesToConvertError`): which, to convert them. */
  readonly rangesToConvert?: RangesToConvert;
  /** When the record was written (ISO 8601); the latest record of a key and format wins. */
  readonly at: string;
}

/** The planner's input: the run, as `BuildRun` made it. */
export interface PlanEvent {
  readonly run: RunContext;
}

/**
 * The planner's answer: small whatever the number of keys (the lists are in `_runs/<run>/plan/`). The
 * `AnyPlanned` Choice reads `planned`, the `ConvertFiles` map's ItemReader `itemsKey`.
 */
export interface PlanResult {
  /** The JSON array of the keys to convert, in the output bucket. */
  readonly itemsKey: string;
  /** Keys listed: planned + unchanged + ignored. */
  readonly listed: number;
  /** Keys to convert: new, changed, or in doubt. */
  readonly planned: number;
  /** CSV keys whose outputs are current: reported skipped, no child started. */
  readonly unchanged: number;
  /** Keys that are not CSV: reported ignored, no child started. */
  readonly ignored: number;
  /** Keys planned as byte-range items (each also a join item of `joinsKey`). */
  readonly split: number;
  /** The JSON array of join items (`{Key, Etag, Size, count}`), in the output bucket. */
  readonly joinsKey: string;
}

/** Where a Distributed Map's ResultWriter put its manifest (the Map state's output). */
export interface MapResultLocation {
  readonly MapRunArn?: string;
  readonly ResultWriterDetails?: { readonly Bucket: string; readonly Key: string };
}

/** The reducer's input: from the state machine, or from the rule on a FAILED/TIMED_OUT/ABORTED execution. */
export interface ReduceEvent {
  readonly run?: RunContext;
  /**
   * ResultWriter manifests of the Map runs so far. Absent on a rule event: the reducer then finds the run's
   * under the ResultWriter's prefix.
   */
  readonly mapResults?: readonly MapResultLocation[];
  /**
   * Whether this is the execution's last reduction, the one that emits the run's file counts (FilesFailed…):
   * `true` after the retry map (`ReduceAfterRetry`); `'ifNoneFailed'` for `Reduce`, after which the retry map
   * runs only when files failed. A rule event (`detail`) is always the last. @default true (a definition
   * deployed before this field emitted at every reduction)
   */
  readonly final?: boolean | 'ifNoneFailed';
  /** An EventBridge "Step Functions Execution Status Change" event, when invoked by the rule. */
  readonly detail?: {
    readonly name: string;
    readonly status: string;
    readonly input?: string;
    /** When the execution started, ms since the epoch (the event's `startDate`). */
    readonly startDate?: number;
    /** The execution's ARN (the event's `executionArn`), for the report's redrive command. */
    readonly executionArn?: string;
  };
}

/** The reducer's answer: small whatever the number of items (the full account is in the report). */
export interface ReduceResult {
  readonly runId: string;
  readonly status: 'SUCCEEDED' | 'FAILED' | string;
  readonly items: {
    readonly total: number;
    readonly converted: number;
    readonly skipped: number;
    readonly failed: number;
    /** Keys that are not CSV: with the three above, they add up to `total`. */
    readonly ignored: number;
  };
  readonly rejectedRows: number;
  /**
   * Outputs written with an older schema of their dataset, listed in failed-items.json after the failed
   * files: the `AnyFailed` and `AnyStale` Choices send them round the retry map.
   */
  readonly staleOutputs: number;
  /**
   * Range items the retry map converts for split keys whose joins handed them back (a missing part, round
   * 2): `AnyStale` loops while there are any. @default 0
   */
  readonly rangesToConvert?: number;
  /** Join items of split keys for the retry join map (`RetryJoin`), in `retryJoinsKey`. @default 0 */
  readonly retryJoins?: number;
  readonly reportKey: string;
  /** A JSON array of the failed items (ConvertItem), for the retry map's ItemReader; absent when none failed. */
  readonly failedItemsKey?: string;
  /** A JSON array of join items (JoinItem) for the retry join map's ItemReader; absent when there are none. */
  readonly retryJoinsKey?: string;
}
