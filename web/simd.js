// Whether this JavaScript engine runs WebAssembly SIMD128: the worker and the compat build
// both pick their build (web/pkg/simd or web/pkg/scalar) by it.

// `(module (func (result v128) v128.const 0))`: it validates only where SIMD128 works.
const PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
]);

/** True when this engine validates SIMD128 code. */
export function simdSupported() {
  try {
    return WebAssembly.validate(PROBE);
  } catch {
    return false;
  }
}
