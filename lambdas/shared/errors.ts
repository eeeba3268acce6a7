/*
 * Error classes the workflow acts on by name (Step Functions matches Lambda errors on `errorType`, the
 * thrown error's `name`): data errors are never retried, transient ones are.
 */
import { Csv2LakeError } from '../core/model/errors';

export {
  Csv2LakeError,
  DataError,
  EmptyInputError,
  InvalidOptionsError,
  MalformedCsvError,
  SchemaMismatchError,
  UnsupportedEncodingError,
} from '../core/model/errors';

/** S3 answered 5xx, SlowDown or throttling, or the connection broke: a retry may succeed. */
export class S3TransientError extends Csv2LakeError {}

/** The input object disappeared between listing and conversion: nothing to retry. */
export class InputMissingError extends Csv2LakeError {}

/**
 * The input changed while it was read (a folder's file rewritten in place), or its formats were converted
 * from two versions. Retried: a later attempt reads one version whole.
 */
export class InputChangedError extends Csv2LakeError {}

/** The input is too large to convert within the function's time limit at the measured throughput. */
export class InputTooLargeError extends Csv2LakeError {}

/** An output key would exceed S3's 1,024-byte key limit: the input key (or the output prefix) must be shorter. */
export class OutputKeyTooLongError extends Csv2LakeError {}

/**
 * An input key that the dataset key pattern cannot place (not under the configured prefix, or not matching
 * the pattern): the key or the pattern must change.
 */
export class DatasetLayoutError extends Csv2LakeError {}

/**
 * A dataset's stored schema kept changing under this writer (its conditional write lost the race too many
 * times): retried, a later attempt merges into the newer schema.
 */
export class SchemaConflictError extends Csv2LakeError {}

/** S3's limit on a key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/**
 * Some items of a batch failed with errors a retry will not fix (each is in its record and the report).
 * The child fails, so the Distributed Map counts it and a redrive re-runs the batch; its items that
 * succeeded are then skipped as unchanged.
 */
export class BatchItemsFailedError extends Csv2LakeError {}

/**
 * Lambda service errors of the Invoke call itself (the 500s and throttling that the Step Functions guide,
 * "Handle Lambda service exceptions", recommends retrying): the function did not run, or its answer was lost.
 */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;

/** Error names the state machine retries with backoff and jitter: a later attempt may well succeed. */
export const RETRYABLE_ERRORS = [
  ...LAMBDA_SERVICE_ERRORS,
  'S3TransientError',
  'InputChangedError',
  'SchemaConflictError',
] as const;

/**
 * The task's own `TimeoutSeconds` elapsed. It is set 30 s above the function's timeout, so the function
 * did not answer even when Lambda would have stopped it: retried once, never more.
 */
export const TASK_TIMEOUT_ERRORS = ['States.Timeout'] as const;

/**
 * The function was stopped by Lambda: it ran out of memory or out of time (`Lambda.Unknown` when the
 * runtime reports no type, as the Step Functions guide says of out-of-memory errors and function
 * timeouts). The same input with the same memory and time limit meets the same end: never retried within
 * a task. The retry map gives the file its second attempt, in a new invocation.
 */
export const FUNCTION_KILLED_ERRORS = ['Lambda.Unknown', 'Sandbox.Timedout', 'Runtime.OutOfMemory'] as const;

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
  'DatasetLayoutError',
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
