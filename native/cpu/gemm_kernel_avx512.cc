// AVX-512 GEMM microkernel: 12×32 tile (24 zmm accumulators, 2 for the B row, 1 broadcast). Zen 5 has
// two 512-bit FMA pipes with 4-cycle latency, so ≥ 8 independent accumulators keep both busy; 24 also
// amortise the two B loads over 24 FMAs. Only this file is compiled with -mavx512f.
#include <immintrin.h>

#include "cpu/gemm.h"

namespace convnets::cpu {
namespace {

constexpr int MR = 12, NR = 32;

void kernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int mr, int nr, const TileEpilogue& e) {
  __m512 acc[MR][2];
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
    _mm_prefetch(reinterpret_cast<const char*>(b + 8 * NR), _MM_HINT_T0);
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      __m512 ai = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += MR;
    b += NR;
  }
  // Epilogue, fused into the store: masks handle a narrow right edge, mr the bottom edge.
  __mmask16 m0 = nr >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << nr) - 1);
  __mmask16 m1 = nr >= 32 ? __mmask16(0xFFFF) : nr <= 16 ? __mmask16(0) : __mmask16((1u << (nr - 16)) - 1);
  __m512 cb0 = _mm512_setzero_ps(), cb1 = _mm512_setzero_ps();
  if (e.colBias) { cb0 = _mm512_maskz_loadu_ps(m0, e.colBias); cb1 = _mm512_maskz_loadu_ps(m1, e.colBias + 16); }
  const __m512 zero = _mm512_setzero_ps();
  for (int i = 0; i < mr; ++i) {
    float* ci = c + i * ldc;
    __m512 v0 = _mm512_add_ps(acc[i][0], cb0), v1 = _mm512_add_ps(acc[i][1], cb1);
    if (e.rowBias) {
      __m512 rb = _mm512_set1_ps(e.rowBias[i]);
      v0 = _mm512_add_ps(v0, rb);
      v1 = _mm512_add_ps(v1, rb);
    }
    if (e.accumulate) {
      v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, ci));
      v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, ci + 16));
    }
    if (e.relu) { v0 = _mm512_max_ps(v0, zero); v1 = _mm512_max_ps(v1, zero); }
    _mm512_mask_storeu_ps(ci, m0, v0);
    _mm512_mask_storeu_ps(ci + 16, m1, v1);
  }
}

}  // namespace

GemmKernel gemmKernelAvx512() { return {Isa::Avx512, MR, NR, kernel}; }

}  // namespace convnets::cpu
