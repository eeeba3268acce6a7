/*
 * What a local run writes and reads about itself, under its output (`_runs/<run id>/local/`): its record
 * (status, process and heartbeat, where a redrive resumes, the options it was started with), read back by
 * `csv2lake status` and `csv2lake redrive`.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { CsvDialectOptions, OutputFormat } from '../../lambdas/core/model/options';
import type { ObjectStore } from '../../lambdas/io/object-store';
import { readText } from '../../lambdas/io/object-text';
import { processAlive } from '../../lambdas/io/temp-files';
import { runFileKey } from '../../lambdas/shared/run-keys';
import { type RunOrigin, shellWord } from '../../lambdas/handlers/report/origin';
import { WORKFLOW_DEFAULTS } from '../workflow/defaults';
import { bucketOf, type Location, OUTPUT_BUCKET, storesFor } from './stores';

/** Run state kept under the output, so that a run can be inspected and redriven later. */
export interface RunRecord {
  runId: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  /**
   * The process that runs it, on which machine, and when it last said so (every {@link HEARTBEAT_MS}): a
   * RUNNING record whose process is gone, or whose heartbeat stopped, is a run that died (kill -9, a crash,
   * a power cut), which {@link statusOf} reports ABORTED and a redrive resumes.
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
  /** Kept so that a redrive splits the files as the run did. */
  rangeBytes?: number;
  concurrency: number;
  failedState?: string;
  failedInput?: unknown;
  error?: { name: string; message: string };
}

/** The record of a new run, from the options it was started with (the defaults filled in). */
export function newRunRecord(
  runId: string,
  options: {
    readonly input: Location;
    readonly output: Location;
    readonly formats?: readonly OutputFormat[];
    readonly schemaLocation?: string;
    readonly datasetPattern?: string;
    readonly csv?: CsvDialectOptions;
    readonly nullTokens?: readonly string[];
    readonly rangeBytes?: number;
    readonly concurrency?: number;
  },
): RunRecord {
  return {
    runId,
    status: 'RUNNING',
    input: options.input,
    output: options.output,
    formats: [...(options.formats ?? WORKFLOW_DEFAULTS.formats)],
    ...(options.schemaLocation ? { schemaLocation: options.schemaLocation } : {}),
    ...(options.datasetPattern ? { datasetPattern: options.datasetPattern } : {}),
    ...(options.csv && Object.keys(options.csv).length > 0 ? { csv: options.csv } : {}),
    ...(options.nullTokens ? { nullTokens: options.nullTokens } : {}),
    ...(options.rangeBytes ? { rangeBytes: options.rangeBytes } : {}),
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
  };
}

/** Files converted at once by a local run, unless its options say otherwise. */
export const DEFAULT_CONCURRENCY = 16;

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
  /** The command that redrives it, when it can be (see {@link redriveCommand}). */
  readonly redrive?: string;
  readonly error?: { readonly name: string; readonly message: string };
  readonly reportPath: string;
}

/** The key of a file of the run's own (`run` for its record, `map-<name>` for a map's children). */
export function runRecordKey(runId: string, name: string): string {
  return runFileKey(runId, `local/${name}.json`);
}

/** Where the run's report.json is, as a user finds it. */
export function reportPathOf(out: Location, runId: string): string {
  return out.kind === 'dir'
    ? join(out.path, runFileKey(runId, 'report.json'))
    : `s3://${out.bucket}/${runFileKey(runId, 'report.json')}`;
}

/** A location as a user wrote it. */
export function describe(location: Location): string {
  return location.kind === 'dir' ? location.path : `s3://${location.bucket}/${location.prefix}`;
}

/**
 * The exact command that redrives the run, with the options it needs that its record does not keep: the
 * output (where the record is) and, for s3:// locations, the endpoint, region and profile it ran with (the
 * CSV options, schema, pattern, formats and concurrency are in the record). Words quoted for a POSIX shell.
 */
export function redriveCommand(
  record: Pick<RunRecord, 'runId' | 'input' | 'output'>,
  endpoint: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const words = ['csv2lake', 'redrive', record.runId, '--output', describe(record.output)];
  if (record.input.kind === 's3' || record.output.kind === 's3') {
    if (endpoint) words.push('--endpoint-url', endpoint);
    if (env.AWS_REGION) words.push('--region', env.AWS_REGION);
    if (env.AWS_PROFILE) words.push('--profile', env.AWS_PROFILE);
  }
  return words.map(shellWord).join(' ');
}

/** What the run's report says of where it came from: its input as the user named it, its redrive command. */
export function runOrigin(
  record: Pick<RunRecord, 'runId' | 'input' | 'output'>,
  endpoint: string | undefined,
): RunOrigin {
  return {
    input: describe(record.input),
    ...(record.input.kind === 's3' && endpoint ? { endpoint } : {}),
    redrive: { kind: 'local', command: redriveCommand(record, endpoint) },
  };
}

/** An error as a record keeps it: the interpreter's ExecutionError names the state's own error. */
export function failure(error: unknown): { name: string; message: string } {
  const e = error as Error & { cause?: unknown };
  const inner = e?.name === 'ExecutionError' && e.cause instanceof Error ? e.cause : e;
  return { name: inner?.name ?? 'Error', message: inner?.message ?? String(error) };
}

/** A run's record, read back. @throws Error naming the file when there is none */
export async function readRunRecord(
  runId: string,
  output: Location,
  endpoint: string | undefined,
): Promise<RunRecord> {
  const probe = storesFor({ input: output, output }, endpoint);
  const key = runRecordKey(runId, 'run');
  const text = await readText(probe, bucketOf(output, OUTPUT_BUCKET), key).catch(() => undefined);
  if (!text) throw new Error(`no local run ${runId} under ${describe(output)} (looked for ${key})`);
  return JSON.parse(text) as RunRecord;
}

/**
 * The status of a run from its record: RUNNING, SUCCEEDED, FAILED, or ABORTED (interrupted, or died); its
 * report under `output`, where the record was read.
 */
export function statusOf(record: RunRecord, output: Location, endpoint: string | undefined): LocalRunStatus {
  const died = deathOf(record);
  const resumeAt =
    record.status === 'SUCCEEDED'
      ? undefined
      : record.status === 'FAILED'
        ? record.failedState
        : record.enteredState;
  return {
    runId: record.runId,
    status: died ? 'ABORTED' : record.status,
    ...(died ? { died } : {}),
    ...(record.pid !== undefined ? { pid: record.pid } : {}),
    ...(record.host ? { host: record.host } : {}),
    ...(record.heartbeatAt ? { heartbeatAt: record.heartbeatAt } : {}),
    ...(resumeAt && (died || record.status !== 'RUNNING')
      ? { resumeAt, redrive: redriveCommand({ ...record, output }, endpoint) }
      : {}),
    ...(record.error ? { error: record.error } : {}),
    reportPath: reportPathOf(output, record.runId),
  };
}

/**
 * Where a redrive of the run resumes, and with which input: a run that failed, at the state that failed; one
 * that was stopped or died, at the state it was in (a map then runs again the children it had not recorded;
 * their finished outputs are skipped as unchanged), or from the start (no state) when it died before its
 * first task, under its own run id.
 * @throws Error for a run that succeeded, failed before any task ran, or is still running
 */
export function resumePoint(record: RunRecord): { startAt?: string; input: unknown } {
  const { runId } = record;
  if (record.status === 'RUNNING' && !deathOf(record))
    throw new Error(
      `run ${runId} is RUNNING (pid ${record.pid} on ${record.host}, heartbeat ${record.heartbeatAt}): ` +
        'wait for it to end, or stop it (Ctrl-C, kill), then redrive it',
    );
  if (record.status === 'SUCCEEDED') throw new Error(`run ${runId} is SUCCEEDED: nothing to redrive`);
  if (record.status === 'FAILED' && !record.failedState)
    throw new Error(`run ${runId} is FAILED before any task ran (invalid input?): nothing to redrive`);
  const [startAt, input] =
    record.status === 'FAILED'
      ? [record.failedState, record.failedInput]
      : [
          record.failedState ?? record.enteredState,
          record.failedState ? record.failedInput : record.enteredInput,
        ];
  return startAt ? { startAt, input } : { input: {} };
}

/** Writes a run's record, one write after another, and says in one line when it cannot. */
export class RunRecordWriter {
  /** Record writes, one after another: a heartbeat must not land after the final record. */
  private saving: Promise<void> = Promise.resolve();
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly bucket: string,
    readonly record: RunRecord,
    /** The endpoint the run reaches s3:// locations at (not kept in the record), for its redrive command. */
    private readonly endpoint?: string,
  ) {}

  /** The command that redrives the run. */
  get redrive(): string {
    return redriveCommand(this.record, this.endpoint);
  }

  /**
   * Writes the record (a snapshot of it now), after any write still in flight.
   * @throws Error in one line, naming the run and the file, when it cannot be written (a full disk)
   */
  save(): Promise<void> {
    const text = JSON.stringify(this.record, null, 1);
    const key = runRecordKey(this.record.runId, 'run');
    const saved = this.saving.then(async () => {
      try {
        await this.store.put(this.bucket, key, text);
      } catch (error) {
        throw this.cannotWrite(error, `its record ${key}`);
      }
    });
    // The next write waits for this one, failed or not.
    this.saving = saved.catch(() => undefined);
    return saved;
  }

  /** Records this process as the one running the run, and rewrites the record every {@link HEARTBEAT_MS}. */
  async start(): Promise<void> {
    const { record } = this;
    record.status = 'RUNNING';
    record.pid = process.pid;
    record.host = hostname();
    record.heartbeatAt = new Date().toISOString();
    await this.save();
    this.heartbeat = setInterval(() => {
      record.heartbeatAt = new Date().toISOString();
      // A heartbeat that cannot be written is not the run's failure; the record written at its end says it.
      this.save().catch(() => undefined);
    }, HEARTBEAT_MS).unref();
  }

  /** Stops the heartbeat (the final record is then written by {@link save}). */
  stop(): void {
    clearInterval(this.heartbeat);
  }

  /** A write of the runner's own that failed, as one line naming the run, what it wrote and what to do. */
  cannotWrite(error: unknown, what: string): Error {
    const { runId, output } = this.record;
    return new Error(
      `run ${runId}: could not write ${what} under ${describe(output)}: ${(error as Error).message}. ` +
        `Once it can be written, ${this.redrive}`,
      { cause: error },
    );
  }
}
