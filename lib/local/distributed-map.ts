/* eslint-disable @typescript-eslint/no-explicit-any -- ASL documents are untyped JSON */
/*
 * The Distributed Map emulation. aws-local-stepfunctions ignores ItemReader, ItemBatcher, ResultWriter and
 * tolerated failures (see FIELD-NOTES), so the runner replaces each DISTRIBUTED Map by a task whose handler
 * is this: it lists the items (with pagination) or reads them from S3, applies ItemSelector and the batcher
 * (map-items.ts), runs each child as its own machine over the Map's ItemProcessor with bounded concurrency,
 * stops past the tolerated failures, and writes the result files as the service lays them out. Each map's
 * children are recorded under the run (`_runs/<run id>/local/map-<name>.json`), so that a redrive re-runs
 * only the children that did not succeed.
 */
import { createHash } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import { UNREADABLE_ETAG, type UnreadableEntry } from '../../lambdas/io/fs-object-store';
import type { ObjectInfo, ObjectStore } from '../../lambdas/io/object-store';
import { jsonArrayPieces, readText, writeStreaming } from '../../lambdas/io/object-text';
import type { MapResultLocation } from '../../lambdas/shared/payloads';
import { STATES } from '../workflow/definition';
import { invocationScope, retryOverrides } from './invocation';
import { evaluateTemplate } from './json-path';
import { processorFor } from './local-definition';
import { childInputs, toleratedFailures } from './map-items';
import { failure } from './run-record';

/** Progress of a run, for the progress bar. */
export interface Progress {
  total: number;
  done: number;
  failed: number;
  rows: number;
  bytes: number;
  startedAt: number;
}

/** A task state's local handler. */
export type StateHandler = (input: unknown) => Promise<unknown>;

/** One child execution of a map, as recorded (and as its result file entry is written). */
interface ChildRecord {
  name: string;
  input: unknown;
  /** Items carried (a batch carries several). */
  items?: number;
  /** Files they convert, for progress (see `ChildInput.files`). */
  files?: number;
  status: 'SUCCEEDED' | 'FAILED' | 'PENDING';
  output?: unknown;
  error?: string;
  cause?: string;
}

/** What the maps of one run share with the runner. */
export interface MapRunContext {
  readonly store: ObjectStore;
  readonly runId: string;
  /** The bucket the run lists (a folder's local bucket), where an unreadable entry is looked at again. */
  readonly inputBucket: string;
  readonly outputBucket: string;
  /** Children run at once, at most (the Map's MaxConcurrency bounds them too). */
  readonly concurrency: number;
  /** A redrive: the children a map's record says succeeded are not run again. */
  readonly redriving: boolean;
  /**
   * The state a redrive resumes at: only that map's first run re-runs just its unsuccessful children, as a
   * redriven Map Run does. A later run of a map (the retry maps go round in a loop) is a new Map Run, which
   * runs all its children even where an earlier run of the same map had the same child input.
   * @default every map's first run (a runner that does not say)
   */
  readonly resumeAt?: string;
  /** Files done and failed are counted here, and reported through `onProgress`. */
  readonly progress: Progress;
  readonly onProgress?: (progress: Progress) => void;
  /** Retry pause in ms instead of the definition's (for tests). @default the definition's */
  readonly retryIntervalMs?: number;
  /** Where a map's record of its children goes. */
  recordKey(name: string): string;
}

/** Keys of child inputs: one, or a batch's. */
function keysOf(input: unknown): { key: string; etag?: string }[] {
  const i = input as { key?: unknown; etag?: unknown; Items?: unknown[] };
  const items = Array.isArray(i?.Items) ? (i.Items as (typeof i)[]) : [i];
  return items
    .filter((x) => typeof x?.key === 'string')
    .map((x) => ({ key: x.key as string, ...(typeof x.etag === 'string' ? { etag: x.etag } : {}) }));
}

/** The Distributed Maps of one run (or redrive). */
export class LocalDistributedMaps {
  /** Listed entries that cannot be read (see UnreadableEntry), by key, with the reason. */
  private readonly unreadable = new Map<string, string>();
  /** Set when the run is aborted: maps start no more children. */
  private aborted = false;
  /** Maps still running: an aborted run waits for them before it reports. */
  private readonly active = new Set<Promise<unknown>>();
  /** Maps that have run in this process (a redrive resumes only each one's first run). */
  private readonly ran = new Set<string>();

  constructor(private readonly run: MapRunContext) {}

  /** The handler of the task state that stands for the map `name`, whose children call `handlers`. */
  handler(name: string, map: Record<string, any>, handlers: Record<string, StateHandler>): StateHandler {
    return (input) => {
      const running = this.runMap(name, map, input, handlers);
      this.active.add(running);
      const done = () => this.active.delete(running);
      running.then(done, done);
      return running;
    };
  }

  /** Starts no more children: those in flight end (their conversions are stopped by the runner). */
  abort(): void {
    this.aborted = true;
  }

  /** Settles once every map still running has ended. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.active]);
  }

  /** The result locations the maps `names` recorded (for the reducer of a run that did not succeed). */
  async resultLocations(names: readonly string[]): Promise<MapResultLocation[]> {
    const { store, outputBucket } = this.run;
    const locations: MapResultLocation[] = [];
    for (const name of names) {
      const text = await readText(store, outputBucket, this.run.recordKey(`map-${name}`)).catch(
        () => undefined,
      );
      if (text) locations.push((JSON.parse(text) as { location: MapResultLocation }).location);
    }
    return locations;
  }

  private async runMap(
    name: string,
    map: Record<string, any>,
    input: unknown,
    handlers: Record<string, StateHandler>,
  ): Promise<unknown> {
    const { run } = this;
    const { progress } = run;
    const context = { Execution: { Name: run.runId } };

    const items = await this.readItems(map.ItemReader, input, context);
    const { ProcessorConfig: _config, ...processor } = map.ItemProcessor;
    // Validated with the whole definition (see LocalRunner); the interpreter's Parallel state builds each
    // branch's machine without validation too.
    const child = new StateMachine(processor as never, { validationOptions: { noValidate: true } });
    const prior = new Map<string, ChildRecord>();
    const resumed = run.redriving && !this.ran.has(name) && (run.resumeAt ?? name) === name;
    this.ran.add(name);
    if (resumed) {
      const text = await readText(run.store, run.outputBucket, run.recordKey(`map-${name}`)).catch(
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
        : { name: childName, input: c.input, items: c.items, files: c.files, status: 'PENDING' };
    });
    const itemsOf = (c: ChildRecord) => c.items ?? 1;
    const filesOf = (c: ChildRecord) => c.files ?? itemsOf(c);
    // Progress counts files once: a map that re-attempts failed files (RetryFailed) moves them from failed
    // to done instead of adding them again; a file's range items count a share of it each.
    const retrying = name !== STATES.convertFiles && !run.redriving;
    if (!retrying)
      progress.total += children.filter((c) => c.status !== 'SUCCEEDED').reduce((n, c) => n + filesOf(c), 0);
    const tolerated = toleratedFailures(map, items.length);
    let failed = 0;
    let next = 0;
    let stop = false;
    const limit = Math.max(1, Math.min(map.MaxConcurrency || children.length, run.concurrency));
    const retryIntervals = retryOverrides(Object.keys(handlers), run.retryIntervalMs);
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
          if (!retrying) progress.failed += filesOf(c);
          if (failed > tolerated) stop = true;
        } finally {
          await scope.close();
        }
        if (!retrying) progress.done += filesOf(c);
        else if (c.status === 'SUCCEEDED') progress.failed -= filesOf(c);
        run.onProgress?.(progress);
      }
    };
    await Promise.all(Array.from({ length: limit }, worker));
    const location = await this.writeResults(name, map, children);
    // Written in pieces: a result file or record has an entry per child (tens of MB for 10,000 files).
    await writeStreaming(
      run.store,
      run.outputBucket,
      run.recordKey(`map-${name}`),
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
      const page = await this.run.store.list(this.run.inputBucket, key, { maxKeys: 1 });
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
    const { store } = this.run;
    const params = evaluateTemplate(reader.Parameters, input, context) as {
      Bucket: string;
      Prefix?: string;
      Key?: string;
    };
    if (reader.Resource === 'arn:aws:states:::s3:listObjectsV2') {
      const items: unknown[] = [];
      let token: string | undefined;
      do {
        const page = await store.list(params.Bucket, params.Prefix ?? '', token ? { token } : {});
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
      const items = JSON.parse(await readText(store, params.Bucket, params.Key!)) as unknown;
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
    const { store, runId } = this.run;
    const writer = map.ResultWriter?.Parameters as { Bucket: string; Prefix: string } | undefined;
    const mapRunId = `${runId}-${name}`;
    const mapRunArn = `arn:aws:states:local:000000000000:mapRun:csv2lake/${runId}:${name}`;
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
      const { size } = await writeStreaming(store, writer.Bucket, key, jsonArrayPieces('', entries(), ''));
      files[status]!.push({ Key: key, Size: size });
    }
    const manifestKey = `${base}/manifest.json`;
    await store.put(
      writer.Bucket,
      manifestKey,
      JSON.stringify({ DestinationBucket: writer.Bucket, MapRunArn: mapRunArn, ResultFiles: files }),
    );
    return { MapRunArn: mapRunArn, ResultWriterDetails: { Bucket: writer.Bucket, Key: manifestKey } };
  }
}
