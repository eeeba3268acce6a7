import { ColumnVector } from '../model/column-batch';
import { storageType, type ColumnType } from '../model/schema';

/*
 * A column vector's buffers handed to another thread and back, transferred (not copied).
 */

/** One column's buffers and how much of them is used, as transferred to another thread (see {@link handOver}). */
export interface VectorData {
  length: number;
  count: number;
  valid: Uint8Array;
  values: Int32Array | Float64Array | Uint8Array;
  offsets?: Int32Array;
}

/**
 * Hands the vector's buffers over whole (to be transferred to another thread, no copy) and gives the
 * vector `spare` buffers in their place (buffers of an earlier hand-over, back from that thread), or new
 * ones of the same sizes. The vector is then empty, ready for reuse.
 */
export function handOver(v: ColumnVector, spare: VectorData | undefined): VectorData {
  const values =
    v.type === 'string'
      ? v.bytes
      : v.type === 'double'
        ? v.f64
        : v.type === 'int64' || v.type === 'timestamp'
          ? v.i64
          : v.i32;
  const data: VectorData = { length: v.length, count: v.count, valid: v.valid, values };
  if (v.type === 'string') data.offsets = v.offsets;
  const fresh = spare ?? {
    length: 0,
    count: 0,
    valid: new Uint8Array(v.valid.length),
    values: new (values.constructor as new (n: number) => typeof values)(values.length),
    ...(data.offsets ? { offsets: new Int32Array(data.offsets.length) } : {}),
  };
  const empty = vectorFromData(v.type, fresh);
  v.valid = empty.valid;
  v.i32 = empty.i32;
  v.i64 = empty.i64;
  v.f64 = empty.f64;
  v.bytes = empty.bytes;
  v.offsets = empty.offsets;
  v.reset();
  return data;
}

/** The buffers of a {@link VectorData}, for a transfer list. */
export function buffersOf(data: VectorData): ArrayBuffer[] {
  const buffers = [data.valid.buffer, data.values.buffer];
  if (data.offsets) buffers.push(data.offsets.buffer);
  return buffers as ArrayBuffer[];
}

/**
 * A vector over transferred buffers (see {@link handOver}) for a column of type `type` (a column's type or
 * a vector's own: a decimal's buffers are those of its storage type).
 */
export function vectorFromData(type: ColumnType, data: VectorData): ColumnVector {
  const v = new ColumnVector(type, 0);
  const storage = storageType(type);
  v.length = data.length;
  v.count = data.count;
  v.valid = data.valid;
  if (storage === 'string') {
    v.bytes = data.values as Uint8Array;
    v.offsets = data.offsets!;
  } else if (storage === 'double') v.f64 = data.values as Float64Array;
  else if (storage === 'int64' || storage === 'timestamp') v.i64 = data.values as Int32Array;
  else v.i32 = data.values as Int32Array;
  return v;
}
