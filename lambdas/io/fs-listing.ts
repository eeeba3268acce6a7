/*
 * The filesystem store's listing: a walk of a bucket's folder that lists every entry, in S3's key order,
 * one page at a time.
 */
import { type Dirent, lstatSync, readdirSync, type Stats, statSync } from 'node:fs';
import { folderReason, unreadableFolder } from './fs-errors';
import { escapeKey, fromFsName, keyOrder, LONE_SURROGATE, META_DIR } from './fs-names';
import { packedInfo, statEtag } from './fs-versions';
import type { ObjectInfo, ObjectPage } from './object-store';
import { PACKED_DIR, type PackedFolder } from './packed-objects';
import { isTempName } from './temp-files';

/**
 * The ETag of an {@link UnreadableEntry}. It travels with the item through the workflow (the ItemSelector
 * copies it, the failed-items list keeps it), so the local runner knows the entry in a retry or a redrive.
 */
export const UNREADABLE_ETAG = '"csv2lake-unreadable"';

/**
 * An entry of a folder listing that is no object and cannot be read as one: a sub-folder that cannot be
 * read, or a link to a folder that contains it. Listed so that the run reports it (the local runner fails
 * its item with {@link UnreadableEntry.unreadable} as the reason) instead of losing what is in it.
 */
export interface UnreadableEntry extends ObjectInfo {
  /** What it is and why it cannot be read, with its path. */
  readonly unreadable: string;
}

/** What the listing needs of its store: the bucket's folder and how keys map to files there. */
export interface ListedFolder {
  /** The bucket's folder. */
  readonly root: string;
  /** Keys whose small objects are packed (see `PackedFolder`). @default none */
  readonly packed?: RegExp;
  /** The packed objects of a folder. */
  packedFolder(dir: string): PackedFolder;
  /** The file of a key. */
  path(key: string): string;
}

const SLASH = Buffer.from('/');

/**
 * One page of the keys under a prefix. Every entry under the folder is listed, so that a run accounts for
 * each one — converted, failed with the reason, or ignored — and none vanishes from its report:
 * - a name that is not valid UTF-8 is listed with each byte of it that is not part of a UTF-8 character
 *   as U+DC80-U+DCFF (Python's `surrogateescape`): a key no valid name has, which `FsObjectStore.path`
 *   refuses, naming the file with those bytes as `\\xNN`;
 * - symbolic links are followed: one to a file is that file; one to a folder is walked as a folder, unless
 *   it leads to a folder being walked (a loop), which is listed as an {@link UnreadableEntry} instead; a
 *   link to nothing, or a loop of links, is listed, and reading it fails saying so;
 * - a FIFO, socket or device is listed, and reading it fails (see `FsObjectStore.get`);
 * - a sub-folder that cannot be read is listed as `<folder>/`, an {@link UnreadableEntry} with the reason.
 * @throws Error when the bucket's folder itself cannot be read
 */
export function listFolder(
  bucket: ListedFolder,
  prefix: string,
  options: { token?: string; maxKeys?: number } = {},
): ObjectPage & { readonly objects: readonly (ObjectInfo | UnreadableEntry)[] } {
  const { root } = bucket;
  const keys: string[] = [];
  // Packed objects are listed with their info; a packed object and a file of one key are listed once.
  const packed = new Map<string, ObjectInfo>();
  // The paths of names that are not UTF-8: their keys do not lead back to them.
  const raw = new Map<string, Buffer>();
  const problems = new Map<string, { path: Buffer; reason: string }>();
  // The folders being walked (device and inode): a link to one of them is a loop.
  const walking = new Set<string>();
  const wanted = (key: string) => key.startsWith(prefix) || prefix.startsWith(key);
  const walk = (dir: Buffer, dirKey: string): void => {
    let entries: Dirent<Buffer>[];
    try {
      entries = readdirSync(dir, { withFileTypes: true, encoding: 'buffer' });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Removed since it was seen (or, for the bucket's folder, not made yet): nothing in it.
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      if (!dirKey) throw unreadableFolder(root, error);
      problems.set(`${dirKey}/`, { path: dir, reason: folderReason(error) });
      return;
    }
    for (const entry of entries) {
      const name = fromFsName(entry.name);
      if (name === META_DIR || isTempName(name)) continue;
      const key = dirKey ? `${dirKey}/${name}` : name;
      const full = Buffer.concat([dir, SLASH, entry.name]);
      if (name === PACKED_DIR) {
        if (!bucket.packed || !entry.isDirectory()) continue;
        for (const [packedName, info] of bucket.packedFolder(dir.toString()).names()) {
          const packedKey = dirKey ? `${dirKey}/${packedName}` : packedName;
          if (packedKey.startsWith(prefix) && bucket.packed.test(packedKey))
            packed.set(packedKey, packedInfo(packedKey, info, false));
        }
        continue;
      }
      let folder = entry.isDirectory();
      if (entry.isSymbolicLink()) {
        try {
          folder = statSync(full).isDirectory();
        } catch {
          folder = false; // a link to nothing, or a loop of links: listed, and reading it says which
        }
      }
      if (folder) {
        if (!wanted(`${key}/`)) continue;
        let id: string | undefined;
        try {
          const s = statSync(full);
          id = `${s.dev}:${s.ino}`;
        } catch (error) {
          problems.set(`${key}/`, { path: full, reason: folderReason(error) });
          continue;
        }
        if (walking.has(id)) {
          problems.set(`${key}/`, {
            path: full,
            reason:
              'a symbolic link to a folder that contains it (a loop), not followed: remove the link or move ' +
              'it out of the input',
          });
          continue;
        }
        walking.add(id);
        walk(full, key);
        walking.delete(id);
      } else if (key.startsWith(prefix)) {
        keys.push(key);
        if (LONE_SURROGATE.test(name)) raw.set(key, full);
      }
    }
  };
  const rootStat = statSync(root, { throwIfNoEntry: false });
  if (rootStat) walking.add(`${rootStat.dev}:${rootStat.ino}`);
  walk(Buffer.from(root), '');
  const files = new Set(keys);
  for (const key of packed.keys()) if (!files.has(key)) keys.push(key);
  for (const key of problems.keys()) if (wanted(key)) keys.push(key);
  keys.sort(keyOrder);
  const start = options.token ? keys.findIndex((k) => keyOrder(k, options.token!) > 0) : 0;
  const from = start < 0 ? keys.length : start;
  const page = keys.slice(from, from + (options.maxKeys ?? 1000));
  const objects: (ObjectInfo | UnreadableEntry)[] = [];
  for (const key of page) {
    const problem = problems.get(key);
    if (problem) {
      const s = lstatSync(problem.path, { throwIfNoEntry: false });
      objects.push({
        key,
        size: 0,
        etag: UNREADABLE_ETAG,
        lastModified: s?.mtime ?? new Date(0),
        unreadable: `${root}/${escapeKey(key)}: ${problem.reason}`,
      });
      continue;
    }
    // A file deleted since the walk is simply not listed.
    const info = packed.get(key) ?? listedInfo(key, raw.get(key) ?? bucket.path(key));
    if (info)
      objects.push({ key: info.key, size: info.size, etag: info.etag, lastModified: info.lastModified! });
  }
  const more = from + page.length < keys.length;
  return { objects, ...(more ? { nextToken: page.at(-1)! } : {}) };
}

/**
 * What a listing says about a listed entry that is no folder: the file it leads to, or, when that cannot
 * be known (a link to nothing, a loop of links, no permission), the entry itself, so that it is listed and
 * its reading fails saying why. Undefined when it is gone.
 */
function listedInfo(key: string, path: string | Buffer): ObjectInfo | undefined {
  let s: Stats | undefined;
  try {
    s = statSync(path, { throwIfNoEntry: false }) ?? lstatSync(path, { throwIfNoEntry: false });
  } catch {
    s = lstatSync(path, { throwIfNoEntry: false });
  }
  if (!s || s.isDirectory()) return undefined;
  return { key, size: s.isFile() ? s.size : 0, etag: statEtag(s), lastModified: s.mtime };
}
