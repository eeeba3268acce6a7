import { DeleteObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import { classifyS3Error, isTransientS3Error } from '../shared/errors';

/** S3's most keys in one DeleteObjects request. */
export const DELETE_BATCH_KEYS = 1000;

/** A key S3 did not delete, with its error as a failed DeleteObject of it would have thrown it. */
interface NotDeleted {
  readonly key: string;
  readonly error: unknown;
}

/** The SDK's standard retry delay (full jitter, 100 ms base, 20 s cap) before attempt `attempt + 1`. */
const backoffMs = (attempt: number) => Math.random() * Math.min(20_000, 100 * 2 ** attempt);

/**
 * One DeleteObjects request of at most {@link DELETE_BATCH_KEYS} keys, and its keys S3 could not delete.
 * S3 answers those in a 200 response (`Errors`, one per key), which the SDK's retry never sees: a key whose
 * error a retry may fix (`SlowDown`, `InternalError`, …) is sent again, the SDK's way (its attempts, its
 * backoff), as its own DeleteObject would have been. A request that fails as a whole (after the SDK's
 * retries) fails every key of it.
 */
async function deleteBatch(
  s3: S3Client,
  bucket: string,
  keys: readonly string[],
  attempts: number,
): Promise<NotDeleted[]> {
  const lasting: NotDeleted[] = [];
  let left = keys;
  for (let attempt = 1; ; attempt++) {
    let errors;
    try {
      errors =
        (
          await s3.send(
            new DeleteObjectsCommand({
              Bucket: bucket,
              // Quiet: the answer lists only the keys not deleted.
              Delete: { Objects: left.map((Key) => ({ Key })), Quiet: true },
            }),
          )
        ).Errors ?? [];
    } catch (error) {
      const what = `DELETE s3://${bucket}/${left[0]}${left.length > 1 ? ` and ${left.length - 1} more keys` : ''}`;
      return [...lasting, ...left.map((key) => ({ key, error: classifyS3Error(error, what) }))];
    }
    // Named as S3 names the error of a DeleteObject of the key, so that it is classified alike.
    const failed = errors.map((e) => ({
      key: e.Key ?? '',
      error: Object.assign(new Error(`s3://${bucket}/${e.Key ?? ''}: ${e.Message ?? e.Code}`), {
        name: e.Code ?? 'DeleteObjectsError',
      }),
    }));
    const again = failed.filter((f) => isTransientS3Error(f.error));
    const done = again.length === 0 || attempt >= attempts;
    for (const f of done ? failed : failed.filter((f) => !again.includes(f)))
      lasting.push({ key: f.key, error: classifyS3Error(f.error, `DELETE s3://${bucket}/${f.key}`) });
    if (done) return lasting;
    await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt)));
    left = again.map((f) => f.key);
  }
}

/**
 * Deletes `keys` of `bucket` in requests of up to {@link DELETE_BATCH_KEYS} keys (S3 checks
 * `s3:DeleteObject` on each key, as for its own DeleteObject). Every batch is tried; then the error of the
 * first key not deleted is thrown (an S3TransientError when a retry may help), its message counting the
 * others.
 */
export async function deleteKeys(s3: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  const attempts = await s3.config.maxAttempts();
  const notDeleted: NotDeleted[] = [];
  for (let at = 0; at < keys.length; at += DELETE_BATCH_KEYS)
    notDeleted.push(...(await deleteBatch(s3, bucket, keys.slice(at, at + DELETE_BATCH_KEYS), attempts)));
  const first = notDeleted[0];
  if (!first) return;
  const error = first.error as Error;
  if (notDeleted.length > 1) error.message += ` (${notDeleted.length - 1} more keys not deleted)`;
  throw error;
}
