import { lstatSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The mark in the name of every temporary file csv2lake writes beside an output, before the writer's pid. */
export const TEMP_MARK = '.csv2lake-tmp-';

/**
 * A temporary file of a writer, of this version (`.<short name>.csv2lake-tmp-<pid>-<random>`) or of an
 * earlier one (`<name>.csv2lake-tmp-<pid>-<random>`, not hidden), which a killed run left beside its outputs.
 */
const TEMP_NAME = /\.csv2lake-tmp-(\d+)-[0-9a-z]+$/;

/**
 * A spool folder of an earlier version, whose converters copied each S3 input to one before converting it:
 * `csv2lake-spool-<pid>-<random>`, or `csv2lake-spool-<random>` (older still, no pid). Converters now read
 * S3 inputs as they stream and make none; what a killed process left is still swept.
 */
const SPOOL_NAME = /^csv2lake-spool-(?:(\d+)-)?[0-9A-Za-z]+$/;

/**
 * At most this many bytes of the target's name are kept in its temporary name, so that the temporary name
 * (some 70 bytes) fits in NAME_MAX (255 bytes) whatever the target's length: the target's own name of
 * 226-255 bytes plus a suffix did not (ENAMETOOLONG, although the target fitted).
 */
const SHORT_NAME_BYTES = 32;

const SLASH = Buffer.from('/');

/**
 * A temporary path beside `target`: a hidden name (a leading `.`, which `pyarrow.dataset`, Spark, Hive and
 * DuckDB globs skip, as they skip `_`), short whatever the target's length, carrying the writer's pid so
 * that leftovers of a dead writer can be told from those of a live one ({@link sweepTempFiles}).
 */
export function tempPath(target: string): string {
  const random = Math.random().toString(36).slice(2, 10) || '0';
  return join(
    dirname(target),
    `.${truncateUtf8(basename(target), SHORT_NAME_BYTES)}${TEMP_MARK}${process.pid}-${random}`,
  );
}

/** Whether a name is a temporary file of a writer (of this version or an earlier one). */
export function isTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}

/** The longest prefix of `text` of at most `bytes` UTF-8 bytes that does not cut a character. */
function truncateUtf8(text: string, bytes: number): string {
  let out = '';
  let used = 0;
  for (const char of text) {
    used += Buffer.byteLength(char);
    if (used > bytes) break;
    out += char;
  }
  return out;
}

/** Whether a process of that pid exists on this machine (EPERM: it exists, owned by another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A live writer's temporary file is written to continuously, so its modification time is recent; one not
 * modified for this long is a leftover even if its pid is alive again (reused after a reboot).
 */
export const STALE_TEMP_MS = 60 * 60 * 1000;

/**
 * A spool folder's modification time does not move while its file is written; no conversion lasts this
 * long (the function timeout is at most 15 minutes), so an older one is a leftover whatever its pid.
 */
export const STALE_SPOOL_MS = 24 * 60 * 60 * 1000;

/** What a sweep removed. */
export interface SweepResult {
  readonly removed: number;
  readonly bytes: number;
}

/** Options of a sweep. */
export interface SweepOptions {
  /**
   * Also remove this process's own leftovers: only once every writer of this process has stopped (a run
   * that was interrupted and stopped its converter threads). @default false
   */
  readonly ownPid?: boolean;
  readonly now?: number;
}

function isLeftover(
  pid: number | undefined,
  mtimeMs: number,
  staleMs: number,
  options: SweepOptions,
): boolean {
  if ((options.now ?? Date.now()) - mtimeMs > staleMs) return true;
  if (pid === undefined) return false;
  if (pid === process.pid) return options.ownPid === true;
  return !processAlive(pid);
}

/**
 * Removes the temporary files that writers which died (kill -9, a crash, a power cut) left under `root`,
 * at any depth: those whose pid is no process of this machine, or not modified for {@link STALE_TEMP_MS}.
 * Those of live writers — another run writing to the same folder at the same time — are kept. Symbolic
 * links are not followed. A folder that cannot be read is passed over: the sweep is housekeeping, and
 * the run reports what it cannot read where it matters, in its listing.
 */
export function sweepTempFiles(root: string, options: SweepOptions = {}): SweepResult {
  let removed = 0;
  let bytes = 0;
  // Paths as bytes: a folder whose name is not UTF-8 would not be found again from its decoded name.
  const walk = (dir: Buffer): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true, encoding: 'buffer' });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = Buffer.concat([dir, SLASH, entry.name]);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) {
        const match = TEMP_NAME.exec(entry.name.toString('latin1'));
        if (!match) continue;
        try {
          const s = lstatSync(path);
          if (!isLeftover(Number(match[1]), s.mtimeMs, STALE_TEMP_MS, options)) continue;
          unlinkSync(path);
          removed++;
          bytes += s.size;
        } catch {
          // gone meanwhile (its writer renamed or removed it)
        }
      }
    }
  };
  walk(Buffer.from(root));
  return { removed, bytes };
}

/**
 * Removes the spool folders that processes of earlier versions left in `dir` when they died (see
 * {@link sweepTempFiles} for whose count as dead; a folder without a pid only when older than
 * {@link STALE_SPOOL_MS}).
 */
export function sweepSpoolFolders(dir: string, options: SweepOptions = {}): SweepResult {
  let removed = 0;
  let bytes = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return { removed, bytes };
  }
  for (const name of names) {
    const match = SPOOL_NAME.exec(name);
    if (!match) continue;
    const path = join(dir, name);
    try {
      const s = lstatSync(path);
      if (!s.isDirectory()) continue;
      const pid = match[1] === undefined ? undefined : Number(match[1]);
      if (!isLeftover(pid, s.mtimeMs, STALE_SPOOL_MS, options)) continue;
      for (const file of readdirSync(path))
        bytes += statSync(join(path, file), { throwIfNoEntry: false })?.size ?? 0;
      rmSync(path, { recursive: true, force: true });
      removed++;
    } catch {
      // gone meanwhile
    }
  }
  return { removed, bytes };
}
