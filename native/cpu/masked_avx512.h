// Masked AVX-512 loads and stores that use the plain instruction when every lane is on. Include only
// from *_avx512.cc files (the functions are static: each such file gets its own AVX-512 copy).
//
// Why: on the Zen 5 machines this project is measured on, a masked load is far slower than a plain one
// when its line is not in L1, even with all 16 lanes on: GoogLeNet's 192×56² 3×3/2 max pool read its
// input at 2.8 GB/s from DRAM with masked loads and at 6.5 GB/s with plain ones (0.77 → 0.37 ms, 1
// thread; 0.58 → 0.30 ms with the input in L2/L3). Masked loads seem not to train the hardware
// prefetcher. So kernels that mask only the edges of a row go through these helpers, and the full
// vectors in the middle of a row take the plain path (one well-predicted branch).
#pragma once
#include <immintrin.h>

namespace convnets::cpu {

// Lanes outside m keep `src` (their addresses are not accessed).
static inline __m512 loadMasked(__m512 src, __mmask16 m, const float* p) {
  return m == __mmask16(0xFFFF) ? _mm512_loadu_ps(p) : _mm512_mask_loadu_ps(src, m, p);
}
// Lanes outside m are zero (their addresses are not accessed).
static inline __m512 loadMaskedZ(__mmask16 m, const float* p) {
  return m == __mmask16(0xFFFF) ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(m, p);
}
// Only the lanes in m are written.
static inline void storeMasked(float* p, __mmask16 m, __m512 v) {
  if (m == __mmask16(0xFFFF)) _mm512_storeu_ps(p, v);
  else _mm512_mask_storeu_ps(p, m, v);
}

}  // namespace convnets::cpu
