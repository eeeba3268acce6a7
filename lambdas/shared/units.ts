/*
 * Sizes and durations as people read them, for everything that prints one (report.md, the CLI): the unit
 * that keeps the number small, three significant digits at most.
 */

/** Decimal units, as S3 and the AWS console count (1 KB = 1,000 bytes). */
const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'] as const;

/** A number to at most three significant digits, without an exponent (999.95 → "1000", the caller steps up). */
function threeDigits(n: number): string {
  if (n >= 100) return n.toFixed(0);
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/**
 * A byte count in B, KB, MB, GB, TB or PB (decimal), e.g. `812 B`, `2.05 KB`, `45.3 MB`, `1.20 GB`.
 * @throws RangeError for a negative or non-finite count
 */
export function formatBytes(bytes: number): string {
  if (!(bytes >= 0) || !Number.isFinite(bytes)) throw new RangeError(`not a byte count: ${bytes}`);
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  let unit = 0;
  let value = bytes;
  // Steps up while the rounded figure would print 1000 or more (999,950 B is 1.00 MB, not 1000 KB).
  while (unit < BYTE_UNITS.length - 1 && Number(threeDigits(value)) >= 1000) {
    value /= 1000;
    unit++;
  }
  return `${threeDigits(value)} ${BYTE_UNITS[unit]}`;
}

/**
 * A duration: `850 ms`, `4.2 s`, `12 s`, `3 min 05 s`, `2 h 07 min`.
 * @throws RangeError for a negative or non-finite duration
 */
export function formatDuration(ms: number): string {
  if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`not a duration: ${ms}`);
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes} min ${String(whole % 60).padStart(2, '0')} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
}
