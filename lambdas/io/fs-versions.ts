/*
 * The filesystem store's versions: a file's ETag from its size and times, and the modification time that
 * keeps two conditional versions of one key apart.
 */
import { futimesSync } from 'node:fs';
import type { ObjectInfo } from './object-store';
import type { PackedInfo } from './packed-objects';

/**
 * The ETag of a file: its size, modification time and change time (µs), in hex. The change time is what
 * makes it safe: a rewrite that puts the size and modification time back (`touch -d`, an unzip, `cp -p`)
 * still sets it to now, and nothing but the kernel sets it. A `chmod`, a rename or a copy of the folder
 * sets it too, which makes the file a new version: converted once more, never skipped wrongly.
 */
export function statEtag(s: { size: number; mtimeMs: number; ctimeMs: number }): string {
  const us = (ms: number) => Math.round(ms * 1000).toString(16);
  return `"${s.size.toString(16)}-${us(s.mtimeMs)}-${us(s.ctimeMs)}"`;
}

/**
 * Sets the open file's modification time to now, to the microsecond (the kernel's own is a clock tick),
 * and at least a few microseconds after `previousMs`, the time of the version it replaces (a clock set
 * back included). Its ETag, in microseconds, then differs from every earlier version's.
 */
export function laterThan(handle: number, previousMs: number): void {
  const now = performance.timeOrigin + performance.now();
  const ms = Math.max(now, previousMs + 0.005);
  futimesSync(handle, ms / 1000, ms / 1000);
}

/** A packed object's info: its ETag, like a file's, from its size and the time it was written. */
export function packedInfo(key: string, p: PackedInfo, withMetadata: boolean): ObjectInfo {
  const time = p.lastModified.getTime();
  const etag = statEtag({ size: p.size, mtimeMs: time, ctimeMs: time });
  return { key, size: p.size, etag, lastModified: p.lastModified, ...(withMetadata ? { metadata: {} } : {}) };
}
