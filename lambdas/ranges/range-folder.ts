/*
 * What a split key's range items and join keep in its parts folder (`_runs/<run>/ranges/<format>/<sha1>/`,
 * run-keys.ts's rangePartsPrefix), besides the parts: each range conversion's record `r<round>-<index>.json`
 * (the latest per index wins: reconcile.ts's latestRecords) and round 2's `verdict.json` (the final types
 * and boundaries, which never travel in the state payload). The join deletes the folder once its output is
 * written; a failed or handed-back join keeps it for the retry map or the redrive (and `_runs/` expires).
 */
import { deleteObjects, isAbsentObject, type ObjectStore } from '../io/object-store';
import { readText } from '../io/object-text';
import type { PartRecord } from './part-record';
import type { RangeVerdict } from './reconcile';

/** A range's record in its folder: `r<round>-<index>.json`. */
export function recordName(round: 1 | 2, index: number): string {
  return `r${round}-${index}.json`;
}

const RECORD = /(?:^|\/)r([12])-(\d+)\.json$/;

/** Round 2's decision in its folder. */
export const VERDICT_NAME = 'verdict.json';

/**
 * A JSON object of the folder, or undefined when there is none: one GET, its not-found taken for absent (a
 * HEAD before it doubled the join's requests, and told nothing the GET's answer does not).
 */
async function readJson<T>(store: ObjectStore, bucket: string, key: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readText(store, bucket, key);
  } catch (error) {
    // A record or verdict listed but deleted since (a finished join of the same key dropped the folder).
    if (isAbsentObject(error)) return undefined;
    throw error;
  }
  return JSON.parse(text) as T;
}

/** Writes a range's record. */
export async function putRangeRecord(
  store: ObjectStore,
  bucket: string,
  folder: string,
  record: PartRecord,
): Promise<void> {
  await store.put(bucket, `${folder}${recordName(record.round, record.index)}`, JSON.stringify(record), {
    contentType: 'application/json',
  });
}

/**
 * Every range record of the folder (any round), read 16 at a time, and round 2's verdict when the
 * listing shows one (undefined in round 1). Only listed keys are read: S3 answers a GET of a missing key
 * with 404 only to a caller it would let list that key, and whether a `s3:prefix`-conditioned ListBucket
 * counts for that is not documented; a listing's answer needs no such guess.
 */
export async function readRangeFolder(
  store: ObjectStore,
  bucket: string,
  folder: string,
): Promise<{ records: PartRecord[]; verdict: RangeVerdict | undefined }> {
  const keys: string[] = [];
  let verdictListed = false;
  let token: string | undefined;
  do {
    const page = await store.list(bucket, folder, token ? { token } : {});
    for (const o of page.objects)
      if (RECORD.test(o.key)) keys.push(o.key);
      else if (o.key === `${folder}${VERDICT_NAME}`) verdictListed = true;
    token = page.nextToken;
  } while (token);
  const records: PartRecord[] = [];
  for (let at = 0; at < keys.length; at += 16)
    for (const r of await Promise.all(
      keys.slice(at, at + 16).map((k) => readJson<PartRecord>(store, bucket, k)),
    ))
      if (r) records.push(r);
  const verdict = verdictListed
    ? await readJson<RangeVerdict>(store, bucket, `${folder}${VERDICT_NAME}`)
    : undefined;
  return { records, verdict };
}

/**
 * Round 2's verdict of the folder, or undefined (round 1): a listing of its one key, then its GET when
 * listed (see {@link readRangeFolder} for why not a GET that may answer 403).
 */
export async function readVerdict(
  store: ObjectStore,
  bucket: string,
  folder: string,
): Promise<RangeVerdict | undefined> {
  const key = `${folder}${VERDICT_NAME}`;
  const page = await store.list(bucket, key, { maxKeys: 1 });
  if (!page.objects.some((o) => o.key === key)) return undefined;
  return readJson<RangeVerdict>(store, bucket, key);
}

/** Writes round 2's verdict (before any round-2 range item may read it). */
export async function putVerdict(
  store: ObjectStore,
  bucket: string,
  folder: string,
  verdict: RangeVerdict,
): Promise<void> {
  await store.put(bucket, `${folder}${VERDICT_NAME}`, JSON.stringify(verdict), {
    contentType: 'application/json',
  });
}

/** Deletes everything under a split key's parts folder (after a successful join). */
export async function deleteRangeFolder(store: ObjectStore, bucket: string, folder: string): Promise<void> {
  let token: string | undefined;
  do {
    const page = await store.list(bucket, folder, token ? { token } : {});
    // One DeleteObjects per page of up to 1,000 keys on S3, not a request per part and record.
    await deleteObjects(
      store,
      bucket,
      page.objects.map((o) => o.key),
    );
    token = page.nextToken;
  } while (token);
}
