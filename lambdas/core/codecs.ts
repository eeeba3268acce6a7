import { compress as snappyCompressAsync, compressSync as snappyCompress } from 'snappy';
import * as zlib from 'node:zlib';
import { constants, crc32, deflateRawSync, gzipSync, zstdCompressSync } from 'node:zlib';

/** Compresses a whole block with Snappy (raw block format, no framing). */
export function snappy(data: Uint8Array): Buffer {
  return snappyCompress(Buffer.from(data.buffer, data.byteOffset, data.length));
}

/**
 * {@link snappy} off the JavaScript thread (libuv's thread pool), so that compression runs on another core
 * while the caller goes on encoding. `data` must not change until the promise settles.
 */
export function snappyOffThread(data: Uint8Array): Promise<Buffer> {
  return snappyCompressAsync(Buffer.from(data.buffer, data.byteOffset, data.length));
}

/** {@link deflateRaw} off the JavaScript thread; `data` must not change until the promise settles. */
export function deflateRawOffThread(data: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    zlib.deflateRaw(data, (error, result) => (error ? reject(error) : resolve(result))),
  );
}

/** Zstandard at level 3 (what Spark and DuckDB default to). */
export function zstd(data: Uint8Array): Buffer {
  return zstdCompressSync(data, { params: { [constants.ZSTD_c_compressionLevel]: 3 } });
}

/** gzip (RFC 1952) at zlib's default level. */
export function gzip(data: Uint8Array): Buffer {
  return gzipSync(data);
}

/** Raw DEFLATE (RFC 1951, no zlib header), as Avro's `deflate` codec wants. */
export function deflateRaw(data: Uint8Array): Buffer {
  return deflateRawSync(data);
}

/** CRC-32 (IEEE), as Avro's snappy codec appends. */
export function crc(data: Uint8Array): number {
  return crc32(data) >>> 0;
}
