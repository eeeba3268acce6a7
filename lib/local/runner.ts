/* eslint-disable @typescript-eslint/no-explicit-any -- ASL documents and templates are untyped JSON */
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import type { CsvDialectOptions, OutputFormat } from '../../lambdas/core/model/options';
import { ENV } from '../../lambdas/shared/config';
import { createConverterHandler } from '../../lambdas/handlers/converter-handler';
import { createPlanHandler } from '../../lambdas/handlers/plan';
import { createReduceHandler } from '../../lambdas/handlers/reduce';
import { checkOutputOutsideInput, parseKeyPattern } from '../../lambdas/lake/layout';
import { LocalCatalogWriter } from '../../lambdas/lake/local-catalog';
import { UNREADABLE_ETAG, type UnreadableEntry } from '../../lambdas/io/fs-object-store';
import type { ObjectInfo, ObjectStore } from '../../lambdas/io/object-store';
import { processAlive, sweepSpoolFolders, sweepTempFiles } from '../../lambdas/io/temp-files';
import { jsonArrayPieces, readText, writeStreaming } from '../../lambdas/io/object-text';
import type {
  ConvertItem,
  MapResultLocation,
  ReduceEvent,
  ReduceResult,
} from '../../lambdas/shared/payloads';
import { runOutputPrefixes, WORKFLOW_DEFAULTS } from '../workflow/defaults';
import { STATES } from '../workflow/definition';
import { type FunctionSettings, invocationContext, invocationScope } from './invocation';
import { evaluateTemplate } from './json-path';
import { childInputs, toleratedFailures } from './map-items';
import { bucketOf, INPUT_BUCKET, type Location, OUTPUT_BUCKET, storesFor } from './stores';

export { parseLocation, type Location } from './stores';
import {
  lambdaStates,
  LOCAL_FUNCTIONS,
  type LocalFunction,
  type LocalSettings,
  localize,
  processorFor,
} from './local-definition';
import { SynthCache } from './synth-cache';
import { ConverterPool } from './converter-pool';

/** Progress of a run, for the progress bar. */
export interface Progress {
  total: number;
  done: number;
  failed: number;
  rows: number;
  bytes: number;
  startedAt: number;
}

/** One handler invocation (for tests and the invocation log). */
export interface Invocation {
  readonly state: string;
  readonly key?: string;
  readonly at: number;
  readonly outcome: 'ok' | string;
}

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
}

/** Run state kept under the output, so that a run can be inspected and redriven later. */
interface RunRecord {
  runId: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  /**
   * The process that runs it, on which machine, and when it last said so (every {@link HEARTBEAT_MS}): a
   * RUNNING record whose process is gone, or whose heartbeat stopped, is a run that died (kill -9, a crash,
   * a power cut), which {@link LocalRunner.status} reports ABORTED and a redrive resumes.
   */
  pid?: number;
  host?: string;
  heartbeatAt?: string;
  /** The top-level state entered last, and its input: where a redrive of a run that died resumes. */
  enteredState?: string;
  enteredInput?: unknown;
  input: Location;
  output: Location;
  formats: OutputFormat[];
  schemaLocation?: string;
  /** Kept so that a redrive places the keys as the run did. */
  datasetPattern?: string;
  /** Kept so that a redrive reads the files as the run did. */
  csv?: CsvDialectOptions;
  nullTokens?: readonly string[];
  concurrency: number;
  failedState?: string;
  failedInput?: unknown;
  error?: { name: string; message: string };
}

interface ChildRecord {
  name: string;
  input: unknown;
  /** Items carried (a batch carries several). */
  items?: number;
  status: 'SUCCEEDED' | 'FAILED' | 'PENDING';
  output?: unknown;
  error?: string;
  cause?: string;
}

/** How often a running run rewrites its record to say it is alive. */
export const HEARTBEAT_MS = 30_000;

/**
 * Why a RUNNING record is a run that died, or undefined while it may be alive: its process is gone (on this
 * machine), or it has not written a heartbeat for four periods (on any machine; pids are reused).
 */
function deathOf(record: RunRecord, now = Date.now()): string | undefined {
  if (record.status !== 'RUNNING') return undefined;
  if (record.pid === undefined) return 'it was started by a version that recorded no process';
  if (record.host === hostname() && !processAlive(record.pid))
    return `its process (pid ${record.pid}) is gone`;
  const beat = Date.parse(record.heartbeatAt ?? '');
  if (!(now - beat <= 4 * HEARTBEAT_MS))
    return `its process (pid ${record.pid} on ${record.host}) has not written a heartbeat since ${record.heartbeatAt}`;
  return undefined;
}

/** What a local run's record says, for `csv2lake status`: a RUNNING run whose process died is ABORTED. */
export interface LocalRunStatus {
  readonly runId: string;
  readonly status: RunRecord['status'];
  /** Why the run is ABORTED although its record says RUNNING. */
  readonly died?: string;
  readonly pid?: number;
  readonly host?: string;
  readonly heartbeatAt?: string;
  /** The state a redrive would resume at. */
  readonly resumeAt?: string;
  readonly error?: { readonly name: string; readonly message: string };
  readonly reportPath: string;
}

/**
 * The input folder, checked before anything runs: a missing one, a file, or one that cannot be read gave
 * a SUCCEEDED run of 0 files.
 */
/** A location as a bucket and prefix, for {@link checkOutputOutsideInput} (a folder: no bucket, its path). */
function asPrefix(location: Location): { bucket: string; prefix: string } {
  return location.kind === 's3'
    ? { bucket: location.bucket, prefix: location.prefix }
    : { bucket: '', prefix: `${location.path.replace(/\/+$/, '')}/` };
}

function checkInputFolder(location: Location): void {
  if (location.kind !== 'dir') return;
  let s;
  try {
    s = statSync(location.path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? `the input folder ${location.path} does not exist`
        : `the input folder ${location.path} cannot be read (${code})`,
      { cause: error },
    );
  }
  if (!s.isDirectory())
    throw new Error(`the input ${location.path} is not a folder: give the folder that holds the CSV files`);
  try {
    readdirSync(location.path);
  } catch (error) {
    throw new Error(
      `the input folder ${location.path} cannot be read (${(error as NodeJS.ErrnoException).code}): make it ` +
        'readable and searchable (chmod u+rx) by the user that runs csv2lake',
      { cause: error },
    );
  }
}

/** Keys of child inputs: one, or a batch's. */
function keysOf(input: unknown): { key: string; etag?: string }[] {
  const i = input as { key?: unknown; etag?: unknown; Items?: unknown[] };
  const items = Array.isArray(i?.Items) ? (i.Items as (typeof i)[]) : [i];
  return items
    .filter((x) => typeof x?.key === 'string')
    .map((x) => ({ key: x.key as string, ...(typeof x.etag === 'string' ? { etag: x.etag } : {}) }));
}

function failure(error: unknown): { name: string; message: string } {
  const e = error as Error & { cause?: unknown };
  const inner = e?.name === 'ExecutionError' && e.cause instanceof Error ? e.cause : e;
  return { name: inner?.name ?? 'Error', message: inner?.message ?? String(error) };
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
  /** Listed entries that cannot be read (see UnreadableEntry), by key, with the reason. */
  private readonly unreadable = new Map<string, string>();
  /** Record writes, one after another: a heartbeat must not land after the final record. */
  private saving: Promise<void> = Promise.resolve();
  /** Set when the run is aborted: maps start no more children. */
  private aborted = false;
  /** Maps still running: an aborted run waits for them before it reports. */
  private readonly activeMaps = new Set<Promise<unknown>>();

  private constructor(
    record: RunRecord,
    private readonly options: Omit<LocalRunOptions, 'input' | 'output'>,
  ) {
    this.record = record;
    const store = storesFor(record, options.endpoint);
    this.store = options.wrapStore ? options.wrapStore(store) : store;
  }

  /** Starts a new run. */
  static async run(options: LocalRunOptions): Promise<LocalRunResult> {
    checkInputFolder(options.input);
    checkOutputOutsideInput(asPrefix(options.input), asPrefix(options.output));
    if (options.datasetPattern !== undefined) parseKeyPattern(options.datasetPattern);
    const runId =
      options.runId ??
      `run-${new Date()
        .toISOString()
        .replace(/[-:.TZ]/g, '')
        .slice(0, 14)}-${createHash('sha1').update(String(Math.random())).digest('hex').slice(0, 6)}`;
    const runner = new LocalRunner(
      {
        runId,
        status: 'RUNNING',
        input: options.input,
        output: options.output,
        formats: [...(options.formats ?? WORKFLOW_DEFAULTS.formats)],
        ...(options.schemaLocation ? { schemaLocation: options.schemaLocation } : {}),
        ...(options.datasetPattern ? { datasetPattern: options.datasetPattern } : {}),
        ...(options.csv && Object.keys(options.csv).length > 0 ? { csv: options.csv } : {}),
        ...(options.nullTokens ? { nullTokens: options.nullTokens } : {}),
        concurrency: options.concurrency ?? 16,
      },
      options,
    );
    return runner.execute(undefined, {});
  }

  /** A run's record, read back. @throws Error naming the file when there is none */
  private static async readRecord(
    runId: string,
    output: Location,
    endpoint: string | undefined,
  ): Promise<RunRecord> {
    const probe = storesFor({ input: output, output }, endpoint);
    const text = await readText(
      probe,
      bucketOf(output, OUTPUT_BUCKET),
      `_runs/${runId}/local/run.json`,
    ).catch(() => undefined);
    if (!text)
      throw new Error(
        `no local run ${runId} under ${describe(output)} (looked for _runs/${runId}/local/run.json)`,
      );
    return JSON.parse(text) as RunRecord;
  }

  /** The status of a local run: RUNNING, SUCCEEDED, FAILED, or ABORTED (interrupted, or its process died). */
  static async status(
    runId: string,
    output: Location,
    options: { endpoint?: string } = {},
  ): Promise<LocalRunStatus> {
    const record = await LocalRunner.readRecord(runId, output, options.endpoint);
    const died = deathOf(record);
    const resumeAt =
      record.status === 'SUCCEEDED'
        ? undefined
        : record.status === 'FAILED'
          ? record.failedState
          : record.enteredState;
    return {
      runId,
      status: died ? 'ABORTED' : record.status,
      ...(died ? { died } : {}),
      ...(record.pid !== undefined ? { pid: record.pid } : {}),
      ...(record.host ? { host: record.host } : {}),
      ...(record.heartbeatAt ? { heartbeatAt: record.heartbeatAt } : {}),
      ...(resumeAt && (died || record.status !== 'RUNNING') ? { resumeAt } : {}),
      ...(record.error ? { error: record.error } : {}),
      reportPath: reportPathOf(output, runId),
    };
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
    const record = await LocalRunner.readRecord(runId, output, options.endpoint);
    const died = deathOf(record);
    if (record.status === 'RUNNING' && !died)
      throw new Error(
        `run ${runId} is RUNNING (pid ${record.pid} on ${record.host}, heartbeat ${record.heartbeatAt}): ` +
          'wait for it to end, or stop it (Ctrl-C, kill), then redrive it',
      );
    if (record.status === 'SUCCEEDED') throw new Error(`run ${runId} is SUCCEEDED: nothing to redrive`);
    if (record.status === 'FAILED' && !record.failedState)
      throw new Error(`run ${runId} is FAILED before any task ran (invalid input?): nothing to redrive`);
    // A run that failed resumes at the state that failed; one that was stopped or died, at the state it
    // was in (a map then runs again the children it had not recorded; their finished outputs are skipped
    // as unchanged), or from the start when it died before its first task, under its own run id.
    const [startAt, input] =
      record.status === 'FAILED'
        ? [record.failedState, record.failedInput]
        : [
            record.failedState ?? record.enteredState,
            record.failedState ? record.failedInput : record.enteredInput,
          ];
    const runner = new LocalRunner(record, options);
    runner.redriving = true;
    return runner.execute(startAt, startAt ? input : {});
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

  private recordKey(name: string): string {
    return `_runs/${this.record.runId}/local/${name}.json`;
  }

  /**
   * Writes the run's record (a snapshot of it now), after any write still in flight.
   * @throws Error in one line, naming the run and the file, when it cannot be written (a full disk)
   */
  private saveRecord(): Promise<void> {
    const text = JSON.stringify(this.record, null, 1);
    const saved = this.saving.then(async () => {
      try {
        await this.store.put(this.outputBucket, this.recordKey('run'), text);
      } catch (error) {
        throw this.cannotWrite(error, `its record ${this.recordKey('run')}`);
      }
    });
    // The next write waits for this one, failed or not.
    this.saving = saved.catch(() => undefined);
    return saved;
  }

  /** A write of the runner's own that failed, as one line naming the run, what it wrote and what to do. */
  private cannotWrite(error: unknown, what: string): Error {
    const { runId, output } = this.record;
    return new Error(
      `run ${runId}: could not write ${what} under ${describe(output)}: ${(error as Error).message}. ` +
        `Once it can be written, csv2lake redrive ${runId} --output ${describe(output)}`,
      { cause: error },
    );
  }

  /** The synthesized definition, validated, and its localized top level and Distributed Maps. */
  private async definition() {
    const { record } = this;
    const inputBucket = bucketOf(record.input, INPUT_BUCKET);
    const settings: LocalSettings = {
      inputBucket,
      outputBucket: this.outputBucket,
      inputPrefix: record.input.kind === 's3' ? record.input.prefix : '',
      formats: record.formats,
      maxConcurrency: record.concurrency,
      ...(record.output.kind === 's3' && record.output.prefix ? { outputPrefixes: this.outputPrefixes } : {}),
      ...(record.datasetPattern ? { datasetPattern: record.datasetPattern } : {}),
    };
    const cache = SynthCache.beside(__filename, settings);
    let workflow = cache?.read();
    if (!workflow) {
      // aws-cdk-lib is loaded here only: a run whose definition is cached never loads it (~0.35 s).
      workflow = (await import('./synth')).synthesizedWorkflow(settings);
      // Validated once, whole, Distributed Maps included; the machines built from it below (the localized
      // top level, each child) skip validation, which would otherwise compile asl-validator's schema again
      // for each of them (~0.2-0.4 s apiece).
      new StateMachine(workflow.definition as never, {
        validationOptions: { checkArn: false, checkPaths: false },
      });
      cache?.write(workflow);
    }
    const { definition, functions } = workflow;
    const { machine, maps } = localize(definition);
    return { definition, functions, machine, maps };
  }

  /**
   * What a function runs with locally: the environment the template gives the deployed function, then
   * the user's own `CSV2LAKE_*` variables (to tune a local run as one would tune the Lambda), then the run's
   * settings; and its timeout, which bounds each invocation's remaining time.
   */
  private functionSettings(fn: LocalFunction | undefined, run: NodeJS.ProcessEnv): FunctionSettings {
    const mine = Object.entries(process.env).filter(([k]) => k.startsWith('CSV2LAKE_'));
    return {
      env: { ...fn?.environment, ...Object.fromEntries(mine), ...run },
      timeoutMs: (fn?.timeoutSeconds ?? 900) * 1000,
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
    let prepared: Awaited<ReturnType<LocalRunner['definition']>>;
    try {
      prepared = await this.definition();
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
    };
    // The planner and the reducer compute the converters' options hash: they get the converters' options.
    const settings = {
      parquet: this.functionSettings(functions[LOCAL_FUNCTIONS.parquet], converterRun),
      avro: this.functionSettings(functions[LOCAL_FUNCTIONS.avro], converterRun),
      plan: this.functionSettings(functions[LOCAL_FUNCTIONS.plan], converterRun),
      reduce: this.functionSettings(functions[LOCAL_FUNCTIONS.reduce], {
        ...converterRun,
        ...reducerEnv(this.runContext()),
      }),
    };
    pool?.configure(settings);
    const tasks = lambdaStates(definition);
    const handlers = this.lambdaHandlers(tasks, settings, pool);
    const mapHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [name, map] of Object.entries(maps))
      mapHandlers[name] = (input) => {
        const running = this.runMap(name, map, input, handlers);
        this.activeMaps.add(running);
        const done = () => this.activeMaps.delete(running);
        running.then(done, done);
        return running;
      };
    let failedState: string | undefined;
    const topLevel: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const name of Object.keys(machine.States)) {
      const handler = mapHandlers[name] ?? handlers[name];
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
    record.status = 'RUNNING';
    record.pid = process.pid;
    record.host = hostname();
    record.heartbeatAt = new Date().toISOString();
    await this.saveRecord();
    const heartbeat = setInterval(() => {
      record.heartbeatAt = new Date().toISOString();
      // A heartbeat that cannot be written is not the run's failure; the record written at its end says it.
      this.saveRecord().catch(() => undefined);
    }, HEARTBEAT_MS).unref();
    let execution: ReturnType<typeof runnable.run> | undefined;
    const signal = this.options.signal;
    const abort = () => {
      this.aborted = true;
      execution?.abort();
      // In-flight conversions fail with Runtime.ExitError, as their threads stop.
      void pool?.stop();
    };
    let error: { name: string; message: string } | undefined;
    try {
      execution = runnable.run(input as never, {
        overrides: { taskResourceLocalHandlers: topLevel as never, ...this.retryOverrides(machine) },
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
            this.saveRecord().catch(() => undefined);
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
      clearInterval(heartbeat);
      signal?.removeEventListener('abort', abort);
    }
    await pool?.stop();
    if (this.aborted) {
      await Promise.allSettled([...this.activeMaps]);
      // Every writer of this process stopped with its thread: what they were writing is a leftover now.
      if (record.output.kind === 'dir') sweepTempFiles(record.output.path, { ownPid: true });
      sweepSpoolFolders(spoolDir, { ownPid: true });
    }
    await this.saveRecord();
    // A run that did not succeed still gets its report, as the execution-status rule does on AWS.
    let summary = this.lastReduce;
    if (record.status !== 'SUCCEEDED' || !summary) {
      try {
        summary = await this.reducer(settings.reduce.env)({
          detail: { name: record.runId, status: record.status, input: '{}' },
          mapResults: await this.mapResultLocations(Object.keys(maps)),
        } as ReduceEvent);
      } catch (e) {
        throw this.cannotWrite(e, 'its report');
      }
    }
    return {
      runId: record.runId,
      status: record.status === 'SUCCEEDED' || record.status === 'ABORTED' ? record.status : 'FAILED',
      items: summary.items,
      rejectedRows: summary.rejectedRows,
      reportPath: this.reportPath(),
      ...(error ? { error } : {}),
    };
  }

  private reportPath(): string {
    return reportPathOf(this.record.output, this.record.runId);
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
    });
  }

  private async mapResultLocations(names: string[]) {
    const locations: MapResultLocation[] = [];
    for (const name of names) {
      const text = await readText(this.store, this.outputBucket, this.recordKey(`map-${name}`)).catch(
        () => undefined,
      );
      if (text) locations.push((JSON.parse(text) as { location: MapResultLocation }).location);
    }
    return locations;
  }

  private retryOverrides(machine: Record<string, any>) {
    const ms = this.options.retryIntervalMs;
    if (ms === undefined) return {};
    const overrides: Record<string, number> = {};
    for (const name of Object.keys(machine.States)) overrides[name] = ms;
    return { retryIntervalOverrides: overrides };
  }

  /** Local handlers of the Lambda task states: the same handler modules, the Lambda payload wrapper. */
  private lambdaHandlers(
    tasks: Record<string, string>,
    settings: Record<OutputFormat | 'reduce' | 'plan', FunctionSettings>,
    pool: ConverterPool | undefined,
  ): Record<string, (input: unknown) => Promise<unknown>> {
    const converter = (format: OutputFormat) => {
      if (pool) return (payload: unknown) => pool.run(format, payload);
      const handler = createConverterHandler(format, { store: this.store, env: settings[format].env });
      return (payload: any) => handler(payload, invocationContext(settings[format].timeoutMs));
    };
    const functions: Record<string, (payload: any) => Promise<unknown>> = {
      [LOCAL_FUNCTIONS.parquet]: converter('parquet'),
      [LOCAL_FUNCTIONS.avro]: converter('avro'),
      [LOCAL_FUNCTIONS.plan]: createPlanHandler({ store: this.store, env: settings.plan.env }),
      [LOCAL_FUNCTIONS.reduce]: async (payload: ReduceEvent) => {
        const result = await this.reducer(settings.reduce.env)(payload);
        this.lastReduce = result;
        return result;
      },
    };
    const attempts = new Map<string, number>();
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [state, fn] of Object.entries(tasks)) {
      const call = functions[fn];
      if (!call) throw new Error(`local runner: state ${state} calls ${fn}, which has no local handler`);
      handlers[state] = async (input) => {
        const { Payload } = input as { Payload: { key?: string } };
        const id = `${state}:${Payload?.key ?? ''}`;
        const attempt = (attempts.get(id) ?? 0) + 1;
        attempts.set(id, attempt);
        const log = (outcome: string) =>
          this.options.invocations?.push({
            state,
            ...(Payload?.key ? { key: Payload.key } : {}),
            at: Date.now(),
            outcome,
          });
        try {
          const injected = this.options.fault?.(state, Payload, attempt);
          if (injected) throw injected;
          const result = await call(Payload);
          log('ok');
          // Rows and bytes of the first format only: every format converts the same input.
          if (fn === LOCAL_FUNCTIONS[this.record.formats[0]!]) {
            const r = result as { rows?: number; bytesIn?: number; results?: unknown[] };
            for (const one of (r?.results ?? [r]) as { rows?: number; bytesIn?: number }[]) {
              this.progress.rows += one?.rows ?? 0;
              this.progress.bytes += one?.bytesIn ?? 0;
            }
          }
          return { StatusCode: 200, Payload: result };
        } catch (error) {
          log((error as Error).name);
          throw error;
        }
      };
    }
    return handlers;
  }

  /** The Distributed Map emulation. */
  private async runMap(
    name: string,
    map: Record<string, any>,
    input: unknown,
    handlers: Record<string, (input: unknown) => Promise<unknown>>,
  ): Promise<unknown> {
    const context = { Execution: { Name: this.record.runId } };

    const items = await this.readItems(map.ItemReader, input, context);
    const { ProcessorConfig: _config, ...processor } = map.ItemProcessor;
    // Validated with the whole definition (see execute); the interpreter's Parallel state builds each
    // branch's machine without validation too.
    const child = new StateMachine(processor as never, { validationOptions: { noValidate: true } });
    const prior = new Map<string, ChildRecord>();
    if (this.redriving) {
      const text = await readText(this.store, this.outputBucket, this.recordKey(`map-${name}`)).catch(
        () => undefined,
      );
      if (text)
        for (const c of (JSON.parse(text) as { children: ChildRecord[] }).children) prior.set(c.name, c);
    }
    const children: ChildRecord[] = childInputs(map, items, input, context).map((c) => {
      const childName = createHash('sha1')
        .update(`${name}:${JSON.stringify(c.input)}`)
        .digest('hex')
        .slice(0, 32);
      const before = prior.get(childName);
      return before?.status === 'SUCCEEDED'
        ? before
        : { name: childName, input: c.input, items: c.items, status: 'PENDING' };
    });
    const itemsOf = (c: ChildRecord) => c.items ?? 1;
    // Progress counts files once: a map that re-attempts failed files (RetryFailed) moves them from failed
    // to done instead of adding them again.
    const retrying = name !== STATES.convertFiles && !this.redriving;
    if (!retrying)
      this.progress.total += children
        .filter((c) => c.status !== 'SUCCEEDED')
        .reduce((n, c) => n + itemsOf(c), 0);
    const tolerated = toleratedFailures(map, items.length);
    let failed = 0;
    let next = 0;
    let stop = false;
    const limit = Math.max(1, Math.min(map.MaxConcurrency || children.length, this.record.concurrency));
    const retryIntervals = this.retryOverrides({
      States: Object.fromEntries(Object.keys(handlers).map((k) => [k, {}])),
    });
    const worker = async () => {
      while (!stop && !this.aborted && next < children.length) {
        const c = children[next++]!;
        if (c.status === 'SUCCEEDED') continue;
        const scope = invocationScope(handlers);
        try {
          const unreadable = await this.unreadableReason(c.input);
          if (unreadable) throw Object.assign(new Error(unreadable), { name: 'InputMissingError' });
          const machine = processorFor(processor, c.input);
          const execution = (
            machine === processor
              ? child
              : new StateMachine(machine as never, {
                  validationOptions: { noValidate: true },
                })
          ).run(c.input as never, {
            overrides: { taskResourceLocalHandlers: scope.handlers as never, ...retryIntervals },
            context: { Execution: { Name: c.name, Input: c.input } } as never,
          });
          c.output = await execution.result;
          c.status = 'SUCCEEDED';
          delete c.error;
          delete c.cause;
        } catch (error) {
          const f = failure(error);
          c.status = 'FAILED';
          c.error = f.name;
          c.cause = JSON.stringify({ errorType: f.name, errorMessage: f.message });
          failed += itemsOf(c);
          if (!retrying) this.progress.failed += itemsOf(c);
          if (failed > tolerated) stop = true;
        } finally {
          await scope.close();
        }
        if (!retrying) this.progress.done += itemsOf(c);
        else if (c.status === 'SUCCEEDED') this.progress.failed -= itemsOf(c);
        this.options.onProgress?.(this.progress);
      }
    };
    await Promise.all(Array.from({ length: limit }, worker));
    const location = await this.writeResults(name, map, children);
    // Written in pieces: a result file or record has an entry per child (tens of MB for 10,000 files).
    await writeStreaming(
      this.store,
      this.outputBucket,
      this.recordKey(`map-${name}`),
      jsonArrayPieces(`{"location":${JSON.stringify(location)},"children":`, children, '}'),
    );
    if (failed > tolerated) {
      const error = new Error(
        `The specified tolerated failure threshold was exceeded (${failed} of ${items.length} items failed)`,
      );
      error.name = 'States.ExceedToleratedFailureThreshold';
      throw error;
    }
    return location;
  }

  /**
   * Why a child's item cannot be read, when it is an entry the folder listing could not list as an object
   * (see UnreadableEntry): a folder that cannot be read, a link back to an enclosing folder. Such an item
   * fails here instead of reaching the suffix filter, which would report it ignored and lose the files in
   * it. In the retry map, or in a redrive by another process, the folder is looked at again.
   */
  private async unreadableReason(input: unknown): Promise<string | undefined> {
    for (const { key, etag } of keysOf(input)) {
      if (etag !== UNREADABLE_ETAG) continue;
      const known = this.unreadable.get(key);
      if (known) return known;
      const bucket = bucketOf(this.record.input, INPUT_BUCKET);
      const page = await this.store.list(bucket, key, { maxKeys: 1 });
      const again = (page.objects as (ObjectInfo & Partial<UnreadableEntry>)[]).find((o) => o.key === key);
      if (again?.unreadable) return again.unreadable;
      return (
        `${key}: could not be read when the run listed its input, and can be now; its files were not listed: ` +
        'start a new run (csv2lake run) to convert them'
      );
    }
    return undefined;
  }

  private async readItems(reader: Record<string, any>, input: unknown, context: unknown): Promise<unknown[]> {
    const params = evaluateTemplate(reader.Parameters, input, context) as {
      Bucket: string;
      Prefix?: string;
      Key?: string;
    };
    if (reader.Resource === 'arn:aws:states:::s3:listObjectsV2') {
      const items: unknown[] = [];
      let token: string | undefined;
      do {
        const page = await this.store.list(params.Bucket, params.Prefix ?? '', token ? { token } : {});
        for (const o of page.objects as (ObjectInfo & Partial<UnreadableEntry>)[]) {
          if (o.unreadable) this.unreadable.set(o.key, o.unreadable);
          items.push({
            Key: o.key,
            Etag: o.etag,
            Size: o.size,
            LastModified: o.lastModified?.toISOString(),
            StorageClass: 'STANDARD',
          });
        }
        token = page.nextToken;
      } while (token);
      return items;
    }
    if (reader.Resource === 'arn:aws:states:::s3:getObject' && reader.ReaderConfig?.InputType === 'JSON') {
      const items = JSON.parse(await readText(this.store, params.Bucket, params.Key!)) as unknown;
      if (!Array.isArray(items))
        throw Object.assign(new Error(`${params.Key} is not a JSON array`), {
          name: 'States.ItemReaderFailed',
        });
      return items;
    }
    throw new Error(`local runner: unsupported ItemReader ${reader.Resource}`);
  }

  /** Result files as the service writes them: manifest.json and SUCCEEDED_0/FAILED_0/PENDING_0.json. */
  private async writeResults(name: string, map: Record<string, any>, children: ChildRecord[]) {
    const writer = map.ResultWriter?.Parameters as { Bucket: string; Prefix: string } | undefined;
    const mapRunId = `${this.record.runId}-${name}`;
    const mapRunArn = `arn:aws:states:local:000000000000:mapRun:csv2lake/${this.record.runId}:${name}`;
    if (!writer) return { MapRunArn: mapRunArn };
    const base = `${writer.Prefix.replace(/\/$/, '')}/${mapRunId}`;
    const files: Record<string, { Key: string; Size: number }[]> = { FAILED: [], PENDING: [], SUCCEEDED: [] };
    for (const status of ['SUCCEEDED', 'FAILED', 'PENDING'] as const) {
      const entries = function* () {
        for (const c of children) {
          if (c.status !== status) continue;
          yield {
            ExecutionArn: `arn:aws:states:local:000000000000:execution:csv2lake/${mapRunId}:${c.name}`,
            Name: c.name,
            Input: JSON.stringify(c.input),
            InputDetails: { Included: true },
            Status: status,
            ...(c.output !== undefined
              ? { Output: JSON.stringify(c.output), OutputDetails: { Included: true } }
              : {}),
            ...(c.error ? { Error: c.error, Cause: c.cause } : {}),
          };
        }
      };
      const key = `${base}/${status}_0.json`;
      const { size } = await writeStreaming(
        this.store,
        writer.Bucket,
        key,
        jsonArrayPieces('', entries(), ''),
      );
      files[status]!.push({ Key: key, Size: size });
    }
    const manifestKey = `${base}/manifest.json`;
    await this.store.put(
      writer.Bucket,
      manifestKey,
      JSON.stringify({ DestinationBucket: writer.Bucket, MapRunArn: mapRunArn, ResultFiles: files }),
    );
    return { MapRunArn: mapRunArn, ResultWriterDetails: { Bucket: writer.Bucket, Key: manifestKey } };
  }
}

function reportPathOf(out: Location, runId: string): string {
  return out.kind === 'dir'
    ? join(out.path, '_runs', runId, 'report.json')
    : `s3://${out.bucket}/_runs/${runId}/report.json`;
}

function reducerEnv(run: object): NodeJS.ProcessEnv {
  return { CSV2LAKE_DEFAULT_RUN: JSON.stringify(run) };
}

/** A location as a user wrote it. */
export function describe(location: Location): string {
  return location.kind === 'dir' ? location.path : `s3://${location.bucket}/${location.prefix}`;
}

export type { ConvertItem };
