/*
 * S3's conditional writes (If-Match / If-None-Match on PutObject and CompleteMultipartUpload), in one place
 * for every store: the filesystem store and the tests' memory store check the condition themselves with
 * {@link checkCondition}; the S3 store sends it ({@link s3ConditionFields}) and reads S3's refusal back as the
 * same {@link WriteConflictError} ({@link s3WriteConflict}).
 */
import { isNotFound, isPreconditionFailed, s3ErrorName } from './s3-answers';
import { type PutOptions, WriteConflictError } from './object-store';

/** Whether a write carries a condition. */
export function isConditional(options: PutOptions): boolean {
  return options.ifMatch !== undefined || options.ifNoneMatch !== undefined;
}

/** The condition as S3's header spells it, for messages (`If-Match "…"`, `If-None-Match *`). */
export function conditionText(options: PutOptions): string {
  return options.ifMatch !== undefined
    ? `If-Match ${options.ifMatch}`
    : `If-None-Match ${options.ifNoneMatch}`;
}

/**
 * Checks a write's condition against the key's current version (undefined when absent), as S3 does:
 * `If-None-Match: *` holds only when nothing is there, `If-Match` only when the current ETag is the one named
 * (a deleted object holds no ETag). The caller checks and writes with nothing in between (a lock, or no
 * `await`), as S3's conditional writes are atomic.
 * @param what the object, for the message (a path, or `PUT key`)
 * @throws WriteConflictError when the condition does not hold
 */
export function checkCondition(
  options: PutOptions,
  current: { readonly etag: string } | undefined,
  what: string,
): void {
  if (options.ifNoneMatch === '*' && current)
    throw new WriteConflictError(
      `${what}: If-None-Match * did not hold: the object exists (written since it was read); read it again ` +
        'and retry',
    );
  if (options.ifMatch !== undefined && current?.etag !== options.ifMatch)
    throw new WriteConflictError(
      `${what}: If-Match ${options.ifMatch} did not hold: the object is ` +
        `${current ? `now ${current.etag}` : 'gone'}; read it again and retry`,
    );
}

/** A conditional write's request fields for S3 (PutObject and CompleteMultipartUpload take both). */
export function s3ConditionFields(options: PutOptions): { IfMatch?: string; IfNoneMatch?: string } {
  return {
    ...(options.ifMatch !== undefined ? { IfMatch: options.ifMatch } : {}),
    ...(options.ifNoneMatch !== undefined ? { IfNoneMatch: options.ifNoneMatch } : {}),
  };
}

/**
 * An S3 error that says a conditional write lost, as {@link WriteConflictError}: 412 Precondition Failed (the
 * ETag differs, or an object exists for `If-None-Match: *`), 409 ConditionalRequestConflict (another
 * conditional write of the key was in flight) and, for `If-Match`, 404 (the object was deleted since it was
 * read). Undefined for an unconditional write and for any other error.
 */
export function s3WriteConflict(
  error: unknown,
  options: PutOptions,
  what: string,
): WriteConflictError | undefined {
  if (!isConditional(options)) return undefined;
  const { name, status } = s3ErrorName(error);
  const lost =
    isPreconditionFailed(error) ||
    name === 'ConditionalRequestConflict' ||
    status === 409 ||
    (options.ifMatch !== undefined && isNotFound(error));
  if (!lost) return undefined;
  return new WriteConflictError(
    `${what}: the condition ${conditionText(options)} did not hold (${name ?? status}): the object changed ` +
      'since it was read; read it again and retry',
    { cause: error },
  );
}
