import { putInt, putLong, putLongBigInt, type ByteBuffer } from '../bytes/byte-buffer';
import type { ByteView } from '../bytes/byte-copy';
import { AvroContainer, type AvroContainerOptions } from '../avro/avro-container';
import { avroSchemaFor } from '../avro/avro-schema';
import { copyField } from '../csv/fields';
import type { CsvTokenizer } from '../csv/tokenizer';
import * as columnKinds from '../model/kinds';
import type { TableSchema } from '../model/schema';
import type { ByteSink } from '../model/sink';
import type { WriterStats } from '../model/writer';
import { parseBoolean, parseDate, parseDoubleChecked, parseInt32Checked } from './parse';
import { classify } from './classify';
import { decimalValue, putUnscaledNumber } from './decimal-values';
import { NO_NUMBER, TEXT_ONLY } from './locale';
import {
  checkedBoolean,
  checkedDate,
  checkedTimestamp,
  classifies,
  fits,
  int64Value,
  NULL,
  unscaledBytesOf,
  presence,
  safeInt64,
  timestampMicros,
  VALUE,
  type FieldRules,
  type RowSink,
} from './value-rules';

/*
 * The fused Avro row encoder: CSV rows straight to Avro binary, for a conversion whose only format is
 * Avro. It reads the tokenizer (so it is a row sink, not a format writer) and follows the value rules of
 * value-rules.ts; the Avro format itself (container, schema, the column writer) is avro/.
 */

// Local copies: the hot loop reads them as constants (see classify.ts).
const {
  K_BOOLEAN,
  K_DATE,
  K_DECIMAL,
  K_DOUBLE,
  K_INT32,
  K_INT64,
  K_STRING,
  K_TIMESTAMP,
  decimalShapesOf,
  kindsOf,
} = columnKinds;

/** The most bytes one value takes besides a string's own bytes: union index + a 10-byte long varint. */
const MAX_VALUE_BYTES = 11;

/**
 * The Avro output of a conversion whose only format is Avro: a {@link RowSink} that encodes each row
 * straight from the tokenizer's bytes into the container's block, with no column vectors in between
 * (Avro is a row format, so the columnar detour of the two-format path is pure cost here). Values follow
 * the value rules (value-rules.ts), as the column path does; the file is the same as `createAvroWriter` writes.
 */
export class AvroRowWriter implements RowSink {
  private readonly container: AvroContainer;
  /** Per output column (field), its kind. */
  private readonly kinds: Uint8Array;
  /** Per output column, a decimal's precision and scale (see `decimalShapesOf`). */
  private readonly shapes: Uint8Array;
  /**
   * Per output column, the file column it encodes, or -1 for a table column the file lacks (null in
   * every row): fields follow the output's order, which a table may give (see `TableSchema.sources`).
   */
  private readonly sources: Int32Array;

  /** @throws InvalidOptionsError on an unusable container option */
  constructor(schema: TableSchema, sink: ByteSink, options: AvroContainerOptions) {
    this.container = new AvroContainer(JSON.stringify(avroSchemaFor(schema)), sink, options);
    this.kinds = kindsOf(schema.columns.map((c) => c.type));
    this.shapes = decimalShapesOf(schema.columns.map((c) => c.type));
    this.sources = schema.sources
      ? Int32Array.from(schema.sources)
      : Int32Array.from(schema.columns, (_, o) => o);
  }

  append(
    t: CsvTokenizer,
    first: number,
    rules: FieldRules,
    check: Uint8Array | undefined,
    track: Uint8Array | undefined,
    masks: Uint8Array,
    seen: Uint8Array,
  ): number {
    const container = this.container;
    const out = container.block;
    const kinds = this.kinds;
    const sources = this.sources;
    const columns = kinds.length;
    const rowBound = columns * MAX_VALUE_BYTES;
    const t0 = t.buffer;
    const tokens = rules.tokens;
    const locale = rules.locale;
    const starts = t.fieldStart;
    const ends = t.fieldEnd;
    const rowStart = out.pos;
    out.ensure(rowBound);
    let o = out.bytes;
    let p = rowStart;
    for (let field = 0; field < columns; field++) {
      const c = sources[field]!;
      if (c < 0) {
        o[p++] = 0; // a table column the file lacks: null
        continue;
      }
      const f = first + c;
      let s = starts[f]!;
      let e = ends[f]!;
      const kind = kinds[field]!;
      const what = presence(t, f, s, e, kind, tokens);
      if (what !== VALUE) {
        if (what === NULL)
          o[p++] = 0; // union branch 0: null
        else {
          o[p++] = 2; // the empty string
          o[p++] = 0;
        }
        continue;
      }
      let b = t0;
      // With value options, a value is checked and read in its default spelling (a text column's is
      // classified so only when tracked: it keeps the text as written).
      if (locale !== undefined && (kind !== K_STRING || classifies(c, check, track))) {
        const n = locale.canonical(b, s, e);
        if (n === TEXT_ONLY) {
          if (kind !== K_STRING) return this.misfit(rowStart, c);
          b = NO_NUMBER;
          s = 0;
          e = NO_NUMBER.length;
        } else if (n >= 0) {
          b = locale.out;
          s = 0;
          e = n;
        }
      }
      // Numbers, dates, timestamps and booleans check while they parse (int32 and double decide every
      // value; the others leave the rare ones to the general path below).
      switch (kind) {
        case K_INT32: {
          const x = parseInt32Checked(b, s, e);
          if (x !== x) return this.misfit(rowStart, c);
          o[p++] = 2;
          p = putInt(o, p, x);
          continue;
        }
        case K_DOUBLE: {
          const q = putDouble(o, p, out.view, b, s, e);
          if (q < 0) return this.misfit(rowStart, c);
          p = q;
          continue;
        }
        case K_INT64: {
          const q = putSafeInt64(o, p, b, s, e, c, track, masks, seen);
          if (q >= 0) {
            p = q;
            continue;
          }
          break;
        }
        case K_DATE: {
          const x = checkedDate(b, s, e, c, track, masks, seen);
          if (x === x) {
            o[p++] = 2;
            p = putInt(o, p, x);
            continue;
          }
          break;
        }
        case K_TIMESTAMP: {
          const q = putTimestamp(o, p, b, s, e, c, track, masks, seen);
          if (q >= 0) {
            p = q;
            continue;
          }
          break;
        }
        case K_BOOLEAN: {
          const x = checkedBoolean(b, s, e, c, track, masks, seen);
          if (x >= 0) {
            o[p++] = 2;
            o[p++] = x;
            continue;
          }
        }
      }
      if (kind >= K_DECIMAL) {
        // Checked against the column's own precision and scale as it parses (never tracked).
        p = putDecimal(out, p, b, s, e, this.shapes[2 * field]!, this.shapes[2 * field + 1]!, rowBound);
        if (p < 0) return this.misfit(rowStart, c);
        o = out.bytes;
        continue;
      }
      if (classifies(c, check, track) && !fits(classify(b, s, e), c, check, track, masks, seen))
        return this.misfit(rowStart, c);
      o[p++] = 2; // union branch 1: the value
      switch (kind) {
        case K_STRING: {
          const most = e - s; // un-escaping only shortens a value
          // Room for this string and everything else the row may still need.
          if (p + most + 5 + rowBound > o.length) {
            out.pos = p;
            out.ensure(most + 5 + rowBound);
            o = out.bytes;
          }
          // The length written is that of the bytes copyField wrote, so the two cannot disagree whatever
          // the field's flags (a length counted apart once did, and made the file unreadable). The value
          // goes after room for its longest length; a shorter length moves it back (escaped values only).
          const at = p + intSize(most);
          const stop = copyField(t, f, o, at, out.view);
          const q = putInt(o, p, stop - at);
          if (q !== at) o.copyWithin(q, at, stop);
          p = q + (stop - at);
          break;
        }
        case K_INT64: {
          const x = int64Value(b, s, e);
          p = typeof x === 'number' ? putLong(o, p, x) : putLongBigInt(o, p, x);
          break;
        }
        case K_BOOLEAN:
          o[p++] = parseBoolean(b, s) ? 1 : 0;
          break;
        case K_DATE:
          p = putInt(o, p, parseDate(b, s));
          break;
        default: {
          const x = timestampMicros(b, s, e);
          p = typeof x === 'number' ? putLong(o, p, x) : putLongBigInt(o, p, x);
        }
      }
    }
    out.pos = p;
    container.endRow();
    return -1;
  }

  flush(): Promise<void> {
    return this.container.drain();
  }

  /** Appends blocks written apart after this writer's own rows (see {@link AvroContainer.appendBlocks}). */
  appendBlocks(bytes: AsyncIterable<Uint8Array>, counts: WriterStats): Promise<void> {
    return this.container.appendBlocks(bytes, counts);
  }

  /** Writes the rest of the file. */
  async close(): Promise<{ avro: WriterStats }> {
    return { avro: await this.container.close() };
  }

  /** Stops without finishing (the caller resets or discards the sink). */
  discard(): Promise<void> {
    return this.container.discard();
  }

  private misfit(rowStart: number, column: number): number {
    this.container.dropRow(rowStart);
    return column;
  }
}

/*
 * The fast paths whose value is no small integer, apart from the row loop: each parses, checks and writes
 * a value and returns the position after it (a small integer), so that the value itself stays an unboxed
 * double. Returned from a call that is not inlined (the row loop's inlining budget runs out), a double
 * or an integer past 2^30 is a heap number: one allocation per value.
 */

/** A double at `o[p]` (union branch 1, then 8 bytes little-endian); -1 when `b[s, e)` is no double. */
function putDouble(o: Uint8Array, p: number, view: ByteView, b: Uint8Array, s: number, e: number): number {
  const x = parseDoubleChecked(b, s, e);
  if (x !== x) return -1;
  o[p] = 2;
  // Never NaN here (that is a misfit): the bits written are those of the value.
  view.of(o).setFloat64(p + 1, x, true);
  return p + 9;
}

/** The int64 fast path (see `safeInt64`) at `o[p]`: union branch 1, then the long; -1 when it declines. */
function putSafeInt64(
  o: Uint8Array,
  p: number,
  b: Uint8Array,
  s: number,
  e: number,
  c: number,
  track: Uint8Array | undefined,
  masks: Uint8Array,
  seen: Uint8Array,
): number {
  const x = safeInt64(b, s, e, c, track, masks, seen);
  if (x !== x) return -1;
  o[p] = 2;
  return putLong(o, p + 1, x);
}

/** The timestamp fast path (see `checkedTimestamp`) at `o[p]`: union branch 1, then the long; -1 when it declines. */
function putTimestamp(
  o: Uint8Array,
  p: number,
  b: Uint8Array,
  s: number,
  e: number,
  c: number,
  track: Uint8Array | undefined,
  masks: Uint8Array,
  seen: Uint8Array,
): number {
  const x = checkedTimestamp(b, s, e, c, track, masks, seen);
  if (x !== x) return -1;
  o[p] = 2;
  return putLong(o, p + 1, x);
}

/**
 * Writes a decimal at `out.bytes[p]` (union branch 1, then Avro `bytes`: a zig-zag length and the fewest
 * big-endian two's complement bytes of the unscaled value) and returns the position after it; -1 when
 * `b[s, e)` is no `decimal(precision, scale)`. May replace `out.bytes` (a value past the row's bound).
 * Apart from the row loop, so that the loop's inlining budget is not spent on decimals.
 */
function putDecimal(
  out: ByteBuffer,
  p: number,
  b: Uint8Array,
  s: number,
  e: number,
  precision: number,
  scale: number,
  room: number,
): number {
  const x = decimalValue(b, s, e, precision, scale);
  if (x !== x) return -1;
  let o = out.bytes;
  o[p++] = 2;
  if (typeof x === 'number') return putUnscaledNumber(o, p, x);
  const bytes = unscaledBytesOf(x);
  if (p + bytes.length + 1 + room > o.length) {
    out.pos = p;
    out.ensure(bytes.length + 1 + room);
    o = out.bytes;
  }
  p = putInt(o, p, bytes.length);
  o.set(bytes, p);
  return p + bytes.length;
}

/** Bytes of the Avro `int` of a length `n` >= 0 (zig-zag doubles it: 7 bits per byte hold up to 63). */
function intSize(n: number): number {
  return n < 64 ? 1 : n < 8192 ? 2 : n < 1048576 ? 3 : n < 134217728 ? 4 : 5;
}
