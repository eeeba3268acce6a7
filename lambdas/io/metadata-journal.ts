import { readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isJournal, journalName, LineJournals, parseLine, readLines } from './line-journal';

/** What the journal says about one object: its metadata, and the file (size, mtime) it belongs to. */
export interface MetadataEntry {
  readonly size: number;
  readonly mtimeMs: number;
  readonly metadata: Record<string, string>;
}

interface Line {
  k: string;
  s: number;
  m: number;
  md: Record<string, string>;
}

/** Journals at which loading compacts them into one, when most of their lines are stale. */
const COMPACT_FILES = 8;
/** Journals written to this recently are left alone by compaction: another writer may be appending. */
const QUIET_MS = 60 * 60 * 1000;

/**
 * The user metadata of the objects of one local bucket, as append-only journals in its hidden folder: one
 * file per writer (process and thread), one JSON line per object written with metadata. A file per
 * object instead (a sidecar) costs a file creation per output, ~25 us on an idle disk here and ~0.2 ms
 * with two threads writing, a third of what a small file's conversion writes.
 *
 * The journals are read once, at the first lookup; what this writer appends is added as it goes. An entry
 * counts only while the object's file still has the size and modification time it was written with, so a
 * file replaced or deleted since loses its metadata, and an entry another writer appended after the load
 * is simply not seen (the object then looks written without metadata: a converter converts it again).
 * Loading compacts the journals into one when there are many and most of their lines are stale; it removes
 * only journals nobody wrote to for an hour, so that no writer appends to a removed file.
 */
export class MetadataJournal {
  private index: Map<string, MetadataEntry> | undefined;
  private readonly journals: LineJournals;
  private hasLegacy = false;

  /** Whether legacy per-object sidecars (`<2 hex>/<sha256>.json`, before the journal) are in the folder. */
  get legacy(): boolean {
    this.load();
    return this.hasLegacy;
  }

  constructor(
    private readonly dir: string,
    /** The file of a key, to tell live entries from stale ones when compacting. */
    private readonly fileOf: (key: string) => string,
  ) {
    this.journals = new LineJournals(dir);
  }

  /** The metadata of the key's object, if the journal has it for the file as it is (`size`, `mtimeMs`). */
  lookup(key: string, size: number, mtimeMs: number): Record<string, string> | undefined {
    const entry = this.load().get(key);
    return entry && entry.size === size && entry.mtimeMs === mtimeMs ? entry.metadata : undefined;
  }

  /** Records the metadata of a file just written. */
  append(key: string, entry: MetadataEntry): void {
    this.journals.append({ k: key, s: entry.size, m: entry.mtimeMs, md: entry.metadata } satisfies Line);
    this.index?.set(key, entry);
  }

  private load(): Map<string, MetadataEntry> {
    if (this.index) return this.index;
    const index = new Map<string, MetadataEntry>();
    let names: string[];
    try {
      const all = readdirSync(this.dir);
      names = all.filter(isJournal);
      this.hasLegacy = all.some((n) => /^[0-9a-f]{2}$/.test(n));
    } catch {
      names = [];
    }
    let lines = 0;
    // A journal removed meanwhile (compacted by another process) reads as nothing.
    for (const name of names)
      readLines(join(this.dir, name), 0, (_start, bytes) => {
        const line = parseLine<Line>(bytes);
        if (!line) return; // torn by a crash
        lines++;
        const known = index.get(line.k);
        // Across journals, the newest write of a key is the one its file can still match.
        if (!known || line.m >= known.mtimeMs)
          index.set(line.k, { size: line.s, mtimeMs: line.m, metadata: line.md });
      });
    this.index = index;
    if (names.length >= COMPACT_FILES) this.compact(names, lines);
    return index;
  }

  /** Rewrites the live entries into one journal and removes the quiet journals read, when most lines are stale. */
  private compact(names: string[], lines: number): void {
    const quiet = names.filter((n) => {
      const s = statSync(join(this.dir, n), { throwIfNoEntry: false });
      return s !== undefined && Date.now() - s.mtimeMs > QUIET_MS;
    });
    if (quiet.length < 2) return;
    const live: Line[] = [];
    for (const [key, entry] of this.index!) {
      const s = statSync(this.fileOf(key), { throwIfNoEntry: false });
      if (s && s.size === entry.size && s.mtimeMs === entry.mtimeMs)
        live.push({ k: key, s: entry.size, m: entry.mtimeMs, md: entry.metadata });
    }
    if (live.length * 2 > lines) return;
    try {
      const name = journalName('-compact');
      const temp = join(this.dir, `${name}.tmp`);
      writeFileSync(temp, live.map((l) => `${JSON.stringify(l)}\n`).join(''));
      renameSync(temp, join(this.dir, name));
      for (const old of quiet) unlinkSync(join(this.dir, old));
    } catch {
      // another process compacted first, or the folder is read-only: the journals stay as they are
    }
  }
}
