import { RETAINED_BYTES } from '../bytes/byte-buffer';
import { ByteView } from '../bytes/byte-copy';
import { storageType, type ColumnType, type TableSchema } from './schema';

const TWO_32 = 4294967296;
/** Smallest size a grown buffer takes (in elements). */
const MIN_GROWTH = 16;
const NO_I32 = new Int32Array(0);
const NO_F64 = new Float64Array(0);
const NO_BYTES = new Uint8Array(0);

/**
 * The values of one column for a run of rows, stored densely: only non-null values are kept, in row
 * order, so a Parquet writer can emit the value buffer as it is and an Avro writer walks it with a cursor.
 *
 * Which buffer holds the values depends on `type`:
 * - `boolean` (0/1), `int32`, `date` (days since 1970-01-01): `i32[0..count)`
 * - `int64`, `timestamp` (microseconds since 1970-01-01T00:00Z): `i64[0..2*count)`, little-endian word
 *   pairs (low word at `2k`, high word at `2k+1`): the bytes of `i64` are Parquet's PLAIN INT64 layout
 * - `double`: `f64[0..count)`
 * - `string`: UTF-8 in `bytes`; value k spans `bytes[offsets[k] .. offsets[k+1])`
 *
 * A decimal column's vector has its storage type (see `storageType`): `int64` (the unscaled values) up to
 * 18 digits, `string` (their big-endian two's complement bytes) beyond.
 */
export class ColumnVector {
  /** The type of the values' layout: the column's type, or a decimal's storage type. */
  readonly type: ColumnType;
  /** Rows in this vector (null or not). */
  length = 0;
  /** Non-null values in this vector. */
  count = 0;
  /** Per row: 1 when the row has a value, 0 when null. Valid for `[0, length)`. */
  valid: Uint8Array;
  i32: Int32Array;
  i64: Int32Array;
  f64: Float64Array;
  bytes: Uint8Array;
  offsets: Int32Array;
  /** A view of `bytes` for word-wise copies (see `copyBytes`). */
  readonly bytesView = new ByteView();

  /**
   * @param columnType the column's type (a decimal's vector takes its storage type)
   * @param capacity rows to make room for now; the buffers grow as rows come (a wide file's batches hold
   *   few rows, so its vectors start small). @default 1024
   */
  constructor(columnType: ColumnType, capacity = 1024) {
    const type = storageType(columnType);
    this.type = type;
    this.valid = new Uint8Array(capacity);
    // The buffers of the other types stay empty, shared: they are only ever replaced, never written.
    this.i32 = type === 'boolean' || type === 'int32' || type === 'date' ? new Int32Array(capacity) : NO_I32;
    this.i64 = type === 'int64' || type === 'timestamp' ? new Int32Array(capacity * 2) : NO_I32;
    this.f64 = type === 'double' ? new Float64Array(capacity) : NO_F64;
    this.bytes = type === 'string' ? new Uint8Array(capacity * 16) : NO_BYTES;
    this.offsets = new Int32Array(type === 'string' ? capacity + 1 : 1);
  }

  /** Forget all rows, keeping the buffers for reuse (except string bytes grown by an outsized value). */
  reset(): void {
    this.length = 0;
    this.count = 0;
    if (this.bytes.length > RETAINED_BYTES) {
      this.bytes = new Uint8Array(MIN_GROWTH * 16);
      this.bytesView.forget();
    }
  }

  /**
   * Makes this vector `rows` nulls: the values of a table's column that the file lacks. Its buffers may
   * have been handed over (see {@link handOver}) since the last call: they are set again.
   */
  setNulls(rows: number): void {
    if (this.valid.length < rows) this.valid = new Uint8Array(rows);
    else this.valid.fill(0, 0, rows);
    this.length = rows;
    this.count = 0;
    this.offsets[0] = 0;
  }

  /** Bytes this vector holds in values (an estimate of its encoded size, for row-group sizing). */
  get valueBytes(): number {
    switch (this.type) {
      case 'string':
        return this.offsets[this.count]! + 4 * this.count;
      case 'int64':
      case 'timestamp':
      case 'double':
        return 8 * this.count;
      case 'boolean':
        return this.count >>> 3;
      default:
        return 4 * this.count;
    }
  }

  appendNull(): void {
    this.ensureRows();
    this.valid[this.length++] = 0;
  }

  /** For `boolean` (0 or 1), `int32` and `date` (days since epoch). */
  appendInt32(value: number): void {
    this.ensureRows();
    if (this.count >= this.i32.length) this.i32 = grow32(this.i32, this.count + 1);
    this.i32[this.count++] = value;
    this.valid[this.length++] = 1;
  }

  appendBoolean(value: boolean): void {
    this.appendInt32(value ? 1 : 0);
  }

  /** For `int64` and `timestamp`: the low and high 32-bit words of the two's-complement value. */
  appendInt64Words(lo: number, hi: number): void {
    this.ensureRows();
    if (2 * this.count + 2 > this.i64.length) this.i64 = grow32(this.i64, 2 * this.count + 2);
    const k = 2 * this.count++;
    this.i64[k] = lo;
    this.i64[k + 1] = hi;
    this.valid[this.length++] = 1;
  }

  /** For `int64` and `timestamp`, from a safe integer (|value| <= 2^53 - 1). */
  appendInt64Number(value: number): void {
    const hi = Math.floor(value / TWO_32);
    this.appendInt64Words((value - hi * TWO_32) | 0, hi | 0);
  }

  /** For `int64` and `timestamp`, from any value in the signed 64-bit range. */
  appendInt64BigInt(value: bigint): void {
    const u = BigInt.asUintN(64, value);
    this.appendInt64Words(Number(u & 0xffffffffn) | 0, Number(u >> 32n) | 0);
  }

  appendDouble(value: number): void {
    this.ensureRows();
    if (this.count >= this.f64.length) this.f64 = grow64(this.f64, this.count + 1);
    this.f64[this.count++] = value;
    this.valid[this.length++] = 1;
  }

  /** For `string`: appends `source[start, end)`, which must be valid UTF-8. */
  appendBytes(source: Uint8Array, start: number, end: number): void {
    const at = this.reserveBytes(end - start);
    this.bytes.set(source.subarray(start, end), at);
    this.commitBytes(at + end - start);
  }

  /** For `string`. */
  appendString(value: string): void {
    const encoded = Buffer.from(value, 'utf8');
    this.appendBytes(encoded, 0, encoded.length);
  }

  /**
   * Low-level string append for callers that write the bytes themselves (e.g. while unescaping quotes):
   * returns the offset at which up to `maxLength` bytes may be written into `bytes`; finish with
   * {@link commitBytes} and the end offset actually written.
   */
  reserveBytes(maxLength: number): number {
    this.ensureRows();
    const at = this.offsets[this.count]!;
    if (at + maxLength > this.bytes.length) {
      const next = new Uint8Array(Math.max(this.bytes.length * 2, at + maxLength, MIN_GROWTH * 16));
      next.set(this.bytes.subarray(0, at));
      this.bytes = next;
    }
    return at;
  }

  /** Completes a string started with {@link reserveBytes}. */
  commitBytes(end: number): void {
    if (this.count + 2 > this.offsets.length) this.offsets = grow32(this.offsets, this.count + 2);
    this.offsets[++this.count] = end;
    this.valid[this.length++] = 1;
  }

  /** Value k of an `int64`/`timestamp` vector as a bigint (k counts non-null values). */
  int64At(k: number): bigint {
    return (BigInt(this.i64[2 * k + 1]!) << 32n) | BigInt(this.i64[2 * k]! >>> 0);
  }

  private ensureRows(): void {
    if (this.length >= this.valid.length) {
      const next = new Uint8Array(this.valid.length * 2 || MIN_GROWTH);
      next.set(this.valid);
      this.valid = next;
    }
  }
}

function grow32(array: Int32Array, min: number): Int32Array {
  const next = new Int32Array(Math.max(array.length * 2, min, MIN_GROWTH));
  next.set(array);
  return next;
}

function grow64(array: Float64Array, min: number): Float64Array {
  const next = new Float64Array(Math.max(array.length * 2, min, MIN_GROWTH));
  next.set(array);
  return next;
}

/** A run of rows of one table, one {@link ColumnVector} per column of the schema, all of equal length. */
export class ColumnBatch {
  readonly columns: ColumnVector[];

  constructor(
    readonly schema: TableSchema,
    capacity = 1024,
    columns?: ColumnVector[],
  ) {
    this.columns = columns ?? schema.columns.map((c) => new ColumnVector(c.type, capacity));
  }

  /** Rows in the batch. */
  get length(): number {
    return this.columns[0]?.length ?? 0;
  }

  /** Approximate bytes of values held, for sizing row groups and blocks. */
  get valueBytes(): number {
    let total = 0;
    for (const c of this.columns) total += c.valueBytes + c.length;
    return total;
  }

  reset(): void {
    for (const c of this.columns) c.reset();
  }
}
