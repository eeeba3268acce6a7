import { copyField } from '../csv/fields';
import type { CsvTokenizer } from '../csv/tokenizer';
import { ColumnBatch, ColumnVector } from '../model/column-batch';
import * as columnKinds from '../model/kinds';
import type { TableSchema } from '../model/schema';
import { fileColumns } from '../model/table-layout';
import { parseBoolean, parseDate, parseDoubleChecked, parseInt32Checked } from './parse';
import { classify } from './classify';
import { decimalValue } from './decimal-values';
import { NO_NUMBER, TEXT_ONLY } from './locale';
import {
  checkedBoolean,
  checkedDate,
  checkedTimestamp,
  classifies,
  fits,
  int64Value,
  unscaledBytesOf,
  NULL,
  presence,
  safeInt64,
  timestampMicros,
  VALUE,
  type FieldRules,
  type RowSink,
} from './value-rules';

/*
 * The column-vector row sink: each accepted row's values, decided by the value rules, into column
 * vectors, handed on in batches to the format writers (Parquet, and Avro with another format).
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

/** Rows per batch handed to the writers (a batch is also flushed when its values pass 8 MiB). */
const BATCH_ROWS = 16384;
const BATCH_BYTES = 8 * 1024 * 1024;
/**
 * Rows each vector makes room for at first, whatever the table's width: its buffers then grow (by
 * doubling) while the row loop still runs unoptimized, so that V8 compiles the row loop with its growth
 * paths in it. Started at 1,024 rows, the first growth came once the loop was optimized, and threw that
 * code away (`--trace-deopt`: ensureRows, reserveBytes, commitBytes, appendInt64Words).
 */
const FIRST_ROWS = 16;

/**
 * A {@link RowSink} that fills column vectors and hands each full batch (16,384 rows or 8 MiB of values)
 * to `write`, which may reuse nothing of it once it resolves.
 */
export function batchRows(schema: TableSchema, write: (batch: ColumnBatch) => Promise<void>): RowSink {
  // Rows are appended in file order; with a table, the batch handed on is a view in output order.
  const file = schema.sources ? { columns: fileColumns(schema) } : schema;
  // Vectors start small and grow to what a batch needs: a wide file must not take a batch's worth per
  // column (its batches hold few rows: they fill BATCH_BYTES first).
  const batch = new ColumnBatch(file, FIRST_ROWS);
  const types = file.columns.map((c) => c.type);
  const kinds = kindsOf(types);
  const shapes = decimalShapesOf(types);
  const output = schema.sources ? outputView(schema, schema.sources, batch) : undefined;
  return {
    append: (t, first, rules, check, track, masks, seen) =>
      appendRow(t, first, kinds, shapes, batch.columns, rules, check, track, masks, seen),
    async flush(final) {
      const n = batch.length;
      if (n === 0 || (!final && n < BATCH_ROWS && batch.valueBytes < BATCH_BYTES)) return;
      await write(output ? output(n) : batch);
      batch.reset();
    },
  };
}

/**
 * The batch in output order, over the same vectors (permuted once, not per row), a table's columns that
 * the file lacks as vectors of nulls: `rows` long for each batch handed on.
 */
function outputView(
  schema: TableSchema,
  sources: readonly number[],
  batch: ColumnBatch,
): (rows: number) => ColumnBatch {
  const missing: ColumnVector[] = [];
  const columns = sources.map((source, o) => {
    if (source >= 0) return batch.columns[source]!;
    const nulls = new ColumnVector(schema.columns[o]!.type, 0);
    missing.push(nulls);
    return nulls;
  });
  const view = new ColumnBatch(schema, 0, columns);
  return (rows) => {
    for (const nulls of missing) nulls.setNulls(rows);
    return view;
  };
}

/**
 * {@link RowSink.append} into column vectors, by the value rules (value-rules.ts); `shapes` holds each
 * decimal column's precision and scale (see `decimalShapesOf`).
 */
function appendRow(
  t: CsvTokenizer,
  first: number,
  kinds: Uint8Array,
  shapes: Uint8Array,
  vectors: readonly ColumnVector[],
  rules: FieldRules,
  check: Uint8Array | undefined,
  track: Uint8Array | undefined,
  masks: Uint8Array,
  seen: Uint8Array,
): number {
  const t0 = t.buffer;
  const tokens = rules.tokens;
  const locale = rules.locale;
  const columns = kinds.length;
  for (let c = 0; c < columns; c++) {
    const f = first + c;
    let s = t.fieldStart[f]!;
    let e = t.fieldEnd[f]!;
    const v = vectors[c]!;
    const kind = kinds[c]!;
    const what = presence(t, f, s, e, kind, tokens);
    if (what !== VALUE) {
      if (what === NULL) v.appendNull();
      else v.commitBytes(v.reserveBytes(0)); // the empty string
      continue;
    }
    let b = t0;
    // With value options, a value is checked and read in its default spelling (a text column's is
    // classified so only when tracked: it keeps the text as written).
    if (locale !== undefined && (kind !== K_STRING || classifies(c, check, track))) {
      const n = locale.canonical(b, s, e);
      if (n === TEXT_ONLY) {
        if (kind !== K_STRING) return c;
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
        if (x !== x) return c;
        v.appendInt32(x);
        continue;
      }
      case K_DOUBLE: {
        const x = parseDoubleChecked(b, s, e);
        if (x !== x) return c;
        v.appendDouble(x);
        continue;
      }
      case K_INT64: {
        const x = safeInt64(b, s, e, c, track, masks, seen);
        if (x === x) {
          v.appendInt64Number(x);
          continue;
        }
        break;
      }
      case K_DATE: {
        const x = checkedDate(b, s, e, c, track, masks, seen);
        if (x === x) {
          v.appendInt32(x);
          continue;
        }
        break;
      }
      case K_TIMESTAMP: {
        const x = checkedTimestamp(b, s, e, c, track, masks, seen);
        if (x === x) {
          v.appendInt64Number(x);
          continue;
        }
        break;
      }
      case K_BOOLEAN: {
        const x = checkedBoolean(b, s, e, c, track, masks, seen);
        if (x >= 0) {
          v.appendInt32(x);
          continue;
        }
      }
    }
    if (kind >= K_DECIMAL) {
      // Checked against the column's own precision and scale as it parses (decimal columns are never tracked).
      if (!appendDecimal(v, kind, b, s, e, shapes[2 * c]!, shapes[2 * c + 1]!)) return c;
      continue;
    }
    // Classified only when checked or tracked; one classification serves both.
    if (classifies(c, check, track) && !fits(classify(b, s, e), c, check, track, masks, seen)) return c;
    switch (kind) {
      case K_STRING: {
        const at = v.reserveBytes(e - s); // may grow v.bytes: read it after
        v.commitBytes(copyField(t, f, v.bytes, at, v.bytesView));
        break;
      }
      case K_INT64:
        appendInt64Value(v, int64Value(b, s, e));
        break;
      case K_BOOLEAN:
        v.appendInt32(parseBoolean(b, s) ? 1 : 0);
        break;
      case K_DATE:
        v.appendInt32(parseDate(b, s));
        break;
      default:
        appendInt64Value(v, timestampMicros(b, s, e));
    }
  }
  return -1;
}

/**
 * Appends a decimal value to its vector (an int64 vector up to 18 digits, bytes beyond); false when
 * `b[s, e)` is no `decimal(precision, scale)`. Apart from the row loop, so that the loop's inlining
 * budget is not spent on decimals.
 */
function appendDecimal(
  v: ColumnVector,
  kind: number,
  b: Uint8Array,
  s: number,
  e: number,
  precision: number,
  scale: number,
): boolean {
  const x = decimalValue(b, s, e, precision, scale);
  if (x !== x) return false;
  if (kind === K_DECIMAL) appendInt64Value(v, x);
  else {
    const bytes = unscaledBytesOf(x);
    v.appendBytes(bytes, 0, bytes.length);
  }
  return true;
}

/** An int64 or timestamp value (see {@link int64Value}, {@link timestampMicros}) into its vector. */
function appendInt64Value(v: ColumnVector, x: number | bigint): void {
  if (typeof x === 'number') v.appendInt64Number(x);
  else v.appendInt64BigInt(x);
}

/** Appends an int64 value accepted by `classify` to an int64 vector. */
export function appendInt64(vector: ColumnVector, b: Uint8Array, s: number, e: number): void {
  appendInt64Value(vector, int64Value(b, s, e));
}

/**
 * Appends a date or timestamp accepted by `classify` to a timestamp vector, as microseconds since the
 * epoch in UTC (see {@link timestampMicros}).
 */
export function appendTimestamp(vector: ColumnVector, b: Uint8Array, s: number, e: number): void {
  appendInt64Value(vector, timestampMicros(b, s, e));
}
