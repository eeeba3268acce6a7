import { ColumnBatch, ColumnVector } from './model/column-batch';
import { K_BOOLEAN, K_DATE, K_DOUBLE, K_INT32, K_INT64, K_STRING, kindsOf } from './model/kinds';
import type { TableSchema } from './model/schema';
import { fileColumns } from './model/table-layout';
import { copyField } from './csv/fields';
import type { CsvTokenizer } from './csv/tokenizer';
import { FIELD_QUOTED } from './csv/tokens';
import {
  appendInt64,
  appendTimestamp,
  classify,
  parseBoolean,
  parseDate,
  parseDoubleChecked,
  parseInt32Checked,
  parseSafeIntChecked,
  SAFE_INT_CHARS,
  SAFE_INT_MASK,
} from './values';

/*
 * How a tokenized row becomes output values. The passes hand each accepted row to a RowSink: column
 * vectors for the Parquet and Avro writers (batchRows), or, when Avro is the only output, Avro binary
 * encoded straight from the CSV bytes (AvroRowWriter). Both follow the same value rules.
 */

export { K_BOOLEAN, K_DATE, K_DOUBLE, K_INT32, K_INT64, K_STRING, K_TIMESTAMP, kindsOf } from './model/kinds';

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
 * Where the accepted rows of a pass go.
 *
 * Value rules, shared by every sink: an empty unquoted field is null; an empty quoted field is the empty
 * string in a string column and null in any other; a null token is null; any other value is parsed as its
 * column's type.
 */
export interface RowSink {
  /**
   * Appends the values of fields `first…` of the tokenizer's current batch, one per column. With `check`,
   * a non-zero `check[c]` is the type bit every value of column c must fit: the first column whose value
   * does not is returned, and the row may be half-appended: the caller then stops converting and discards
   * the sink's output. With `track`, columns marked 1 also have their values classified into `masks`/`seen`.
   * Returns -1 when the row was appended.
   */
  append(
    t: CsvTokenizer,
    first: number,
    tokens: readonly Uint8Array[],
    check: Uint8Array | undefined,
    track: Uint8Array | undefined,
    masks: Uint8Array,
    seen: Uint8Array,
  ): number;
  /** Called after each chunk of input (`final` at the end of the pass): hands on what filled. */
  flush(final: boolean): Promise<void>;
}

/** Rows per batch handed to the writers (a batch is also flushed when its values pass 8 MiB). */
const BATCH_ROWS = 16384;
const BATCH_BYTES = 8 * 1024 * 1024;

/**
 * A {@link RowSink} that fills column vectors and hands each full batch (16,384 rows or 8 MiB of values)
 * to `write`, which may reuse nothing of it once it resolves.
 */
export function batchRows(schema: TableSchema, write: (batch: ColumnBatch) => Promise<void>): RowSink {
  // Rows are appended in file order; with a table, the batch handed on is a view in output order.
  const file = schema.sources ? { columns: fileColumns(schema) } : schema;
  // Vectors start small and grow to what a batch needs: a wide file must not take a batch's worth per
  // column (its batches hold few rows: they fill BATCH_BYTES first).
  const batch = new ColumnBatch(file, firstCapacity(file.columns.length));
  const kinds = kindsOf(file.columns.map((c) => c.type));
  const output = schema.sources ? outputView(schema, schema.sources, batch) : undefined;
  return {
    append: (t, first, tokens, check, track, masks, seen) =>
      appendRow(t, first, kinds, batch.columns, tokens, check, track, masks, seen),
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

/** Rows each vector makes room for at first: 1,024, fewer past 64 columns (16 from 4,096 columns on). */
export function firstCapacity(columns: number): number {
  return Math.max(16, Math.min(1024, Math.floor(65536 / Math.max(1, columns))));
}

/** {@link RowSink.append} into column vectors. */
function appendRow(
  t: CsvTokenizer,
  first: number,
  kinds: Uint8Array,
  vectors: readonly ColumnVector[],
  tokens: readonly Uint8Array[],
  check: Uint8Array | undefined,
  track: Uint8Array | undefined,
  masks: Uint8Array,
  seen: Uint8Array,
): number {
  const b = t.buffer;
  const hasTokens = tokens.length > 0;
  const columns = kinds.length;
  for (let c = 0; c < columns; c++) {
    const f = first + c;
    const s = t.fieldStart[f]!;
    const e = t.fieldEnd[f]!;
    const v = vectors[c]!;
    const kind = kinds[c]!;
    if (s === e) {
      if (kind === K_STRING && (t.fieldFlags[f]! & FIELD_QUOTED) !== 0) v.commitBytes(v.reserveBytes(0));
      else v.appendNull();
      continue;
    }
    if (hasTokens && isNullToken(tokens, b, s, e)) {
      v.appendNull();
      continue;
    }
    // The two commonest numeric kinds check while they parse; the others classify first.
    if (kind === K_INT32) {
      const x = parseInt32Checked(b, s, e);
      if (x !== x) return c;
      v.appendInt32(x);
      continue;
    }
    if (kind === K_DOUBLE) {
      const x = parseDoubleChecked(b, s, e);
      if (x !== x) return c;
      v.appendDouble(x);
      continue;
    }
    // Integers infer as int64, so int64 columns are common: a short one is checked while it is parsed, and
    // tracked without a classification (its mask is SAFE_INT_MASK); anything else takes the general path.
    if (kind === K_INT64 && e - s <= SAFE_INT_CHARS) {
      const x = parseSafeIntChecked(b, s, e);
      if (x === x) {
        if (track !== undefined && track[c] === 1) {
          masks[c]! &= SAFE_INT_MASK;
          seen[c] = 1;
        }
        v.appendInt64Number(x);
        continue;
      }
    }
    // One classification for both the check and the tracking (an int64 column has both).
    let mask = -1;
    if (check !== undefined && check[c] !== 0) {
      mask = classify(b, s, e);
      if ((mask & check[c]!) === 0) return c;
    }
    if (track !== undefined && track[c] === 1) {
      masks[c]! &= mask < 0 ? classify(b, s, e) : mask;
      seen[c] = 1;
    }
    switch (kind) {
      case K_STRING: {
        const at = v.reserveBytes(e - s); // may grow v.bytes: read it after
        v.commitBytes(copyField(t, f, v.bytes, at));
        break;
      }
      case K_INT64:
        appendInt64(v, b, s, e);
        break;
      case K_BOOLEAN:
        v.appendInt32(parseBoolean(b, s) ? 1 : 0);
        break;
      case K_DATE:
        v.appendInt32(parseDate(b, s));
        break;
      default:
        appendTimestamp(v, b, s, e);
    }
  }
  return -1;
}
