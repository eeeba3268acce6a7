/*
 * Digits and ASCII text straight from UTF-8 bytes, shared by classification and parsing.
 */

const D0 = 0x30;

/** Whether `c` is an ASCII digit. */
export function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= D0 && c <= D0 + 9;
}

/** The two digits at `b[i]` as a number, or -1 when they are not two digits. */
export function twoDigits(b: Uint8Array, i: number): number {
  const a = b[i]! - D0;
  const c = b[i + 1]! - D0;
  return a >= 0 && a <= 9 && c >= 0 && c <= 9 ? a * 10 + c : -1;
}

/** The value of the digits `b[s, e)` (no sign), as a number. */
export function parseDigits(b: Uint8Array, s: number, e: number): number {
  let v = 0;
  for (let i = s; i < e; i++) v = v * 10 + (b[i]! - D0);
  return v;
}

/** `b[s, e)` as a string of Latin-1 characters (ASCII text as it is). */
export function latin1(b: Uint8Array, s: number, e: number): string {
  return Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('latin1');
}
