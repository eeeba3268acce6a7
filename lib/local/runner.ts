/*
 * The embedded runner: the definition `cdk synth` produces, run on aws-local-stepfunctions over a folder or
 * an S3-compatible endpoint. This file wires it: the run's checks and record, the synthesized definition,
 * the handlers (the converters, the planner and the reducer, the same modules the Lambdas bundle; the
 * Distributed Maps in distributed-map.ts), the interpreter's run, and the report of a run that did not
 * succeed. What the run records about itself is in run-record.ts.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import type { CsvDialectOptions, OutputFormat } from '../../lambdas/core/model/options';
import { ENV, REDUCER_ENV } from '../../lambdas/shared/config';
import { createConverterHandler } from '../../lambdas/handlers/converter-handler';
import { createPlanHandler } from '../../lambdas/handlers/plan';
import { createReduceHandler } from '../../lambdas/handlers/reduce';
import { LocalCatalogWriter } from '../../lambdas/lake/local-catalog';
import type { ObjectStore } from '../../lambdas/io/object-store';
import { sweepSpoolFolders, sweepTempFiles } from '../../lambdas/io/temp-files';
import type { ReduceEvent, ReduceResult } from '../../lambdas/shared/payloads';
import { runOutputPrefixes, WORKFLOW_DEFAULTS } from '../workflow/defaults';
import { ConverterPool } from './converter-pool';
import { LocalDistributedMaps, type Progress, type StateHandler } from './distributed-map';
import { type FunctionSettings, invocationContext, retryOverrides } from './invocation';
import { lambdaStates, LOCAL_FUNCTIONS, type LocalSettings } from './local-definition';
import { functionSettings, type PreparedWorkflow, prepareWorkflow } from './prepared-workflow';
import { checkNewRun, newRunId } from './run-checks';
import {
  failure,
  type LocalRunStatus,
  newRunRecord,
  readRunRecord,
  reportPathOf,
  resumePoint,
  type RunRecord,
  runRecordKey,
  RunRecordWriter,
  runOrigin,
  statusOf,
} from './run-record';
import { bucketOf, INPUT_BUCKET, localS3Client, type Location, OUTPUT_BUCKET, storesFor } from './stores';
import { type Invocation, type LocalFunctionCall, taskHandlers } from './task-handlers';

export { parseLocation, type Location } from './stores';
export { describe, HEARTBEAT_MS, type LocalRunStatus } from './run-record';
export type { Progress } from './distributed-map';
export type { Invocation } from './task-handlers';

/** Options of a local run. */
export interface LocalRunOptions {
  readonly input: Location;
  readonly output: Location;
  /** S3-compatible endpoint for s3:// locations (e.g. http://127.0.0.1:4566). */
  readonly endpoint?: string;
  readonly concurrency?: number;
  readonly formats?: readonly OutputFormat[];
  readonly schemaLocation?: string;
  /** The dataset key pattern (lambdas/lake/layout.ts). @default DEFAULT_DATASET_PATTERN */
  readonly datasetPattern?: string;
  /** How to read the CSV text (the converters' `CSV2LAKE_CSV_OPTIONS`). @default {} (sniffed) */
  readonly csv?: CsvDialectOptions;
  /** Values read as null besides the empty field (`CSV2LAKE_NULL_TOKENS`). @default the template's */
  readonly nullTokens?: readonly string[];
  /**
   * Bytes of CSV per range item: a larger uncompressed file is converted in byte ranges on the converter
   * threads and joined into one output per format (see `CsvConversionPipelineProps.rangeBytes`).
   * @default 1 GiB (DEFAULT_RANGE_BYTES)
   */
  readonly rangeBytes?: number;
  readonly runId?: string;
  readonly onProgress?: (progress: Progress) => void;
  /** Test hook: an error to throw instead of invoking the handler of a task state for an item. */
  readonly fault?: (state: string, payload: unknown, attempt: number) => Error | undefined;
  /** Retry pause in ms instead of the definition's (for tests). @default the definition's */
  readonly retryIntervalMs?: number;
  readonly invocations?: Invocation[];
  /**
   * Test hook: wraps the object store the handlers use (e.g. to log reads). Conversions then run in the
   * runner's thread, where the wrapped store is.
   */
  readonly wrapStore?: (store: ObjectStore) => ObjectStore;
  /**
   * Stops the run (the CLI aborts it on SIGINT and SIGTERM): no conversion starts, those in flight are
   * stopped with their converter threads and their temporary files removed, the report is written and the
   * run is recorded ABORTED, which a redrive resumes.
   */
  readonly signal?: AbortSignal;
}

/** What a local run (or redrive) ends with. */
export interface LocalRunResult {
  readonly runId: string;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  readonly items: ReduceResult['items'];
  readonly rejectedRows: number;
  readonly reportPath: string;
  readonly error?: { readonly name: string; readonly message: string };
  /** The command that redrives the run, when it did not succeed (options included). */
  readonly redrive?: string;
}

/**
 * Runs the csv2lake state machine locally: the definition `cdk synth` produces from the construct, on
 * aws-local-stepfunctions, with each Distributed Map emulated (listing with pagination, ItemSelector,
 * MaxConcurrency, tolerated failures, result files laid out as the service lays them) and each Lambda task
 * dispatched to the same handler modules the Lambdas bundle.
 */
export class LocalRunner {
  private readonly store: ObjectStore;
  private readonly record: RunRecord;
  private readonly recorder: RunRecordWriter;
  private readonly progress: Progress = {
    total: 0,
    done: 0,
    failed: 0,
    rows: 0,
    bytes: 0,
    startedAt: Date.now(),
  };
  private lastReduce: ReduceResult | undefined;
  private redriving = false;
  /** Set when the run is aborted. */
  private aborted = false;

  private constructor(
    record: RunRecord,
    private readonly options: Omit<LocalRunOptions, 'input' | 'output'>,
  ) {
    this.record = record;
    const store = storesFor(record, options.endpoint);
    this.store = options.wrapStore ? options.wrapStore(store) : store;
    this.recorder = new RunRecordWriter(this.store, this.outputBucket, record, options.endpoint);
  }

  /** Starts a new run. */
  static async run(options: LocalRunOptions): Promise<LocalRunResult> {
    checkNewRun(options);
    const runId = options.runId ?? newRunId();
    const runner = new LocalRunner(newRunRecord(runId, options), options);
    return runner.execute(undefined, {});
  }

  /** The status of a local run: RUNNING, SUCCEEDED, FAILED, or ABORTED (interrupted, or its process died). */
  static async status(
    runId: string,
    output: Location,
    options: { endpoint?: string } = {},
  ): Promise<LocalRunStatus> {
    return statusOf(await readRunRecord(runId, output, options.endpoint), output, options.endpoint);
  }

  /**
   * Redrives a run that failed, was stopped or died (see {@link LocalRunner.status}): resumes at the state
   * that failed or was running; maps re-run only unsuccessful children.
   * @throws Error for a run that succeeded, failed before any task ran, or is still running
   */
  static async redrive(
    runId: string,
    output: Location,
    options: Omit<LocalRunOptions, 'input' | 'output'> = {},
  ): Promise<LocalRunResult> {
    const record = await readRunRecord(runId, output, options.endpoint);
    const { startAt, input } = resumePoint(record);
    const runner = new LocalRunner(record, options);
    runner.redriving = true;
    return runner.execute(startAt, input);
  }

  private get outputBucket(): string {
    return bucketOf(this.record.output, OUTPUT_BUCKET);
  }

  /** Each format's output prefix: under the output's own prefix on S3 (a folder is a bucket of its own). */
  private get outputPrefixes(): Record<OutputFormat, string> {
    const out = this.record.output;
    if (out.kind !== 's3' || !out.prefix) return WORKFLOW_DEFAULTS.outputPrefixes;
    const base = out.prefix.replace(/\/?$/, '/');
    return { parquet: `${base}parquet/`, avro: `${base}avro/` };
  }

  /** The settings the definition is synthesized with. */
  private settings(): LocalSettings {
    const { record } = this;
    return {
      inputBucket: bucketOf(record.input, INPUT_BUCKET),
      outputBucket: this.outputBucket,
      inputPrefix: record.input.kind === 's3' ? record.input.prefix : '',
      formats: record.formats,
      maxConcurrency: record.concurrency,
      ...(record.output.kind === 's3' && record.output.prefix ? { outputPrefixes: this.outputPrefixes } : {}),
      ...(record.datasetPattern ? { datasetPattern: record.datasetPattern } : {}),
    };
  }

  private async execute(startAt: string | undefined, startInput: unknown): Promise<LocalRunResult> {
    const { record } = this;
    const spoolDir = process.env.CSV2LAKE_SPOOL_DIR ?? process.env.TMPDIR ?? '/tmp';
    // What writers of earlier runs that died (kill -9, a crash) left: hidden, but holding disk space.
    if (record.output.kind === 'dir') sweepTempFiles(record.output.path);
    sweepSpoolFolders(spoolDir);
    // Started first: the threads load their modules while this one synthesizes the stack.
    const pool = this.options.wrapStore
      ? undefined
      : ConverterPool.start(__dirname, record.concurrency, {
          input: record.input,
          output: record.output,
          ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
        });
    let prepared: PreparedWorkflow;
    try {
      prepared = await prepareWorkflow(this.settings(), __filename);
    } catch (error) {
      await pool?.stop();
      throw error;
    }
    const { definition, functions, machine, maps } = prepared;
    const converterRun: NodeJS.ProcessEnv = {
      CSV2LAKE_SPOOL_DIR: spoolDir,
      ...(record.schemaLocation ? { [ENV.SCHEMA_LOCATION]: record.schemaLocation } : {}),
      ...(record.csv ? { [ENV.CSV_OPTIONS]: JSON.stringify(record.csv) } : {}),
      ...(record.nullTokens ? { [ENV.NULL_TOKENS]: JSON.stringify(record.nullTokens) } : {}),
      ...(record.rangeBytes ? { [ENV.RANGE_BYTES]: String(record.rangeBytes) } : {}),
    };
    // The planner and the reducer compute the converters' options hash: they get the converters' options.
    const settings = {
      parquet: functionSettings(functions[LOCAL_FUNCTIONS.parquet], converterRun),
      avro: functionSettings(functions[LOCAL_FUNCTIONS.avro], converterRun),
      plan: functionSettings(functions[LOCAL_FUNCTIONS.plan], converterRun),
      reduce: functionSettings(functions[LOCAL_FUNCTIONS.reduce], {
        ...converterRun,
        // The execution-status rule's reducer rebuilds the run from these defaults (see runOf).
        [REDUCER_ENV.DEFAULT_RUN]: JSON.stringify(this.runContext()),
      }),
    };
    pool?.configure(settings);
    const handlers = taskHandlers(lambdaStates(definition), this.functions(settings, pool), {
      progress: this.progress,
      countedFunction: LOCAL_FUNCTIONS[record.formats[0]!],
      ...(this.options.invocations ? { invocations: this.options.invocations } : {}),
      ...(this.options.fault ? { fault: this.options.fault } : {}),
    });
    const distributedMaps = new LocalDistributedMaps({
      store: this.store,
      runId: record.runId,
      inputBucket: bucketOf(record.input, INPUT_BUCKET),
      outputBucket: this.outputBucket,
      concurrency: record.concurrency,
      redriving: this.redriving,
      ...(startAt ? { resumeAt: startAt } : {}),
      progress: this.progress,
      ...(this.options.onProgress ? { onProgress: this.options.onProgress } : {}),
      ...(this.options.retryIntervalMs !== undefined
        ? { retryIntervalMs: this.options.retryIntervalMs }
        : {}),
      recordKey: (name) => runRecordKey(record.runId, name),
    });
    let failedState: string | undefined;
    const topLevel: Record<string, StateHandler> = {};
    for (const name of Object.keys(machine.States)) {
      const map = maps[name];
      const handler = map ? distributedMaps.handler(name, map, handlers) : handlers[name];
      if (!handler) continue;
      topLevel[name] = async (input) => {
        try {
          return await handler(input);
        } catch (error) {
          failedState = name;
          throw error;
        }
      };
    }
    const start = startAt ?? machine.StartAt;
    // A redrive starts at the failed state, which leaves the states before it unreachable: the validator
    // would refuse that, and the definition was validated whole above.
    const runnable = new StateMachine({ ...machine, StartAt: start } as never, {
      validationOptions: { noValidate: true },
    });
    const input = startAt ? startInput : {};
    const enteredWith = new Map<string, unknown>();
    await this.recorder.start();
    let execution: ReturnType<typeof runnable.run> | undefined;
    const signal = this.options.signal;
    const abort = () => {
      this.aborted = true;
      distributedMaps.abort();
      execution?.abort();
      // In-flight conversions fail with Runtime.ExitError, as their threads stop.
      void pool?.stop();
    };
    let error: { name: string; message: string } | undefined;
    try {
      execution = runnable.run(input as never, {
        overrides: {
          taskResourceLocalHandlers: topLevel as never,
          ...retryOverrides(Object.keys(machine.States), this.options.retryIntervalMs),
        },
        context: {
          Execution: { Name: record.runId, Input: input, StartTime: new Date().toISOString() },
        } as never,
      });
      if (signal?.aborted) abort();
      else signal?.addEventListener('abort', abort, { once: true });
      // A redrive restarts the failed state from the input it ENTERED with, as the service does: a task's
      // handler sees that input after Parameters, which the state would apply a second time.
      const watching = (async () => {
        for await (const event of execution!.eventLogs) {
          if (event.type !== 'StateEntered') continue;
          enteredWith.set(event.state.name, event.state.input);
          // Where a redrive resumes should this process die: recorded before the state's work starts.
          if (topLevel[event.state.name]) {
            record.enteredState = event.state.name;
            record.enteredInput = event.state.input;
            this.recorder.save().catch(() => undefined);
          }
        }
      })();
      // An aborted execution's event log may never end: its result is enough.
      await execution.result.finally(() => (this.aborted ? undefined : watching));
      record.status = 'SUCCEEDED';
      delete record.failedState;
      delete record.failedInput;
      delete record.error;
    } catch (e) {
      error = this.aborted
        ? { name: 'Aborted', message: `stopped (${String(signal?.reason ?? 'aborted')}) before it ended` }
        : failure(e);
      record.status = this.aborted ? 'ABORTED' : 'FAILED';
      record.error = error;
      if (failedState) {
        record.failedState = failedState;
        record.failedInput = enteredWith.get(failedState);
      }
    } finally {
      this.recorder.stop();
      signal?.removeEventListener('abort', abort);
    }
    await pool?.stop();
    if (this.aborted) {
      await distributedMaps.settled();
      // Every writer of this process stopped with its thread: what they were writing is a leftover now.
      if (record.output.kind === 'dir') sweepTempFiles(record.output.path, { ownPid: true });
      sweepSpoolFolders(spoolDir, { ownPid: true });
    }
    await this.recorder.save();
    // A run that did not succeed still gets its report, as the execution-status rule does on AWS.
    let summary = this.lastReduce;
    if (record.status !== 'SUCCEEDED' || !summary) {
      try {
        summary = await this.reducer(settings.reduce.env)({
          detail: { name: record.runId, status: record.status, input: '{}' },
          mapResults: await distributedMaps.resultLocations(Object.keys(maps)),
        } as ReduceEvent);
      } catch (e) {
        throw this.recorder.cannotWrite(e, 'its report');
      }
    }
    return {
      runId: record.runId,
      status: record.status === 'SUCCEEDED' || record.status === 'ABORTED' ? record.status : 'FAILED',
      items: summary.items,
      rejectedRows: summary.rejectedRows,
      reportPath: reportPathOf(record.output, record.runId),
      ...(error ? { error } : {}),
      ...(record.status !== 'SUCCEEDED' ? { redrive: this.recorder.redrive } : {}),
    };
  }

  private runContext() {
    const { record } = this;
    return {
      inputBucket: bucketOf(record.input, INPUT_BUCKET),
      inputPrefix: record.input.kind === 's3' ? record.input.prefix : '',
      outputBucket: this.outputBucket,
      outputPrefixes: runOutputPrefixes(record.formats, this.outputPrefixes),
      layout: {
        root: record.input.kind === 's3' ? record.input.prefix : '',
        pattern: record.datasetPattern ?? WORKFLOW_DEFAULTS.datasetPattern,
      },
    };
  }

  /** The reducer as the state machine and the execution-status rule invoke it: the catalog goes to `_catalog/`. */
  private reducer(env: NodeJS.ProcessEnv) {
    return createReduceHandler({
      store: this.store,
      env,
      catalog: new LocalCatalogWriter(this.store, this.outputBucket),
      origin: () => runOrigin(this.record, this.options.endpoint),
    });
  }

  /**
   * The functions the definition calls, by local name: the same handler modules the Lambdas bundle (the
   * converters in the pool's threads, unless a test wraps the store), with the run's settings.
   */
  private functions(
    settings: Record<OutputFormat | 'reduce' | 'plan', FunctionSettings>,
    pool: ConverterPool | undefined,
  ): Record<string, LocalFunctionCall> {
    const converter = (format: OutputFormat): LocalFunctionCall => {
      if (pool) return (payload) => pool.run(format, payload);
      const handler = createConverterHandler(format, {
        store: this.store,
        s3: localS3Client(this.options.endpoint),
        env: settings[format].env,
      });
      return (payload) => handler(payload, invocationContext(settings[format].timeoutMs));
    };
    return {
      [LOCAL_FUNCTIONS.parquet]: converter('parquet'),
      [LOCAL_FUNCTIONS.avro]: converter('avro'),
      [LOCAL_FUNCTIONS.plan]: createPlanHandler({ store: this.store, env: settings.plan.env }),
      [LOCAL_FUNCTIONS.reduce]: async (payload: ReduceEvent) => {
        const result = await this.reducer(settings.reduce.env)(payload);
        this.lastReduce = result;
        return result;
      },
    };
  }
}
