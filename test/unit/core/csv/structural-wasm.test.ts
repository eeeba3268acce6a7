/*
 * The committed WebAssembly bytes are the .wat beside them, compiled: a .wat edited without pasting the
 * new bytes fails here. And stage 1 itself: every position of the four bytes, in order, any alignment.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import wabt from 'wabt';
import { indexStructural, SLICE_BYTES, structuralPositions } from '../../../../lambdas/core/csv/structural';
import { STRUCTURAL_WASM_BASE64 } from '../../../../lambdas/core/csv/structural-wasm';

const WAT = join(__dirname, '../../../../lambdas/core/csv/structural.wat');

test('structural-wasm.ts holds exactly the compiled structural.wat', async () => {
  // prepare
  const tools = await wabt();
  const module = tools.parseWat('structural.wat', readFileSync(WAT, 'utf8'), { simd: true });
  // act
  const compiled = Buffer.from(module.toBinary({}).buffer).toString('base64');
  module.destroy();
  // assert (on a mismatch, paste this value into structural-wasm.ts)
  expect(STRUCTURAL_WASM_BASE64).toBe(compiled);
});

test('indexes every delimiter, quote, LF and CR of a slice, at any offset and length', () => {
  // prepare: bytes of all kinds, the four among them
  const bytes = Uint8Array.from(
    { length: 300 },
    (_, k) => [0x2c, 0x22, 0x0a, 0x0d, 0x61, 0xc3, 0xa9, 0x20][(k * 7 + (k >> 3)) % 8]!,
  );
  for (const from of [0, 1, 5, 15, 16, 17, 100]) {
    for (const to of [from, from + 1, from + 15, from + 16, from + 17, 300]) {
      // act
      const n = indexStructural(bytes, from, to, 0x2c, 0x22, 0x0a, 0x0d);
      // assert
      const expected: number[] = [];
      for (let p = from; p < to; p++) if ([0x2c, 0x22, 0x0a, 0x0d].includes(bytes[p]!)) expected.push(p);
      expect([from, to, Array.from(structuralPositions.subarray(0, n))]).toEqual([from, to, expected]);
    }
  }
});

test('a whole slice of structural bytes fits the positions', () => {
  // prepare
  const bytes = new Uint8Array(SLICE_BYTES + 10).fill(0x2c);
  // act
  const n = indexStructural(bytes, 10, SLICE_BYTES + 10, 0x2c, 0x22, 0x0a, 0x0d);
  // assert
  expect(n).toBe(SLICE_BYTES);
  expect(structuralPositions[0]).toBe(10);
  expect(structuralPositions[SLICE_BYTES - 1]).toBe(SLICE_BYTES + 9);
});
