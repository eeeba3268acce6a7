import {
  closeSync,
  fstatSync,
  linkSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { threadId } from 'node:worker_threads';
import { processAlive } from './temp-files';

/**
 * A lock held this long is its holder's leftover even when its pid is alive: a critical section is a stat
 * and a rename (microseconds), so only a holder that died inside it (a worker thread terminated, whose
 * process lives on) or was stopped leaves a lock this old.
 */
export const STALE_LOCK_MS = 10_000;

/** A lock that stays held (and not stale) this long is reported rather than waited for any more. */
const GIVE_UP_MS = 60_000;

/** Waits between attempts grow to this (jittered), so that a waiter neither spins nor dozes. */
const MAX_WAIT_MS = 20;

/** Options of {@link withFileLock}, for tests. */
export interface FileLockOptions {
  readonly staleMs?: number;
  readonly giveUpMs?: number;
}

/**
 * Runs `critical` holding an exclusive lock across threads and processes of this machine: the file `path`,
 * created with `O_CREAT | O_EXCL` (which is atomic on local file systems) and holding the holder's pid and
 * thread id, removed after. A waiter retries with a short jittered backoff; it breaks a lock whose holder's
 * process is gone, or which is older than {@link STALE_LOCK_MS}. `critical` is synchronous: no other task of
 * this thread runs while the lock is held, and a holder that dies can only die between two system calls.
 * @throws Error when the lock stays held by a live holder for a minute
 */
export async function withFileLock<T>(
  path: string,
  critical: () => T,
  options: FileLockOptions = {},
): Promise<T> {
  const start = Date.now();
  let wait = 1;
  for (;;) {
    const held = tryLock(path);
    if (held) {
      try {
        return critical();
      } finally {
        unlock(path, held);
      }
    }
    if (breakIfStale(path, options.staleMs ?? STALE_LOCK_MS)) continue;
    if (Date.now() - start > (options.giveUpMs ?? GIVE_UP_MS))
      throw new Error(
        `${path}: another csv2lake writer has held this lock for over ${Math.round((Date.now() - start) / 1000)} s; ` +
          'if no csv2lake process is running, remove the file and run again',
      );
    await new Promise((resolve) => setTimeout(resolve, wait * (0.5 + Math.random())));
    wait = Math.min(MAX_WAIT_MS, wait * 2);
  }
}

/** The lock file's identity, to remove only our own lock. */
interface Held {
  readonly dev: number;
  readonly ino: number;
}

/** Creates the lock file; undefined when it exists. */
function tryLock(path: string): Held | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return undefined;
    if (code !== 'ENOENT') throw error;
    mkdirSync(dirname(path), { recursive: true });
    return tryLock(path);
  }
  try {
    writeSync(fd, `${process.pid} ${threadId}\n`);
    const s = fstatSync(fd);
    return { dev: s.dev, ino: s.ino };
  } finally {
    closeSync(fd);
  }
}

/** Removes the lock, unless it was broken meanwhile and is now another holder's. */
function unlock(path: string, held: Held): void {
  const s = statSync(path, { throwIfNoEntry: false });
  if (s?.dev === held.dev && s.ino === held.ino) unlinkSync(path);
}

/**
 * Removes the lock when its holder is dead or it is older than `staleMs`; true when the caller should try
 * again at once (removed, or gone already). The stale lock is first renamed aside and checked to be the
 * very file judged stale: between the judgement and the rename another waiter may have broken it and a
 * new holder taken the lock, whose file is then put back (link, which fails rather than overwrite).
 */
function breakIfStale(path: string, staleMs: number): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
  let judged: { dev: number; ino: number; mtimeMs: number };
  let text: string;
  try {
    judged = fstatSync(fd);
    const bytes = Buffer.alloc(64);
    text = bytes.toString('latin1', 0, readSync(fd, bytes, 0, bytes.length, 0));
  } finally {
    closeSync(fd);
  }
  const pid = Number(text.split(' ')[0]);
  // A lock still empty is being written by its holder: judged by age alone.
  const dead = Number.isInteger(pid) && pid > 0 && pid !== process.pid && !processAlive(pid);
  if (!dead && Date.now() - judged.mtimeMs < staleMs) return false;
  const aside = `${path}.broken-${process.pid}-${threadId}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
  const moved = statSync(aside);
  if (moved.dev !== judged.dev || moved.ino !== judged.ino) {
    try {
      linkSync(aside, path);
    } catch {
      // a third writer took the lock meanwhile: nothing can be put back
    }
  }
  unlinkSync(aside);
  return true;
}
