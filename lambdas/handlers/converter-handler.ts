import type { S3Client } from '@aws-sdk/client-s3';
import type { OutputFormat } from '../core/model/options';
import type { ObjectStore } from '../io/object-store';
import { s3ObjectStore } from '../io/s3-store';
import { converterConfig, ENV, s3ClientConfig } from '../shared/config';
import { RUN_METRICS } from '../shared/metrics-names';
import { logger, metrics } from '../shared/observability';
import type { ConvertBatch, ConvertItem, ConvertResult } from '../shared/payloads';
import { convertBatch, type IgnoredKey, isBatch } from './convert-batch';
import { convertItem } from './convert-item';
import {
  convertRangeItem,
  isJoinItem,
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
 * Builds a converter handler for one format. Dependencies default to the real ones (an S3 store with one
 * keep-alive client per container, configuration from the environment); tests and the local runner pass
 * their own.
 */
export function createConverterHandler(
  format: OutputFormat,
  deps: Partial<Omit<RangedDeps, 'config'>> & { store?: ObjectStore; env?: NodeJS.ProcessEnv } = {},
): ConverterHandler {
  const env = deps.env ?? process.env;
  const config = converterConfig({ ...env, [ENV.FORMAT]: format });
  const clientConfig = s3ClientConfig(env);
  let store = deps.store;
  // For range items and joins on S3 (ranged GETs pinned to the ETag, UploadPartCopy): one per container.
  let s3: S3Client | undefined;
  // Loaded on first use, as s3ObjectStore does: a thread that only touches folders never loads the SDK.
  const s3Client =
    deps.s3 ??
    (() =>
      (s3 ??= // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, see above
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
    store ??= s3ObjectStore(clientConfig);
    const run = isBatch(event) ? event.BatchInput.run : event.run;
    logger.appendKeys({ runId: run.runId, format });
    const itemDeps: RangedDeps = {
      ...deps,
      store,
      config,
      s3: s3Client,
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
