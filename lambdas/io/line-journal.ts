import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';

const PREFIX = 'journal-';
const SUFFIX = '.jsonl';

/**
 * Append-only JSON-lines journals in one folder, one per writer (process and thread), so that writers never
 * interleave within a file. A line is appended with one write, so a crash leaves at most a torn last line,
 * which readers skip. The folder store keeps object metadata ({@link MetadataJournal}) and packed objects
 * ({@link PackedFolder}) this way: appending a line costs ~10 us where creating a file costs ~1 ms here.
 */
export class LineJournals {
  /** This writer's journal, created by its first append. */
  private mine: string | undefined;

  constructor(readonly dir: string) {}

  /**
   * Appends one JSON line to this writer's journal. The file is opened for each append, so no descriptor
   * outlives the call (a store is dropped without being closed).
   */
  append(value: unknown): void {
    if (!this.mine) {
      mkdirSync(this.dir, { recursive: true });
      this.mine = join(this.dir, journalName());
    }
    const text = Buffer.from(`${JSON.stringify(value)}\n`);
    const fd = openSync(this.mine, 'a');
    try {
      for (let done = 0; done < text.length;) done += writeSync(fd, text, done);
    } finally {
      closeSync(fd);
    }
  }

  /** The journals' paths in the folder; none when it does not exist. */
  paths(): string[] {
    try {
      return readdirSync(this.dir)
        .filter(isJournal)
        .map((name) => join(this.dir, name));
    } catch {
      return [];
    }
  }
}

/** A new journal's file name, unique to this writer. @param tag added to the name (e.g. `-compact`) */
export function journalName(tag = ''): string {
  return `${PREFIX}${process.pid}-${threadId}-${randomBytes(4).toString('hex')}${tag}${SUFFIX}`;
}

/** Whether a file name is a journal's. */
export function isJournal(name: string): boolean {
  return name.startsWith(PREFIX) && name.endsWith(SUFFIX);
}

/**
 * Reads the complete lines a journal holds from byte `from` on, handing each to `onLine` with its byte
 * offset, and returns the offset after the last complete one: a line not yet ended (being written, or torn by
 * a crash) is left for the next read. A journal removed meanwhile reads as nothing.
 */
export function readLines(
  path: string,
  from: number,
  onLine: (start: number, bytes: Buffer) => void,
): number {
  // Most reads of a journal another writer appends to find it as it was: one stat, no open.
  if ((statSync(path, { throwIfNoEntry: false })?.size ?? 0) <= from) return from;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return from;
  }
  try {
    const bytes = Buffer.allocUnsafe(Math.max(0, fstatSync(fd).size - from));
    let got = 0;
    while (got < bytes.length) {
      const n = readSync(fd, bytes, got, bytes.length - got, from + got);
      if (n === 0) break;
      got += n;
    }
    let start = 0;
    for (let end = bytes.indexOf(10); end >= 0 && end < got; end = bytes.indexOf(10, start)) {
      onLine(from + start, bytes.subarray(start, end));
      start = end + 1;
    }
    return from + start;
  } finally {
    closeSync(fd);
  }
}

/** A journal line's value, or undefined for a line torn by a crash. */
export function parseLine<T>(bytes: Buffer): T | undefined {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    return undefined;
  }
}
