/*
 * Which version of an input a conversion reads, and the check that a folder's file read in place did not
 * change meanwhile.
 */
import type { ObjectBody, ObjectStore } from '../io/object-store';
import { InputChangedError } from '../shared/errors';
import type { ConvertItem } from '../shared/payloads';

/**
 * The input's body at `version`. When the object was replaced since it was listed, the current version
 * instead (unless the item asked for the current version, which has just changed again: then a later attempt
 * reads it): both formats of the child then normally read that one, and the child checks they did.
 */
export async function getVersion(
  store: ObjectStore,
  item: ConvertItem,
  version: string,
): Promise<ObjectBody> {
  try {
    return await store.get(item.bucket, item.key, { ifMatch: version });
  } catch (error) {
    if (item.current || !(error instanceof InputChangedError)) throw error;
    return store.get(item.bucket, item.key);
  }
}

/**
 * Checks that a folder's file read in place is still the version the conversion started from: a file
 * rewritten meanwhile (`cat new > file`) was read torn, part one version and part the other.
 * @throws InputChangedError when it changed (with the conversion's own error as cause, if it failed)
 */
export async function unchangedSince(
  store: ObjectStore,
  item: Pick<ConvertItem, 'bucket' | 'key'>,
  path: string,
  version: string,
  failure?: unknown,
): Promise<void> {
  const now = await store.head(item.bucket, item.key);
  if (now?.etag === version) return;
  throw new InputChangedError(
    `${path} changed while it was converted (version ${version} when the conversion started, ` +
      `${now ? now.etag : 'deleted'} at its end), so what was read mixes two versions: nothing was written; ` +
      `a later attempt converts it whole once it stops changing`,
    failure === undefined ? {} : { cause: failure },
  );
}
