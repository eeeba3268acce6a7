import type { ObjectInfo, ObjectStore } from './object-store';

/** An object's whole content as UTF-8 text (records, manifests, small JSON documents). */
export async function readText(store: ObjectStore, bucket: string, key: string): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const part of await store.get(bucket, key)) parts.push(part);
  return Buffer.concat(parts).toString('utf8');
}

/**
 * Writes text given piece by piece through a streaming upload (in ~1 MiB writes), so that a document of an
 * entry per file (a report, a map's result file) never becomes one string in memory. The object appears
 * only when complete; on any failure the upload is aborted.
 */
export async function writeStreaming(
  store: ObjectStore,
  bucket: string,
  key: string,
  pieces: Iterable<string>,
): Promise<ObjectInfo> {
  const writer = store.createWriter(bucket, key, { contentType: 'application/json' });
  try {
    let buffer = '';
    for (const piece of pieces) {
      buffer += piece;
      if (buffer.length >= 1 << 20) {
        await writer.write(Buffer.from(buffer));
        buffer = '';
      }
    }
    if (buffer.length > 0) await writer.write(Buffer.from(buffer));
    return await writer.complete();
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

/** The pieces of `<head>[<item>,<item>,...]<tail>`, for {@link writeStreaming}. */
export function* jsonArrayPieces(head: string, items: Iterable<unknown>, tail: string): Generator<string> {
  yield `${head}[`;
  let first = true;
  for (const item of items) {
    yield (first ? '' : ',') + JSON.stringify(item);
    first = false;
  }
  yield `]${tail}`;
}
