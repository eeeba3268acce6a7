import { createHash } from 'node:crypto';
import { crc, deflateRaw, snappy } from '../bytes/codecs';
import { CONVERT_DEFAULTS } from '../model/defaults';
import type { AvroCodec } from '../model/options';
import { checkAvroBlockBytes, checkAvroCodec } from '../model/validate';
import { InvalidOptionsError } from '../model/errors';
import type { WriterStats } from '../model/writer';
import type { ByteSink } from '../model/sink';
import { ByteBuffer, RETAINED_BYTES } from '../bytes/byte-buffer';

/** Options of an Avro object container file. */
export interface AvroContainerOptions {
  /** How each block is compressed: `null` (none), `deflate` (raw DEFLATE) or `snappy` (with CRC-32). */
  readonly codec: AvroCodec;
  /** Uncompressed bytes at which a block is closed and written (a block always ends on a row). @default 1 MiB */
  readonly blockBytes?: number;
  /**
   * The file's 16-byte sync marker.
   * @default the MD5 of the Avro schema, so that identical inputs give identical files
   */
  readonly syncMarker?: Uint8Array;
  /**
   * Compresses sealed blocks, e.g. on another thread ({@link compressionThread}).
   * @default {@link inlineCompressor}: on the calling thread
   */
  readonly compressor?: BlockCompressor;
  /** Blocks only, no header: a part to be appended to another container's blocks. @default false */
  readonly headerless?: boolean;
}

/**
 * Compresses the blocks of a container with its codec. `compress` is called with the used part of the
 * block buffer; when it returns, the container writes the next block into the same buffer, unless the
 * compressor `takesBuffers`: then it has taken (transferred) that buffer, and the container goes on in one
 * that {@link BlockCompressor.reclaim} hands back, or in a new one.
 */
export interface BlockCompressor {
  compress(data: Uint8Array): Uint8Array | Promise<Uint8Array>;
  readonly takesBuffers?: boolean;
  /** A buffer of a block already compressed, free for reuse, if there is one. */
  reclaim?(): Uint8Array | undefined;
}

/** Compression on the calling thread. */
export function inlineCompressor(codec: AvroCodec): BlockCompressor {
  if (codec === 'snappy') return { compress: snappy };
  if (codec === 'deflate') return { compress: deflateRaw };
  return { compress: (data) => data.slice() };
}

const MAGIC = Uint8Array.of(0x4f, 0x62, 0x6a, 0x01); // "Obj" 1
/**
 * Sealed blocks that may be compressing at once before the encoder waits for the oldest: enough to keep
 * another core busy while this one encodes, a few MiB of memory.
 */
const IN_FLIGHT = 3;

/** A block handed to compression, waiting to be written in order. */
interface SealedBlock {
  readonly rows: number;
  readonly body: Promise<Uint8Array>;
  /** The CRC-32 trailer of the snappy codec, or undefined. */
  readonly crc: number | undefined;
}

/** Checks container options; throws {@link InvalidOptionsError} on an unusable one. */
export function validateAvroOptions(options: AvroContainerOptions): void {
  checkAvroCodec(options.codec);
  checkAvroBlockBytes(options.blockBytes);
  const { syncMarker } = options;
  if (syncMarker !== undefined && syncMarker.length !== 16) {
    throw new InvalidOptionsError(`An Avro sync marker has 16 bytes, got ${syncMarker.length}.`);
  }
}

/**
 * The framing of an Avro object container file (Avro 1.11 spec): the header (magic, schema and codec
 * metadata, sync marker), then blocks of rows, each `row count, byte size, data, sync marker`.
 *
 * Encoders write rows into {@link block} themselves and call {@link endRow} after each. A block that
 * reaches `blockBytes` is sealed: handed to the compressor (which may work on another thread) while the
 * encoder goes on in the same buffer. {@link drain} writes sealed blocks to the sink in order and waits
 * when more than a few are in flight, so memory stays a few MiB whatever the input.
 */
export class AvroContainer {
  /** The block being encoded, uncompressed: encoders write at `block.pos`. */
  readonly block: ByteBuffer;
  private blockRows = 0;
  private readonly header = new ByteBuffer(4096);
  /** A block's row count and byte size. */
  private readonly frame = new ByteBuffer(32);
  private readonly trailer = new Uint8Array(4);
  private readonly sync: Uint8Array;
  private readonly blockBytes: number;
  private readonly codec: AvroCodec;
  private readonly compress: BlockCompressor;
  private readonly sealed: SealedBlock[] = [];
  private headerWritten: boolean;
  private rows = 0;
  private blocks = 0;
  private bytesWritten = 0;

  /** @throws InvalidOptionsError on an unusable option (see {@link validateAvroOptions}) */
  constructor(
    schemaJson: string,
    private readonly sink: ByteSink,
    options: AvroContainerOptions,
  ) {
    validateAvroOptions(options);
    this.codec = options.codec;
    this.blockBytes = options.blockBytes ?? CONVERT_DEFAULTS.avroBlockBytes;
    this.compress = options.compressor ?? inlineCompressor(this.codec);
    this.headerWritten = options.headerless ?? false;
    // Small to start with (most files are), grown to a block's size as rows come. Very small: it first
    // grows while V8 still interprets the row encoder, which a growth first met in optimized code (past
    // 64 KiB) threw away.
    this.block = new ByteBuffer(Math.min(this.blockSize(), 1 << 10));
    this.sync = options.syncMarker ?? createHash('md5').update(`csv2lake:${schemaJson}`).digest();
    const h = this.header;
    h.append(MAGIC);
    h.long(2); // one block of two metadata entries
    for (const text of ['avro.schema', schemaJson, 'avro.codec', this.codec]) {
      // Avro `string`: the length as a long, then the UTF-8 bytes.
      const bytes = Buffer.from(text);
      h.long(bytes.length);
      h.append(bytes);
    }
    h.long(0);
    h.append(this.sync);
  }

  /** Counts the row just encoded into {@link block}; seals the block when it is full. */
  endRow(): void {
    this.blockRows++;
    if (this.block.pos >= this.blockBytes) this.seal();
  }

  /** Forgets a row encoded from `pos` on (e.g. one found not to fit half-way): `block.pos` goes back. */
  dropRow(pos: number): void {
    this.block.pos = pos;
  }

  /** Writes sealed blocks to the sink, in order, until at most `keep` are still compressing. */
  async drain(keep = IN_FLIGHT): Promise<void> {
    while (this.sealed.length > keep) await this.emitOldest();
  }

  /**
   * Appends blocks written apart (by a `headerless` container of the same schema, hence the same sync
   * marker, and codec, e.g. on another thread) after this container's own: `bytes` are those blocks,
   * `counts` what that container's {@link close} returned. Call after the last row, then {@link close}.
   * The container reads no file: the caller hands the bytes over.
   */
  async appendBlocks(bytes: AsyncIterable<Uint8Array>, counts: WriterStats): Promise<void> {
    if (this.blockRows > 0) this.seal();
    await this.drain(0);
    await this.writeHeader();
    for await (const chunk of bytes) await this.emit(chunk);
    this.rows += counts.rows;
    this.blocks += counts.chunks;
  }

  /** Writes everything, the header alone for a file without rows. */
  async close(): Promise<WriterStats> {
    if (this.blockRows > 0) this.seal();
    await this.drain(0);
    await this.writeHeader();
    return { rows: this.rows, bytesWritten: this.bytesWritten, chunks: this.blocks };
  }

  /** Stops without writing more; waits for compressions under way so that none outlives the writer. */
  async discard(): Promise<void> {
    const pending = this.sealed.splice(0).map((b) => b.body);
    await Promise.allSettled(pending);
  }

  private seal(): void {
    const data = this.block.used();
    // The spec's snappy codec: each block is followed by the CRC-32 of its uncompressed data, big-endian.
    const checksum = this.codec === 'snappy' ? crc(data) : undefined;
    let body: Promise<Uint8Array>;
    try {
      body = Promise.resolve(this.compress.compress(data));
    } catch (error) {
      body = Promise.reject(error as Error);
    }
    if (this.compress.takesBuffers) {
      this.block.bytes = this.compress.reclaim?.() ?? new Uint8Array(this.blockSize());
      this.block.view.forget();
    }
    // A block grown past RETAINED_BYTES by an outsized row goes once compressed (smaller ones are kept:
    // dropping each would make garbage of every long row's block).
    else if (this.block.bytes.length > RETAINED_BYTES) {
      this.block.bytes = new Uint8Array(this.blockSize());
      this.block.view.forget();
    }
    body.catch(() => {}); // awaited, in order, by emitOldest; never an unhandled rejection meanwhile
    this.sealed.push({ rows: this.blockRows, body, crc: checksum });
    this.rows += this.blockRows;
    this.blockRows = 0;
    this.block.pos = 0;
  }

  /** A block buffer's first size: the block and a typical row past its end. */
  private blockSize(): number {
    return this.blockBytes + (this.blockBytes >>> 3) + 64;
  }

  private async emit(chunk: Uint8Array): Promise<void> {
    this.bytesWritten += chunk.length;
    await this.sink.write(chunk);
  }

  private async writeHeader(): Promise<void> {
    if (this.headerWritten) return;
    this.headerWritten = true;
    await this.emit(this.header.used());
  }

  private async emitOldest(): Promise<void> {
    const block = this.sealed[0]!;
    const body = await block.body;
    this.sealed.shift();
    await this.writeHeader();
    const frame = this.frame;
    frame.pos = 0;
    frame.long(block.rows);
    frame.long(body.length + (block.crc === undefined ? 0 : 4));
    await this.emit(frame.used());
    await this.emit(body);
    if (block.crc !== undefined) {
      new DataView(this.trailer.buffer).setUint32(0, block.crc, false);
      await this.emit(this.trailer);
    }
    await this.emit(this.sync);
    this.blocks++;
  }
}
