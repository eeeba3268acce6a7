import { Worker } from 'node:worker_threads';
import type { ConvertOptions, OutputFormat } from '../core/model/options';
import type { PassOptions } from '../core/run/pass-options';
import type { FileHead } from './file-head';
import type { RangeJob } from './part-pass';
import type { PartRecord } from './part-record';

/** What every range a thread is sent carries besides where the file is: how to convert which range. */
export interface RangeOrder {
  readonly head: FileHead;
  readonly pass: PassOptions;
  readonly format: OutputFormat;
  readonly writer: Pick<
    ConvertOptions,
    'parquetCompression' | 'avroCodec' | 'rowGroupBytes' | 'avroBlockBytes'
  >;
  readonly job: RangeJob;
}

/** A worker thread's answer to one range: its record, or the error it threw (name and message kept). */
export type RangeAnswer = { record: PartRecord } | { error: { name: string; message: string } };

/**
 * Range conversions on worker threads, at most one per thread at a time. A thread that dies (its error
 * event: out of memory, a crash) fails the range it held and is replaced, so that the pool never hands a
 * range to a dead thread.
 */
export class RangePool<Task> {
  private readonly idle: Worker[] = [];
  private readonly waiting: ((w: Worker) => void)[] = [];
  private readonly all = new Set<Worker>();

  /**
   * @param script the worker's script (a bundle: a worker cannot load TypeScript)
   * @param size threads
   * @param workerData what each thread is started with (e.g. which role the script plays)
   */
  constructor(
    private readonly script: string,
    size: number,
    private readonly workerData?: unknown,
  ) {
    for (let i = 0; i < size; i++) this.idle.push(this.start());
  }

  private start(): Worker {
    const w = new Worker(this.script, this.workerData === undefined ? {} : { workerData: this.workerData });
    this.all.add(w);
    return w;
  }

  async run(task: Task): Promise<PartRecord> {
    let worker = this.idle.pop() ?? (await new Promise<Worker>((resolve) => this.waiting.push(resolve)));
    try {
      return await new Promise<PartRecord>((resolve, reject) => {
        const onError = (error: Error) => {
          worker.off('message', onMessage);
          this.all.delete(worker);
          void worker.terminate();
          worker = this.start();
          reject(error);
        };
        const onMessage = (answer: RangeAnswer) => {
          worker.off('error', onError);
          if ('record' in answer) resolve(answer.record);
          else reject(Object.assign(new Error(answer.error.message), { name: answer.error.name }));
        };
        worker.once('error', onError);
        worker.once('message', onMessage);
        worker.postMessage(task);
      });
    } finally {
      const next = this.waiting.shift();
      if (next) next(worker);
      else this.idle.push(worker);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.all].map((w) => w.terminate()));
  }
}
