import type { OutputFormat } from '../core/convert';
import type { ObjectStore } from '../io/object-store';
import { createS3Client, S3ObjectStore } from '../io/s3-object-store';
import { converterConfig, ENV } from '../shared/config';
import { logger, metrics } from '../shared/observability';
import type { ConvertItem, ConvertResult } from '../shared/payloads';
import { convertItem, type ConverterDeps } from './convert-item';

/** The Lambda context fields a converter uses. */
export interface ConverterContext {
  getRemainingTimeInMillis(): number;
}

/**
 * Builds a converter handler for one format. Dependencies default to the real ones (an S3 store with one
 * keep-alive client per container, configuration from the environment); tests and the local runner pass
 * their own.
 */
export function createConverterHandler(
  format: OutputFormat,
  deps: Partial<Omit<ConverterDeps, 'config'>> & { store?: ObjectStore; env?: NodeJS.ProcessEnv } = {},
): (event: ConvertItem, context?: ConverterContext) => Promise<ConvertResult> {
  const config = converterConfig({ ...(deps.env ?? process.env), [ENV.FORMAT]: format });
  let store = deps.store;
  return async (event, context) => {
    store ??= new S3ObjectStore(createS3Client());
    logger.appendKeys({ runId: event.run.runId, key: event.key, format });
    try {
      const result = await convertItem(
        {
          ...deps,
          store,
          config,
          log: (message, fields) => logger.info(message, fields),
          ...(context ? { remainingMs: () => context.getRemainingTimeInMillis() } : {}),
        },
        event,
      );
      metrics.addMetric(result.status === 'skipped' ? 'FilesSkipped' : 'FilesConverted', 'Count', 1);
      metrics.addMetric('RowsConverted', 'Count', result.rows ?? 0);
      metrics.addMetric('RejectedRows', 'Count', result.rejectedRows ?? 0);
      metrics.addMetric('BytesIn', 'Bytes', result.bytesIn ?? 0);
      metrics.addMetric('BytesOut', 'Bytes', result.bytesOut ?? 0);
      return result;
    } catch (error) {
      metrics.addMetric('FilesFailed', 'Count', 1);
      logger.error('conversion failed', error as Error);
      throw error;
    } finally {
      metrics.publishStoredMetrics();
      logger.removeKeys(['runId', 'key', 'format']);
    }
  };
}
