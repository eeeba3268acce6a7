import { STRUCTURAL_WASM_BASE64 } from './structural-wasm';

/*
 * Stage 1 of the tokenizer: where the structural bytes of a stretch of input are (delimiter, quote, LF,
 * CR), found 32 bytes at a time by WebAssembly SIMD (structural.wat). The tokenizer's state machine then
 * jumps from one to the next instead of looking at every byte.
 */

/** Input bytes indexed per call: a slice is copied into the module's memory, its positions written after it. */
export const SLICE_BYTES = 1 << 16;
/**
 * The first slices a tokenizer indexes are small, so that its scan reaches the end of a slice inside an
 * unquoted field and inside a quoted one while V8 still interprets it (a 4 KiB start of a file holds
 * some 60 slice ends). Reached first in optimized code, the quoted field's refill had no type feedback,
 * and V8 threw the scan away and compiled it again (the costliest function to compile: ~15 ms each time).
 */
const SMALL_SLICES = 64;
const SMALL_SLICE_BYTES = 64;

/** Bytes of the slice a tokenizer indexes after `index` others: at most {@link SLICE_BYTES}. */
export function sliceBytes(index: number): number {
  return index < SMALL_SLICES ? SMALL_SLICE_BYTES : SLICE_BYTES;
}

/** Where the positions begin in the module's memory: after the slice and the 31 bytes the last loads may read. */
const POSITIONS_AT = SLICE_BYTES + 64;

interface StructuralExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  index(
    start: number,
    end: number,
    out: number,
    base: number,
    a: number,
    b: number,
    c: number,
    d: number,
  ): number;
}

interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: unknown };
}

// One instance per thread, shared by its tokenizers: a scan indexes its own input before it reads the
// positions, and scans do not nest (rows are handed over after a scan returns). 6 pages: the slice and up
// to one position per byte of it, and 4 more. The memory never grows, so the views stay valid.
// (The project's TypeScript libraries declare no WebAssembly values: Node has them all the same.)
const { Instance, Module } = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
const wasm = new Instance(new Module(Buffer.from(STRUCTURAL_WASM_BASE64, 'base64')))
  .exports as StructuralExports;
const memoryBytes = new Uint8Array(wasm.memory.buffer);

/**
 * The positions written by the last {@link indexStructural}, ascending, as offsets in the buffer that was
 * indexed. Valid until the next call (in any tokenizer of the thread).
 */
export const structuralPositions = new Uint32Array(wasm.memory.buffer, POSITIONS_AT, SLICE_BYTES);

/**
 * Writes to {@link structuralPositions} the offsets of the bytes equal to `a`, `b`, `c` or `d` in
 * `buf[from, to)`, where `to - from` is at most {@link SLICE_BYTES}; returns how many there are.
 */
export function indexStructural(
  buf: Uint8Array,
  from: number,
  to: number,
  a: number,
  b: number,
  c: number,
  d: number,
): number {
  memoryBytes.set(buf.subarray(from, to), 0);
  return wasm.index(0, to - from, POSITIONS_AT, from, a, b, c, d);
}
