/**
 * The WebAssembly module of `structural.wat`, compiled (wabt, SIMD on), as base64: the bytes travel inside
 * every bundle and nothing is built at run time. test/unit/core/csv/structural-wasm.test.ts compiles the
 * .wat again and fails when these bytes differ; paste what it prints after editing the .wat.
 */
export const STRUCTURAL_WASM_BASE64 =
  'AGFzbQEAAAABDQFgCH9/f39/f39/AX8DAgEABQMBAAYHEgIGbWVtb3J5AgAFaW5kZXgAAArWAgHTAgIGewV/IAT9DyEIIAX9DyEJIAb9DyEKIAf9DyELIAIhDwJAA0AgACABTw0BIAD9AAQAIQwgAP0ABBAhDSAMIAj9IyAMIAn9I/1QIAwgCv0jIAwgC/0j/VD9UP1kIA0gCP0jIA0gCf0j/VAgDSAK/SMgDSAL/SP9UP1Q/WRBEHRyIQ4gASAAa0EgSQRAIA5BASABIABrdEEBa3EhDgsgAyAAaiEQIA5pIREgDyAQIA5oajYCACAOIA5BAWtxIQ4gDyAQIA5oajYCBCAOIA5BAWtxIQ4gDyAQIA5oajYCCCAOIA5BAWtxIQ4gDyAQIA5oajYCDCARQQRLBEAgD0EQaiESIA4gDkEBa3EhDgJAA0AgDkUNASASIBAgDmhqNgIAIBJBBGohEiAOIA5BAWtxIQ4MAAsLCyAPIBFBAnRqIQ8gAEEgaiEADAALCyAPIAJrQQJ2Cw==';
