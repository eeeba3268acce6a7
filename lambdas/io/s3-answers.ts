/** How S3 (and the SDK) names an error: its `name` and its HTTP status, either of which may be missing. */
export function s3ErrorName(error: unknown): { name?: string | undefined; status?: number | undefined } {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return { name: e?.name, status: e?.$metadata?.httpStatusCode };
}

/** S3's answer for a key that does not exist (HEAD answers a bare 404 `NotFound`, GET `NoSuchKey`). */
export function isNotFound(error: unknown): boolean {
  const { name, status } = s3ErrorName(error);
  return name === 'NotFound' || name === 'NoSuchKey' || status === 404;
}

/** S3's answer to an If-Match (or If-None-Match) whose condition does not hold. */
export function isPreconditionFailed(error: unknown): boolean {
  const { name, status } = s3ErrorName(error);
  return name === 'PreconditionFailed' || status === 412;
}
