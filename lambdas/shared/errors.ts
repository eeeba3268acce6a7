/*
 * Error classes the workflow acts on by name (Step Functions matches Lambda errors on `errorType`, the
 * thrown error's `name`): data errors are never retried, transient ones are.
 */
import { Csv2LakeError } from '../core/errors';

export {
  Csv2LakeError,
  DataError,
  EmptyInputError,
  InvalidOptionsError,
  MalformedCsvError,
  SchemaMismatchError,
  UnsupportedEncodingError,
} from '../core/errors';

/** S3 answered 5xx, SlowDown or throttling, or the connection broke: a retry may succeed. */
export class S3TransientError extends Csv2LakeError {}

/** The input object disappeared between listing and conversion: nothing to retry. */
export class InputMissingError extends Csv2LakeError {}

/** The input is too large to convert within the function's time limit at the measured throughput. */
export class InputTooLargeError extends Csv2LakeError {}

/** An output key would exceed S3's 1,024-byte key limit: the input key (or the output prefix) must be shorter. */
export class OutputKeyTooLongError extends Csv2LakeError {}

/** S3's limit on a key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/**
 * Some items of a batch failed with errors a retry will not fix (each is in its record and the report).
 * The child fails, so the Distributed Map counts it and a redrive re-runs the batch; its items that
 * succeeded are then skipped as unchanged.
 */
export class BatchItemsFailedError extends Csv2LakeError {}

/** Error names the state machine retries with backoff and jitter. */
export const RETRYABLE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.Unknown',
  'States.Timeout',
  'S3TransientError',
] as const;

/** Data error names: never retried; the item fails and is reported. */
export const DATA_ERRORS = [
  'MalformedCsvError',
  'UnsupportedEncodingError',
  'EmptyInputError',
  'SchemaMismatchError',
  'InvalidOptionsError',
  'InputMissingError',
  'InputTooLargeError',
  'OutputKeyTooLongError',
  'BatchItemsFailedError',
] as const;

const TRANSIENT_CODES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'InternalError',
  'ServiceUnavailable',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNREFUSED',
  'TimeoutError',
]);

/** Whether an S3 SDK or network error is worth retrying. */
export function isTransientS3Error(error: unknown): boolean {
  const e = error as {
    name?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
  };
  const status = e?.$metadata?.httpStatusCode ?? 0;
  return (
    status >= 500 ||
    status === 429 ||
    TRANSIENT_CODES.has(e?.name ?? '') ||
    TRANSIENT_CODES.has(e?.code ?? '') ||
    Boolean(e?.$retryable)
  );
}

/** Wraps an S3 error as {@link S3TransientError} when a retry may help; otherwise returns it unchanged. */
export function classifyS3Error(error: unknown, what: string): unknown {
  if (isTransientS3Error(error)) {
    const e = error as Error;
    return new S3TransientError(`${what}: ${e.name}: ${e.message}`, { cause: error });
  }
  return error;
}
