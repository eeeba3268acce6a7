import type { OutputFormat } from '../core/model/options';

/** Input key suffixes converted by default (case-insensitive; a compression suffix allowed after each). */
export const CSV_SUFFIXES = ['.csv', '.tsv', '.txt'] as const;

/** The compressions read (see the core's input decoding), as key suffixes after a CSV suffix. */
export const COMPRESSION_SUFFIXES = ['.gz', '.zst'] as const;

/** Whether a key names a compressed stream by its suffix (`.gz`, `.zst`, any case). */
export function isCompressedKey(key: string): boolean {
  const lower = key.toLowerCase();
  return COMPRESSION_SUFFIXES.some((s) => lower.endsWith(s));
}

const COMPRESSION = /\.(gz|zst)$/i;

/** Whether a listed key is a file to convert: not a folder marker, and a CSV suffix (optionally compressed). */
export function isCsvKey(key: string, suffixes: readonly string[] = CSV_SUFFIXES): boolean {
  if (key.endsWith('/')) return false;
  const lower = key.toLowerCase().replace(COMPRESSION, '');
  return suffixes.some((s) => lower.endsWith(s.toLowerCase()));
}

/** A file name without its compression suffix and then its CSV suffix: `orders.csv.zst` → `orders`. */
export function csvStem(name: string): string {
  return name.replace(COMPRESSION, '').replace(/\.(csv|tsv|txt)$/i, '');
}

/**
 * The output key of an input key: its path below the input prefix, under the format's output prefix, with
 * `.csv`/`.tsv`/`.txt` (and `.gz` or `.zst`) replaced by the format's extension. Keys are kept as they are (spaces,
 * unicode, `+`, `%`, `=`, `#`); `.` and `..` path segments are dropped so that no key can leave the output
 * prefix.
 *
 * @param kind `rejects` gives `<stem>.rejects.csv` beside the format's output.
 */
export function outputKey(
  inputKey: string,
  inputPrefix: string,
  outputPrefix: string,
  format: OutputFormat,
  kind: 'output' | 'rejects' = 'output',
): string {
  const relative = inputKey.startsWith(inputPrefix) ? inputKey.slice(inputPrefix.length) : inputKey;
  const segments = relative.split('/').filter((s) => s !== '' && s !== '.' && s !== '..');
  const last = segments.pop() ?? 'unnamed';
  const stem = csvStem(last) || 'unnamed';
  const name = kind === 'rejects' ? `${stem}.rejects.csv` : `${stem}.${format}`;
  const prefix = outputPrefix === '' || outputPrefix.endsWith('/') ? outputPrefix : `${outputPrefix}/`;
  return prefix + [...segments, name].join('/');
}
