/*
 * Keys and the names of files on disk: a name that is not UTF-8 as a key (and back, for messages), S3's key
 * order, and the hidden folder of the store's own files.
 */

/** The hidden folder (per bucket root) holding object metadata, as S3 keeps user metadata. */
export const META_DIR = '.csv2lake-meta';

/** A key holding a name that is not UTF-8: U+DC80-U+DCFF alone (the `u` flag leaves surrogate pairs out). */
export const LONE_SURROGATE = /[\uDC80-\uDCFF]/u;
const strictNames = new TextDecoder('utf-8', { fatal: true });

/**
 * A file name as a key: its UTF-8 text, or, for a name that is not valid UTF-8, the text with each byte
 * that is not part of a valid character as U+DC80+byte (as Python's `os.fsdecode` does), so that two such
 * names stay two keys and no valid name gives the same key.
 */
export function fromFsName(bytes: Buffer): string {
  if (!bytes.some((b) => b >= 0x80)) return bytes.toString('latin1');
  try {
    return strictNames.decode(bytes);
  } catch {
    // decoded below, one sequence at a time
  }
  let text = '';
  for (let i = 0; i < bytes.length;) {
    const n = utf8SequenceLength(bytes, i);
    if (n === 0) {
      text += String.fromCharCode(0xdc00 + bytes[i]!);
      i++;
    } else {
      text += bytes.toString('utf8', i, i + n);
      i += n;
    }
  }
  return text;
}

/** The length of the valid UTF-8 sequence at `i` (RFC 3629: no overlong forms, surrogates or > U+10FFFF), or 0. */
function utf8SequenceLength(bytes: Buffer, i: number): number {
  const b = bytes[i]!;
  if (b < 0x80) return 1;
  const [n, low, high] =
    b >= 0xc2 && b <= 0xdf
      ? [2, 0x80, 0xbf]
      : b === 0xe0
        ? [3, 0xa0, 0xbf]
        : b === 0xed
          ? [3, 0x80, 0x9f]
          : b >= 0xe1 && b <= 0xef
            ? [3, 0x80, 0xbf]
            : b === 0xf0
              ? [4, 0x90, 0xbf]
              : b === 0xf4
                ? [4, 0x80, 0x8f]
                : b >= 0xf1 && b <= 0xf3
                  ? [4, 0x80, 0xbf]
                  : [0, 0, 0];
  if (n === 0 || i + n > bytes.length) return 0;
  const second = bytes[i + 1]!;
  if (second < low || second > high) return 0;
  for (let k = 2; k < n; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return 0;
  return n;
}

/** A key for messages: the bytes of a name that is not UTF-8 as `\xNN`. */
export function escapeKey(key: string): string {
  return key.replace(
    /[\uDC80-\uDCFF]/gu,
    (c) => `\\x${(c.charCodeAt(0) - 0xdc00).toString(16).padStart(2, '0')}`,
  );
}

/**
 * S3's order of keys, by their UTF-8 bytes (not UTF-16 code units, which differ above U+FFFF); keys of
 * names that are not UTF-8, whose bytes can tie, then by their code units, so that pages never skip one.
 */
export function keyOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) || (a < b ? -1 : a > b ? 1 : 0);
}
