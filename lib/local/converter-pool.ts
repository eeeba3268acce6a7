import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { OutputFormat } from '../../lambdas/core/model/options';
import type { FunctionSettings } from './invocation';
import type { Location } from './stores';

/** What a converter thread is started with (its `workerData`). */
export interface ConverterThreadData {
  readonly input: Location;
  readonly output: Location;
  readonly endpoint?: string;
}

/** A message from a converter thread: the answer to one invocation. */
interface Answer {
  readonly id: number;
  readonly result?: unknown;
  readonly error?: { readonly name: string; readonly message: string };
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  /** Stops the thread when the invocation outlives the function's timeout. */
  readonly timer?: NodeJS.Timeout;
}

interface Slot {
  readonly worker: Worker;
  /** Invocations sent to this thread and not answered yet. */
  readonly pending: Map<number, Pending>;
  /** The thread has exited: the next invocation given to this slot starts a new one. */
  dead?: boolean;
}

function named(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

/**
 * Converter threads: conversions are CPU-bound, so the local runner spreads them over worker threads running
 * the same handler module as the Lambdas (`convert-worker.cjs`, which `npm run build` puts beside the bundle).
 *
 * Every invocation is answered, whatever happens to its thread, as Lambda answers every Invoke: one that
 * runs past its function's timeout fails with `Sandbox.Timedout` and its thread is stopped; a thread that
 * dies fails its invocations with `Runtime.ExitError` (`Runtime.OutOfMemory` when it outgrew its heap) and
 * is replaced by a fresh one at the next invocation, as Lambda replaces a crashed sandbox; {@link stop}
 * fails those still in flight. A Task state's timeout timer is cleared only when its invocation settles,
 * so an invocation left unanswered would keep the process alive for the task's whole `TimeoutSeconds`.
 */
export class ConverterPool {
  /**
   * Conversions a thread interleaves, so that one waiting on a read or on S3 leaves the thread to another.
   * Two, not more: a folder store's calls are synchronous, and four in flight cost ~25% more CPU over 1,000
   * small files (user 12.8-13.4 s against 10.0-10.5 with one or two), buffers of more conversions alive.
   */
  static readonly PER_THREAD = 2;
  private readonly slots: Slot[] = [];
  private readonly waiting: (() => void)[] = [];
  private settings: Record<OutputFormat, FunctionSettings> | undefined;
  private next = 0;
  private stopped = false;

  /**
   * Starts the threads of the bundle's `convert-worker.cjs` beside `dir`, one per core and at most one per
   * two conversions of the run's concurrency; none when the script is not there (run from the sources).
   */
  static start(dir: string, concurrency: number, data: ConverterThreadData): ConverterPool | undefined {
    const script = join(dir, 'convert-worker.cjs');
    if (!existsSync(script)) return undefined;
    const size = Math.max(
      1,
      Math.min(Math.ceil(concurrency / ConverterPool.PER_THREAD), availableParallelism()),
    );
    // V8 sizes a thread's old generation from its first live heap (~10 MB with the handler's modules), and
    // then the megabytes of buffers each conversion allocates set off a full collection every few files:
    // 828 mark-compacts over 2,000 small conversions in one thread, ~40% of its time. Read by every isolate
    // created from here on (the converter threads), not by the running one.
    setFlagsFromString('--initial-old-space-size=128');
    return new ConverterPool(script, size, data);
  }

  /** @param script a converter thread's script: it answers `{id, format, payload}` with `{id, result | error}` */
  constructor(
    private readonly script: string,
    size: number,
    private readonly data: unknown,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const slot: Slot = { worker: new Worker(this.script, { workerData: this.data }), pending: new Map() };
    slot.worker.on('message', (answer: Answer) => {
      const p = slot.pending.get(answer.id);
      if (!p) return;
      slot.pending.delete(answer.id);
      clearTimeout(p.timer);
      this.waiting.shift()?.();
      if (answer.error) p.reject(named(answer.error.name, answer.error.message));
      else p.resolve(answer.result);
    });
    let crash: Error | undefined;
    slot.worker.on('error', (error: Error & { code?: string }) => {
      crash =
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? named('Runtime.OutOfMemory', `the converter thread ran out of memory: ${error.message}`)
          : named('Runtime.ExitError', `the converter thread crashed: ${error.name}: ${error.message}`);
    });
    slot.worker.on('exit', (code) => {
      slot.dead = true;
      this.fail(slot, crash ?? named('Runtime.ExitError', `the converter thread exited with code ${code}`));
    });
    // The threads never keep the process alive: a run ends when its work is done.
    slot.worker.unref();
    return slot;
  }

  private replace(dead: Slot): Slot {
    const fresh = this.spawn();
    if (this.settings) fresh.worker.postMessage({ configure: this.settings });
    this.slots[this.slots.indexOf(dead)] = fresh;
    return fresh;
  }

  private fail(slot: Slot, error: Error): void {
    const pending = [...slot.pending.values()];
    slot.pending.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      this.waiting.shift()?.();
      p.reject(error);
    }
  }

  /**
   * An invocation ran past its function's timeout: as Lambda stops the sandbox, the thread is stopped and
   * the invocation fails with `Sandbox.Timedout`; another conversion on the thread fails with it.
   */
  private timedOut(slot: Slot, id: number, timeoutMs: number): void {
    const p = slot.pending.get(id);
    if (!p) return;
    slot.pending.delete(id);
    slot.dead = true;
    p.reject(named('Sandbox.Timedout', `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`));
    this.fail(
      slot,
      named(
        'Runtime.ExitError',
        "its converter thread was stopped: another conversion on it ran past the function's timeout",
      ),
    );
    void slot.worker.terminate();
  }

  /** The converters' environment and timeout, known once the stack is synthesized; sent before any item. */
  configure(settings: Record<OutputFormat, FunctionSettings>): void {
    this.settings = settings;
    for (const { worker } of this.slots) worker.postMessage({ configure: settings });
  }

  /** Invokes a converter on the least busy thread, waiting while every thread has {@link PER_THREAD}. */
  async run(format: OutputFormat, payload: unknown): Promise<unknown> {
    const least = () => this.slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    while (!this.stopped && least().pending.size >= ConverterPool.PER_THREAD)
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.stopped)
      throw named('Runtime.ExitError', 'the local run is over: its converter threads are stopped');
    let slot = least();
    // Replaced on demand, not when it dies: a thread that cannot start is not restarted in a loop.
    if (slot.dead) slot = this.replace(slot);
    const id = this.next++;
    const timeoutMs = this.settings?.[format].timeoutMs;
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => this.timedOut(slot, id, timeoutMs), timeoutMs).unref();
      slot.pending.set(id, { resolve, reject, ...(timer ? { timer } : {}) });
      slot.worker.postMessage({ id, format, payload });
    });
  }

  /** Stops the threads. An invocation still in flight fails with `Runtime.ExitError`; later ones too. */
  async stop(): Promise<void> {
    this.stopped = true;
    const error = named('Runtime.ExitError', 'the local run ended while this conversion was in flight');
    for (const slot of this.slots) this.fail(slot, error);
    for (const resume of this.waiting.splice(0)) resume();
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
