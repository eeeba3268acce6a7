import type { OutputFormat } from '../../lambdas/core/model/options';

/** What shapes the definition. */
export interface WorkflowSettings {
  readonly formats: readonly OutputFormat[];
  readonly inputPrefix: string;
  readonly outputPrefixes: Readonly<Record<OutputFormat, string>>;
  readonly maxConcurrency: number;
  /** Key suffixes converted (each also with `.gz` or `.zst`), matched in any case mix (see {@link csvKeyPatterns}). */
  readonly suffixes?: readonly string[];
  /** Seconds a converter may run before Step Functions times the task out. */
  readonly taskTimeoutSeconds: number;
  /** Files that may still fail after the retry map without failing the execution. @default 0 */
  readonly toleratedFailedFiles?: number;
  /** Files per child execution (ItemBatcher). @default none: one file per child */
  readonly itemBatching?: ItemBatching;
  /**
   * The execution's overall timeout (the definition's top-level `TimeoutSeconds`): a run still going then
   * ends TIMED_OUT (alarmed, reported, redrivable). @default none: a year, Step Functions' limit
   */
  readonly executionTimeoutSeconds?: number;
  /** The dataset key pattern below `inputPrefix` (see lambdas/lake/layout.ts). @default DEFAULT_DATASET_PATTERN */
  readonly datasetPattern?: string;
}

/**
 * Several files per child execution (an `ItemBatcher`). It saves, per file, the child execution's state
 * transitions and a Lambda invocation per format (about 5 transitions and 2 invocations become 5/N and 2/N:
 * for 100,000 small files, ~$12 of transitions and the invocations' start-up time). It costs: files of a batch
 * run one after the other in one function (the timeout must cover the batch), a failure fails the whole batch
 * (a redrive re-runs it; its good files are then skipped as unchanged after a HEAD), the Map Run console and
 * the tolerance count batches rather than files, and the suffix filter moves from the state machine into the
 * converters (a Choice cannot filter inside a batch).
 */
export interface ItemBatching {
  /** At most this many files per child. */
  readonly maxItemsPerBatch: number;
  /** At most this many bytes of item JSON per child (not of file content). @default no limit but 256 KiB */
  readonly maxInputBytesPerBatch?: number;
}
