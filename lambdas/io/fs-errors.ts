/*
 * The filesystem store's errors: what a path is and why it cannot be read or written, said with the path and
 * what to do (the bare `ENOSPC: no space left on device, write` named neither).
 */
import type { Stats } from 'node:fs';
import { lstatSync } from 'node:fs';
import { basename } from 'node:path';
import { Csv2LakeError, InputMissingError } from '../shared/errors';

/** What a file is, for messages. */
function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** Reading a FIFO blocks until a writer comes; a device or socket is no object either. */
export function notRegular(path: string, s: Stats): InputMissingError {
  return new InputMissingError(
    `${path} is ${kindOf(s)}, not a regular file: csv2lake reads only regular files (or links to them); ` +
      'give the path of a regular file, or copy the data into one',
  );
}

/** Why a path cannot be opened, as a data error naming it (no retry reads it better). */
export function unreadable(path: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const link = lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink() ?? false;
  const reason =
    code === 'ENOENT'
      ? link
        ? 'is a symbolic link to nothing (its target was removed or moved)'
        : 'no longer exists (deleted after it was listed?)'
      : code === 'ELOOP'
        ? 'is a symbolic link that leads back to itself (a loop of links)'
        : code === 'EACCES' || code === 'EPERM'
          ? 'cannot be read: permission denied; make it readable by the user that runs csv2lake'
          : code === 'ENAMETOOLONG'
            ? 'has a name longer than the file system takes'
            : undefined;
  if (!reason) return error as Error;
  return new InputMissingError(`${path} ${reason}`, { cause: error });
}

/** Why a folder cannot be read, for its {@link UnreadableEntry}. */
export function folderReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM'
    ? `a folder that cannot be read (${code}: permission denied), so its files are not listed; make it readable ` +
        'and searchable (chmod u+rx) by the user that runs csv2lake, then run again'
    : code === 'ELOOP'
      ? 'a symbolic link that leads back to itself (a loop of links), not followed'
      : `a folder that cannot be read (${code ?? (error as Error).message}), so its files are not listed`;
}

/** The bucket's own folder cannot be read: nothing could be listed. */
export function unreadableFolder(root: string, error: unknown): Error {
  return new Error(`cannot list ${root}: ${folderReason(error)}`, { cause: error });
}

/**
 * A write that failed, as an error that says which file and what to do: the bare `ENOSPC: no space left on
 * device, write` named neither. Keeps the `code`, and the original as `cause`.
 */
export function writeError(error: unknown, path: string, bytes: number): unknown {
  const e = error as NodeJS.ErrnoException;
  if (typeof e?.code !== 'string' || e instanceof Csv2LakeError) return error;
  const advice =
    e.code === 'ENOSPC' || e.code === 'EDQUOT'
      ? `the disk (or quota) is full after ${bytes} bytes of it: free space there (or write the output elsewhere), ` +
        'then redrive the run'
      : e.code === 'ENAMETOOLONG'
        ? `its name is ${Buffer.byteLength(basename(path))} bytes, more than the file system takes (255): ` +
          "shorten the input's name"
        : e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS'
          ? 'csv2lake may not write there: make the folder writable by the user that runs csv2lake'
          : e.message;
  return Object.assign(new Error(`cannot write ${path}: ${e.code}: ${advice}`, { cause: e }), {
    code: e.code,
  });
}
