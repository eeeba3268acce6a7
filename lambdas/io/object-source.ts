import type { ReplayableSource } from '../core/model/options';
import { InputChangedError } from '../shared/errors';
import type { ObjectBody, ObjectStore } from './object-store';

/**
 * An object of a store read as a conversion's source, straight from the store, never kept: no local disk
 * bounds the size of what converts (Lambda's `/tmp` is 512 MB unless configured). See
 * {@link pinnedObjectSource}.
 */
export interface PinnedObjectSource extends ReplayableSource {
  /** The ETag of the version read: known once the first read has its answer. */
  readonly etag: string | undefined;
  /** GETs made so far: 1 per pass. */
  readonly reads: number;
  /**
   * What broke the body of a read after some of it was delivered (an `S3TransientError`: a reset, stalled
   * or truncated connection). Such a read then ends early instead of throwing, and the caller must throw
   * this error once the conversion is over, whatever its outcome (see {@link pinnedObjectSource}).
   */
  readonly failure: Error | undefined;
}

/**
 * `bucket/key` as a {@link ReplayableSource}. The first pass reads the body `first` GETs (the listed
 * version, or the current one: the caller decides); a second pass (the type guess failed, see the core's
 * `convert`) GETs the object again, pinned with `If-Match` to the ETag the first read had, so that a file
 * replaced between the passes fails with {@link InputChangedError} (retried by the workflow) and is never
 * read half one version, half another.
 *
 * A body that breaks after delivering bytes ends its read early rather than throwing, and the error is kept
 * in {@link PinnedObjectSource.failure}: the core decompresses through `Readable.pipe`, which does not pass
 * an error of its source on, so a throw inside a `.gz` left the conversion waiting for ever, and the
 * source stream's unhandled `error` event ended the process. The conversion of a short read fails or
 * completes on what it got, and the caller replaces either outcome by the failure.
 */
export function pinnedObjectSource(
  store: ObjectStore,
  bucket: string,
  key: string,
  first: () => Promise<ObjectBody>,
): PinnedObjectSource {
  const name = `s3://${bucket}/${key}`;
  let etag: string | undefined;
  let reads = 0;
  let failure: Error | undefined;

  const again = async (): Promise<ObjectBody> => {
    if (etag === undefined)
      throw new Error(
        `${name}: the store gave no ETag for the first read, so a second one cannot be pinned to it`,
      );
    try {
      return await store.get(bucket, key, { ifMatch: etag });
    } catch (error) {
      if ((error as Error).name !== 'InputChangedError') throw error;
      throw new InputChangedError(
        `${name} changed between the conversion's two passes (version ${etag} when first read): nothing was ` +
          'written; a later attempt converts the current version',
        { cause: error },
      );
    }
  };

  async function* read(): AsyncGenerator<Uint8Array> {
    const pass = ++reads;
    const body = pass === 1 ? await first() : await again();
    if (pass === 1) etag = body.etag;
    let delivered = false;
    try {
      for await (const chunk of body) {
        delivered = true;
        yield chunk;
      }
    } catch (error) {
      // Before any byte, the reader is awaiting this generator itself: the error reaches it.
      if (!delivered) throw error;
      failure ??= error as Error;
    }
  }

  return {
    name,
    open: read,
    get etag() {
      return etag;
    },
    get reads() {
      return reads;
    },
    get failure() {
      return failure;
    },
  };
}
