import type { S3Client } from '@aws-sdk/client-s3';
import { isMainThread, workerData } from 'node:worker_threads';
import type { OutputFormat } from '../core/model/options';
import type { ObjectStore } from '../io/object-store';
import type { KeyThreads } from '../ranges/item-threads';
import { isRangeThread, threadSettings } from '../ranges/thread-settings';
import { converterConfig, ENV, s3ClientConfig } from '../shared/config';
import { RUN_METRICS } from '../shared/metrics-names';
import { logger, metrics } from '../shared/observability';
import { type ConvertBatch, type ConvertItem, type ConvertResult, isJoinItem } from '../shared/payloads';
import { convertBatch, type IgnoredKey, isBatch } from './convert-batch';
import { convertItem } from './convert-item';
import {
  convertRangeItem,
  isRangeItem,
  joinRangeItem,
  type PartStateResult,
  type RangedDeps,
} from './convert-ranged';
import { type ConvertStateResult, stateResult } from './state-result';

/** The Lambda context fields a converter uses. */
export interface ConverterContext {
  getRemainingTimeInMillis(): number;
}

/**
 * A converter handler: one item in, its result out; or an ItemBatcher batch in, every result out. Results
 * are the state machine's part only ({@link ConvertStateResult}); the full result is the item's record.
 */
export interface ConverterHandler {
  (event: ConvertItem, context?: ConverterContext): Promise<ConvertStateResult | PartStateResult>;
  (
    event: ConvertBatch,
    context?: ConverterContext,
  ): Promise<{ readonly results: readonly (ConvertStateResult | PartStateResult | IgnoredKey)[] }>;
}

/**
 * This module's file. In the deployed bundle it is the function's `index.js`, which is also the script of
 * its range threads (they serve ranges: see the end of this module), so the asset ships no other file; a
 * compiled `.js` module serves them too. From TypeScript sources (tests) there is none unless given.
 */
const OWN_SCRIPT = /\.c?js$/.test(__filename) ? __filename : undefined;

/**
 * Builds a converter handler for one format. Dependencies default to the real ones (an S3 store with one
 * keep-alive client per container, configuration from the environment); tests and the local runner pass
 * their own. With its own S3 store (as on Lambda), a large uncompressed key is converted on the threads
 * `CSV2LAKE_THREADS` gives (default: the vCPUs of the function's memory; see lambdas/ranges/item-threads.ts);
 * a given store (the local runner's, whose threads already convert several files at once) converts on one.
 * @param deps.threadScript the range threads' script, a bundle of a converter handler
 *   @default this module's file when it is JavaScript (the deployed bundle)
 */
export function createConverterHandler(
  format: OutputFormat,
  deps: Partial<Omit<RangedDeps, 'config'>> & {
    store?: ObjectStore;
    env?: NodeJS.ProcessEnv;
    threadScript?: string;
  } = {},
): ConverterHandler {
  const env = deps.env ?? process.env;
  const config = converterConfig({ ...env, [ENV.FORMAT]: format });
  const clientConfig = s3ClientConfig(env);
  // Read now, so that an invalid value fails the function at once, as every other variable does.
  const settings = threadSettings(env);
  let store = deps.store;
  let threads: KeyThreads | undefined = deps.threads;
  // One S3 client per container: the store's, the threads' and the range items' and joins' (ranged GETs
  // pinned to the ETag, UploadPartCopy). A given store (the local runner's) comes with its own or none.
  let s3: S3Client | undefined;
  const s3Client =
    deps.s3 ??
    (() =>
      // Loaded on first use (see below): a thread that only touches folders never loads the SDK.
      (s3 ??= // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand
        (require('../io/s3-object-store') as typeof import('../io/s3-object-store')).createS3Client(
          clientConfig,
        )));
  // Per invocation, under the converter's own service name (the alarms and the dashboard read the
  // reducer's run metrics, which count each file once per run).
  const publish = (result: ConvertResult) => {
    const m = RUN_METRICS;
    metrics.addMetric(result.status === 'skipped' ? m.filesSkipped : m.filesConverted, 'Count', 1);
    metrics.addMetric(m.rowsConverted, 'Count', result.rows ?? 0);
    metrics.addMetric(m.rejectedRows, 'Count', result.rejectedRows ?? 0);
    metrics.addMetric(m.bytesIn, 'Bytes', result.bytesIn ?? 0);
    metrics.addMetric(m.bytesOut, 'Bytes', result.bytesOut ?? 0);
    metrics.publishStoredMetrics();
  };
  const handle = async (
    event: ConvertItem | ConvertBatch,
    context?: ConverterContext,
  ): Promise<
    | ConvertStateResult
    | PartStateResult
    | { readonly results: readonly (ConvertStateResult | PartStateResult | IgnoredKey)[] }
  > => {
    if (!store) {
      // Loaded on first use: the SDK costs ~90 ms of CPU that a process given a folder store need not pay.
      /* eslint-disable @typescript-eslint/no-require-imports */
      const sdk = require('../io/s3-object-store') as typeof import('../io/s3-object-store');
      const ranges = require('../ranges/item-threads') as typeof import('../ranges/item-threads');
      /* eslint-enable @typescript-eslint/no-require-imports */
      const client = s3Client();
      store = new sdk.S3ObjectStore(client);
      threads ??= ranges.keyThreads(settings, client, clientConfig, deps.threadScript ?? OWN_SCRIPT);
    }
    const run = isBatch(event) ? event.BatchInput.run : event.run;
    logger.appendKeys({ runId: run.runId, format });
    const itemDeps: RangedDeps = {
      ...deps,
      store,
      config,
      s3: s3Client,
      ...(threads ? { threads } : {}),
      log: (message, fields) => logger.info(message, fields),
      ...(context ? { remainingMs: () => context.getRemainingTimeInMillis() } : {}),
    };
    // Per item: the key as a correlation key, its metrics and its failure logged once, here.
    const one = async (item: ConvertItem): Promise<ConvertStateResult | PartStateResult> => {
      logger.appendKeys({ key: item.key });
      try {
        // A range item's part is not a file: the key's join counts it (and records it) once.
        if (isRangeItem(item)) return await convertRangeItem(itemDeps, item);
        const result = isJoinItem(item)
          ? await joinRangeItem(itemDeps, item)
          : await convertItem(itemDeps, item);
        publish(result);
        return stateResult(result);
      } catch (error) {
        // No FilesFailed here: a failed attempt is not a failed file (the retry map may fix it). The run's
        // FilesFailed, what is still failed after the retry map, is the reducer's (the FailedFiles alarm).
        logger.error('conversion failed', error as Error);
        throw error;
      } finally {
        logger.removeKeys(['key']);
      }
    };
    try {
      return isBatch(event) ? await convertBatch(event, one) : await one(event);
    } finally {
      logger.removeKeys(['runId', 'format']);
    }
  };
  return handle as ConverterHandler;
}

// Started as a range thread of a converter (the bundle is its own thread script): serve ranges.
if (!isMainThread && isRangeThread(workerData))
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- only threads load it
  (require('../ranges/s3-range-thread') as typeof import('../ranges/s3-range-thread')).serveS3Ranges();
