import type { CsvTokenizer } from '../csv/tokenizer';
import { FIELD_QUOTED } from '../csv/tokens';
import { unscaledBytes } from '../model/decimal';
import * as kinds from '../model/kinds';
import * as lattice from '../model/type-lattice';
import { classify, SAFE_INT_CHARS, SAFE_INT_MASK } from './classify';
import { AS_WRITTEN, TEXT_ONLY, type LocaleReader } from './locale';
import {
  parseInt32,
  parseInt64BigInt,
  parseSafeIntChecked,
  parseTimestamp,
  SAFE_MICROS_SECONDS,
} from './parse';
import { parseBooleanChecked, parseDateChecked, timestampMicrosChecked } from './temporal';

/*
 * THE value rules: what a field of a tokenized row means, decided here once for every reader of rows, the
 * column-vector sink (column-sink.ts) and the Avro row encoder (avro-rows.ts) alike, and inference and the
 * header sniffer for what is no value. Small functions that the sinks' hot loops call per field (V8
 * inlines them); each sink only encodes what they decide.
 *
 * - An empty unquoted field is null; an empty quoted field is the empty string in a string column and
 *   null in any other; a null token (quoted or not) is null.
 * - Any other value is its column's type, parsed from the bytes: a value that does not fit the type its
 *   column is checked against stops the conversion (see `RowSink.append`).
 * - int64: a literal of up to {@link SAFE_INT_CHARS} characters is a number, a longer one a bigint.
 * - timestamp: microseconds since the epoch in UTC (no offset: UTC), a number while that is a safe
 *   integer, a bigint beyond.
 * - With value options (decimal comma, thousands, date formats, boolean words: see locale.ts), a value of a
 *   column that is not text is read in its default spelling (`1.234,5` as `1234.5`), and a number the
 *   options forbid (`1.5` with a decimal comma) is no number; a text column keeps the text as written.
 * - decimal(p,s): the unscaled integer (`12.30` in decimal(10,2) is 1230), checked against p and s as it
 *   is parsed (decimal-values.ts), never rounded; an int64 up to 18 digits, big-endian two's complement
 *   bytes beyond (see `storageType`).
 */

// Local copies: the hot paths read them as constants (see classify.ts).
const { K_STRING } = kinds;
const { M_BOOLEAN, M_DATE, M_TIMESTAMP, T_STRING } = lattice;

/** What the values of a pass mean besides their type: the null tokens and the value options, if any. */
export interface FieldRules {
  readonly tokens: readonly Uint8Array[];
  /** Undefined when the values are written as csv2lake reads them by default (the fast path). */
  readonly locale: LocaleReader | undefined;
}

/**
 * The classification of the non-empty value `b[s, e)` under value options: that of its default spelling,
 * text alone for a number the options forbid.
 */
export function classifyValue(locale: LocaleReader, b: Uint8Array, s: number, e: number): number {
  const n = locale.canonical(b, s, e);
  if (n === AS_WRITTEN) return classify(b, s, e);
  return n === TEXT_ONLY ? T_STRING : classify(locale.out, 0, n);
}

/** {@link presence}: the field holds a value of its column's type. */
export const VALUE = 0;
/** {@link presence}: the field is null. */
export const NULL = 1;
/** {@link presence}: the field is the empty string. */
export const EMPTY_STRING = 2;

/** Whether `b[s, e)` is one of the null tokens. */
export function isNullToken(tokens: readonly Uint8Array[], b: Uint8Array, s: number, e: number): boolean {
  const len = e - s;
  outer: for (const token of tokens) {
    if (token.length !== len) continue;
    for (let k = 0; k < len; k++) if (token[k] !== b[s + k]) continue outer;
    return true;
  }
  return false;
}

/**
 * What field `f` (bytes `[s, e)`) of a column of kind `kind` holds before its type is looked at:
 * {@link VALUE}, {@link NULL} or {@link EMPTY_STRING}.
 */
export function presence(
  t: CsvTokenizer,
  f: number,
  s: number,
  e: number,
  kind: number,
  tokens: readonly Uint8Array[],
): number {
  if (s === e) return kind === K_STRING && (t.fieldFlags[f]! & FIELD_QUOTED) !== 0 ? EMPTY_STRING : NULL;
  return tokens.length > 0 && isNullToken(tokens, t.buffer, s, e) ? NULL : VALUE;
}

/** Whether `b[s, e)` is no value to infer a type from: empty (quoted or not) or a null token. */
export function noValue(b: Uint8Array, s: number, e: number, tokens: readonly Uint8Array[]): boolean {
  return s === e || (tokens.length > 0 && isNullToken(tokens, b, s, e));
}

/**
 * Whether the values of column `c` are classified as they are converted (see {@link RowSink.append}):
 * checked against `check[c]`, or tracked when `track[c]` is 1. Only then does a sink classify a value
 * (`classify`) and hand the classification to {@link fits}.
 */
export function classifies(c: number, check: Uint8Array | undefined, track: Uint8Array | undefined): boolean {
  return (check !== undefined && check[c] !== 0) || (track !== undefined && track[c] === 1);
}

/**
 * Whether a value of column `c` whose classification is `mask` fits `check[c]`, tracking the
 * classification into `masks` and `seen` when `track[c]` is 1: one classification serves both.
 */
export function fits(
  mask: number,
  c: number,
  check: Uint8Array | undefined,
  track: Uint8Array | undefined,
  masks: Uint8Array,
  seen: Uint8Array,
): boolean {
  if (check !== undefined && check[c] !== 0 && (mask & check[c]!) === 0) return false;
  if (track !== undefined && track[c] === 1) {
    masks[c]! &= mask;
    seen[c] = 1;
  }
  return true;
}

/**
 * The int64 fast path: integers infer as int64, so int64 columns are common. A short literal is checked
 * while it is parsed, as `classify` would, and tracked without a classification (its mask is
 * {@link SAFE_INT_MASK}): the value as a safe integer, or NaN when it is not one (then the general path,
 * {@link fits} and {@link int64Value}, decides).
 */
export function safeInt64(
  b: Uint8Array,
  s: number,
  e: number,
  c: number,
  track: Uint8Array | undefined,
  masks: Uint8Array,
  seen: Uint8Array,
): number {
  if (e - s > SAFE_INT_CHARS) return NaN;
  const x = parseSafeIntChecked(b, s, e);
  if (x === x) fits(SAFE_INT_MASK, c, undefined, track, masks, seen);
  return x;
}

/*
 * The date, timestamp and boolean fast paths, as the int64 one: the value checked while it is parsed and
 * tracked with the classification `classify` gives it, or NaN (-1 for a boolean) for a value the general
 * path, `fits` and then `parseDate`/`timestampMicros`/`parseBoolean`, decides. As for int32, double and
 * int64, a checked column's check bit is its own type's, which every value they accept fits.
 */

/** The date fast path (see above): days since 1970-01-01, or NaN. */
export function checkedDate(
  b: Uint8Array,
  s: number,
  e: number,
  c: number,
  track: Uint8Array | undefined,
  masks: Uint8Array,
  seen: Uint8Array,
): number {
  const x = parseDateChecked(b, s, e);
  if (x === x) fits(M_DATE, c, undefined, track, masks, seen);
  return x;
}

/** The timestamp fast path (see above): microseconds since the epoch in UTC as a safe integer, or NaN. */
export function checkedTimestamp(
  b: Uint8Array,
  s: number,
  e: number,
  c: number,
  track: Uint8Array | undefined,
  masks: Uint8Array,
  seen: Uint8Array,
): number {
  const x = timestampMicrosChecked(b, s, e);
  if (x === x) fits(e - s === 10 ? M_DATE : M_TIMESTAMP, c, undefined, track, masks, seen);
  return x;
}

/** The boolean fast path (see above): 1 (true), 0 (false), or -1. */
export function checkedBoolean(
  b: Uint8Array,
  s: number,
  e: number,
  c: number,
  track: Uint8Array | undefined,
  masks: Uint8Array,
  seen: Uint8Array,
): number {
  const x = parseBooleanChecked(b, s, e);
  if (x >= 0) fits(M_BOOLEAN, c, undefined, track, masks, seen);
  return x;
}

/** An int64 value accepted by `classify`: a number up to {@link SAFE_INT_CHARS} characters, else a bigint. */
export function int64Value(b: Uint8Array, s: number, e: number): number | bigint {
  return e - s <= SAFE_INT_CHARS ? parseInt32(b, s, e) : parseInt64BigInt(b, s, e);
}

/** A decimal's unscaled value (see `decimalValue`) as the bytes of a decimal of more than 18 digits. */
export function unscaledBytesOf(x: number | bigint): Uint8Array {
  return unscaledBytes(typeof x === 'bigint' ? x : BigInt(x));
}

const timestampParts = new Float64Array(2);

/**
 * A date or timestamp accepted by `classify`, as microseconds since the epoch in UTC: a number while a
 * safe integer (within about 285 years of 1970), else a bigint.
 */
export function timestampMicros(b: Uint8Array, s: number, e: number): number | bigint {
  const parts = timestampParts;
  parseTimestamp(b, s, e, parts);
  const seconds = parts[0]!;
  const micros = parts[1]!;
  return Math.abs(seconds) < SAFE_MICROS_SECONDS
    ? seconds * 1e6 + micros
    : BigInt(seconds) * 1000000n + BigInt(micros);
}

/**
 * Where the accepted rows of a pass go: column vectors (`batchRows`) or Avro rows (`AvroRowWriter`), each
 * following the value rules of this module.
 */
export interface RowSink {
  /**
   * Appends the values of fields `first…` of the tokenizer's current batch, one per column, by `rules`. With `check`,
   * a non-zero `check[c]` is the type bit every value of column c must fit: the first column whose value
   * does not is returned, and the row may be half-appended: the caller then stops converting and discards
   * the sink's output. With `track`, columns marked 1 also have their values classified into `masks`/`seen`.
   * Returns -1 when the row was appended.
   */
  append(
    t: CsvTokenizer,
    first: number,
    rules: FieldRules,
    check: Uint8Array | undefined,
    track: Uint8Array | undefined,
    masks: Uint8Array,
    seen: Uint8Array,
  ): number;
  /** Called after each chunk of input (`final` at the end of the pass): hands on what filled. */
  flush(final: boolean): Promise<void>;
}
