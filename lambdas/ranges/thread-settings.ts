/*
 * How many threads a converter converts one key on, and from what size: the settings, read from the
 * environment (the converter reads them when it is built, loud when invalid).
 */
import { availableParallelism } from 'node:os';
import { ENV } from '../shared/config';

/**
 * Lambda's memory for one vCPU: "at 1,769 MB, a function has the equivalent of one vCPU (one vCPU-second of
 * credits per second)" (AWS Lambda developer guide, configuring function memory); CPU grows in proportion
 * up to 10,240 MB (6 vCPUs).
 */
export const LAMBDA_MB_PER_VCPU = 1769;

/**
 * The default size from which a key is converted on several threads: 64 MiB. Below it the threads' fixed
 * costs weigh: starting them (each loads the converter's bundle: ~0.1-0.3 s of CPU), reading the head
 * twice, a part object per range (a multipart upload each), the join's requests and the parts' deletion;
 * at the ~40 MB/s a vCPU converts, 64 MiB is ~1.7 s of work, of which a second vCPU saves ~0.8 s.
 */
export const DEFAULT_THREADS_MIN_BYTES = 64 << 20;

/**
 * The threads `auto` gives: the function's vCPU credits rounded (memory / 1,769 MB: 1 at the default
 * 1,769 MB, 2 from 2,654 MB, 3 from 4,423 MB, …), at most the cores the system shows. Lambda shows 2 cores
 * from 128 MB on (more from ~3 GB: measured by others, not documented), but below 1,769 MB × 1.5 two
 * threads share less than 1.5 vCPUs of credits and gain too little for their cost: two threads spend
 * 22-36% more CPU than one on the same key (test/bench/range-s3-threads.ts), so they beat one thread only
 * above ~1.22-1.36 vCPUs of credits; 1.5 leaves a margin. Outside Lambda (no
 * `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`), the cores.
 */
export function autoThreads(env: NodeJS.ProcessEnv, cores = availableParallelism()): number {
  const memory = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  if (!(memory > 0)) return Math.max(1, cores);
  return Math.max(1, Math.min(cores, Math.round(memory / LAMBDA_MB_PER_VCPU)));
}

/** The converter's thread settings. */
export interface ThreadSettings {
  readonly threads: number;
  readonly minBytes: number;
}

/**
 * Reads `ENV.THREADS` and `ENV.THREADS_MIN_BYTES` (lambdas/shared/config.ts).
 * @throws Error naming the variable when a value is not valid: a deployment mistake, loud at once
 */
export function threadSettings(env: NodeJS.ProcessEnv, cores = availableParallelism()): ThreadSettings {
  const text = env[ENV.THREADS] ?? '';
  let threads: number;
  if (text === '' || text === 'auto') threads = autoThreads(env, cores);
  else {
    threads = Number(text);
    if (!Number.isInteger(threads) || threads < 1)
      throw new Error(
        `${ENV.THREADS} must be auto or a whole number >= 1, not ${JSON.stringify(text)}`,
      );
  }
  const minText = env[ENV.THREADS_MIN_BYTES] ?? '';
  const minBytes = minText === '' ? DEFAULT_THREADS_MIN_BYTES : Number(minText);
  if (!Number.isSafeInteger(minBytes) || minBytes < 0)
    throw new Error(
      `${ENV.THREADS_MIN_BYTES} must be a whole number of bytes, not ${JSON.stringify(minText)}`,
    );
  return { threads, minBytes };
}

/** The `workerData` a range thread is started with: its role, which the converter's bundle checks. */
export const RANGE_THREAD = { csv2lake: 's3-range-thread' } as const;

/** Whether a thread's `workerData` makes it a range thread (see s3-range-thread.ts). */
export function isRangeThread(workerData: unknown): boolean {
  return (workerData as { csv2lake?: unknown } | null | undefined)?.csv2lake === RANGE_THREAD.csv2lake;
}
