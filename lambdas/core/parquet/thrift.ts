import { ByteBuffer, putInt, putLongBigInt } from '../bytes/byte-buffer';

/** Thrift compact protocol type ids. */
export const enum TType {
  BoolTrue = 1,
  BoolFalse = 2,
  Byte = 3,
  I16 = 4,
  I32 = 5,
  I64 = 6,
  Double = 7,
  Binary = 8,
  List = 9,
  Struct = 12,
}

/**
 * A minimal Thrift compact protocol encoder: just what Parquet's page headers and file footer need
 * (structs, i32/i64, binary, bool, lists). Fields must be written in increasing id order within a struct.
 */
export class ThriftWriter {
  private readonly out = new ByteBuffer(256);
  private lastId = 0;
  private readonly stack: number[] = [];

  private byte(b: number): void {
    this.out.byte(b);
  }

  private varint(n: number): void {
    this.out.uvarint(n);
  }

  /** A zig-zag varint of a 32-bit integer. */
  private zigzag32(n: number): void {
    const out = this.out;
    out.ensure(5);
    out.pos = putInt(out.bytes, out.pos, n);
  }

  private header(id: number, type: number): void {
    const delta = id - this.lastId;
    if (delta > 0 && delta <= 15) {
      this.byte((delta << 4) | type);
    } else {
      this.byte(type);
      this.zigzag32(id);
    }
    this.lastId = id;
  }

  i32(id: number, value: number): this {
    this.header(id, TType.I32);
    this.zigzag32(value);
    return this;
  }

  /** An i64 field from a safe integer or a bigint. */
  i64(id: number, value: number | bigint): this {
    this.header(id, TType.I64);
    if (typeof value === 'number' && Number.isSafeInteger(value)) this.out.long(value);
    else {
      const out = this.out;
      out.ensure(10);
      out.pos = putLongBigInt(out.bytes, out.pos, BigInt(value));
    }
    return this;
  }

  bool(id: number, value: boolean): this {
    this.header(id, value ? TType.BoolTrue : TType.BoolFalse);
    return this;
  }

  byteField(id: number, value: number): this {
    this.header(id, TType.Byte);
    this.byte(value & 0xff);
    return this;
  }

  binary(id: number, value: Uint8Array | string): this {
    const data = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    this.header(id, TType.Binary);
    this.varint(data.length);
    this.out.append(data);
    return this;
  }

  /** Opens a struct field; close it with {@link end}. */
  struct(id: number): this {
    this.header(id, TType.Struct);
    this.stack.push(this.lastId);
    this.lastId = 0;
    return this;
  }

  /** Ends the current struct (or a list element struct). */
  end(): this {
    this.byte(0);
    this.lastId = this.stack.pop() ?? 0;
    return this;
  }

  /** Opens a list field of `size` elements of `type`. */
  list(id: number, type: TType, size: number): this {
    this.header(id, TType.List);
    if (size < 15) this.byte((size << 4) | type);
    else {
      this.byte(0xf0 | type);
      this.varint(size);
    }
    return this;
  }

  /** Starts a struct element inside a list; close it with {@link end}. */
  element(): this {
    this.stack.push(this.lastId);
    this.lastId = 0;
    return this;
  }

  /** An i32 element of a list. */
  i32Element(value: number): this {
    this.zigzag32(value);
    return this;
  }

  /** A binary (string) element of a list. */
  binaryElement(value: string): this {
    const data = Buffer.from(value, 'utf8');
    this.varint(data.length);
    this.out.append(data);
    return this;
  }

  /** Starts over, keeping the buffer: for a writer reused for one small struct after another. */
  reset(): this {
    this.out.pos = 0;
    this.lastId = 0;
    this.stack.length = 0;
    return this;
  }

  /** Ends the top-level struct and returns its bytes (valid until the writer is reset). */
  finish(): Uint8Array {
    this.byte(0);
    return this.out.used();
  }
}
