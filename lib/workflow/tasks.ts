/*
 * The Lambda task states: both converters, the planner and the reducer, each with the one retry policy.
 */
import type { OutputFormat } from '../../lambdas/core/model/options';
import { FUNCTION_KILLED_ERRORS, RETRYABLE_ERRORS, TASK_TIMEOUT_ERRORS } from '../../lambdas/shared/errors';
import { placeholder, SUBSTITUTIONS } from './names';

/**
 * The Retry of every Lambda task: both converters, in every map, and both reducer states. Step Functions
 * scans the retriers in order and applies the first whose `ErrorEquals` names the error, each retrier
 * counting its own attempts; an error no retrier names is not retried. So every name appears in exactly one
 * retrier and no wildcard (`States.ALL`, `States.TaskFailed`) is used, which would also match data errors
 * and killed functions:
 * - transient errors (Lambda service errors, throttling, `S3TransientError`): 5 retries, exponential
 *   backoff from 2 s with full jitter, at most 60 s apart;
 * - `States.Timeout` (the task's own timeout, above the function's): 1 retry;
 * - a function killed for memory or time: 0 retries (`MaxAttempts: 0`, stated rather than left out);
 * - data errors and everything else: not named, so not retried.
 */
export function lambdaTaskRetry(): Record<string, unknown>[] {
  return [
    {
      ErrorEquals: [...RETRYABLE_ERRORS],
      IntervalSeconds: 2,
      MaxAttempts: 5,
      BackoffRate: 2,
      MaxDelaySeconds: 60,
      JitterStrategy: 'FULL',
    },
    { ErrorEquals: [...TASK_TIMEOUT_ERRORS], IntervalSeconds: 2, MaxAttempts: 1 },
    { ErrorEquals: [...FUNCTION_KILLED_ERRORS], MaxAttempts: 0 },
  ];
}

/** A converter of one format, the only state of its branch of the child's Parallel. */
export function converterTask(format: OutputFormat, timeoutSeconds: number): Record<string, unknown> {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: {
      FunctionName: placeholder(
        format === 'parquet' ? SUBSTITUTIONS.parquetFunction : SUBSTITUTIONS.avroFunction,
      ),
      'Payload.$': '$',
    },
    OutputPath: '$.Payload',
    TimeoutSeconds: timeoutSeconds,
    Retry: lambdaTaskRetry(),
    End: true,
  };
}

/**
 * The planner: lists the execution's prefix, leaves out the keys whose outputs are current, and writes the
 * keys to convert as a JSON array in the output bucket (lambdas/lake/plan.ts). Its answer is small: where the
 * array is and how many keys it holds.
 */
export function planTask(next: string): Record<string, unknown> {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: placeholder(SUBSTITUTIONS.planFunction), Payload: { 'run.$': '$.run' } },
    ResultSelector: {
      'itemsKey.$': '$.Payload.itemsKey',
      'planned.$': '$.Payload.planned',
      'joinsKey.$': '$.Payload.joinsKey',
      'split.$': '$.Payload.split',
    },
    ResultPath: '$.plan',
    TimeoutSeconds: 930,
    Retry: lambdaTaskRetry(),
    Next: next,
  };
}

/**
 * A reducer state. `final` says whether it is the execution's last reduction, the one that emits the run's
 * file counts (so FilesFailed counts only what the retry map did not fix): `'ifNoneFailed'` for `Reduce`,
 * which `AnyFailed` follows with `RetryFailed` only when files failed; `true` for `ReduceAfterRetry`.
 */
export function reduceTask(
  mapResults: string,
  final: true | 'ifNoneFailed',
  next: string,
): Record<string, unknown> {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: {
      FunctionName: placeholder(SUBSTITUTIONS.reduceFunction),
      Payload: { 'run.$': '$.run', 'mapResults.$': mapResults, final },
    },
    ResultSelector: { 'summary.$': '$.Payload' },
    ResultPath: '$.reduce',
    TimeoutSeconds: 930,
    Retry: lambdaTaskRetry(),
    Next: next,
  };
}
