import { growBytes } from '../grow';

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
  private bytes: Uint8Array = new Uint8Array(256);
  private pos = 0;
  private lastId = 0;
  private readonly stack: number[] = [];

  private ensure(n: number): void {
    this.bytes = growBytes(this.bytes, this.pos, this.pos + n);
  }

  private byte(b: number): void {
    this.ensure(1);
    this.bytes[this.pos++] = b;
  }

  private varint(n: number): void {
    this.ensure(10);
    while (n >= 0x80) {
      this.bytes[this.pos++] = (n & 0x7f) | 0x80;
      n = n >= 4294967296 ? Math.floor(n / 128) : n >>> 7;
    }
    this.bytes[this.pos++] = n;
  }

  private varintBig(z: bigint): void {
    this.ensure(10);
    while (z >= 0x80n) {
      this.bytes[this.pos++] = Number(z & 0x7fn) | 0x80;
      z >>= 7n;
    }
    this.bytes[this.pos++] = Number(z);
  }

  private header(id: number, type: number): void {
    const delta = id - this.lastId;
    if (delta > 0 && delta <= 15) {
      this.byte((delta << 4) | type);
    } else {
      this.byte(type);
      this.varint(((id << 1) ^ (id >> 31)) >>> 0);
    }
    this.lastId = id;
  }

  i32(id: number, value: number): this {
    this.header(id, TType.I32);
    this.varint(((value << 1) ^ (value >> 31)) >>> 0);
    return this;
  }

  /** An i64 field from a safe integer or a bigint. */
  i64(id: number, value: number | bigint): this {
    this.header(id, TType.I64);
    if (typeof value === 'number' && Math.abs(value) < 2 ** 52)
      this.varint(value >= 0 ? value * 2 : -value * 2 - 1);
    else {
      const big = BigInt(value);
      this.varintBig(BigInt.asUintN(64, (big << 1n) ^ (big >> 63n)));
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
    this.ensure(data.length);
    this.bytes.set(data, this.pos);
    this.pos += data.length;
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
    this.varint(((value << 1) ^ (value >> 31)) >>> 0);
    return this;
  }

  /** A binary (string) element of a list. */
  binaryElement(value: string): this {
    const data = Buffer.from(value, 'utf8');
    this.varint(data.length);
    this.ensure(data.length);
    this.bytes.set(data, this.pos);
    this.pos += data.length;
    return this;
  }

  /** Starts over, keeping the buffer: for a writer reused for one small struct after another. */
  reset(): this {
    this.pos = 0;
    this.lastId = 0;
    this.stack.length = 0;
    return this;
  }

  /** Ends the top-level struct and returns its bytes (valid until the writer is reset). */
  finish(): Uint8Array {
    this.byte(0);
    return this.bytes.subarray(0, this.pos);
  }
}
