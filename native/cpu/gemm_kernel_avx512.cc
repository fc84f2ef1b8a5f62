// AVX-512 GEMM microkernels. Main: 12×32 tile (24 zmm accumulators, 2 for the B row, 1 broadcast).
// Zen 5 has two 512-bit FMA pipes with 4-cycle latency, so ≥ 8 independent accumulators keep both
// busy; 24 also amortise the two B loads over 24 FMAs. Narrow: 16×16 for products with few columns
// (Winograd on 7×7 and 14×14 images has 4–49 tiles), where padding N to 32 would waste up to 8×.
// Only this file is compiled with -mavx512f.
#include <immintrin.h>

#include "cpu/gemm.h"

namespace convnets::cpu {
namespace {

// An edge panel with only NC ≤ 8 real columns (N = 49 = 3·16 + 1 on 7×7 images, 196 = 12·16 + 4): the
// row-vector kernel would spend a whole 16-lane FMA per row on them, so vectorise over the 16 rows of
// the A panel instead (one accumulator per column, B elements broadcast) and store column by column.
template <int NC>
void columnKernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int mr, const TileEpilogue& e) {
  __m512 acc[NC];
  for (int j = 0; j < NC; ++j) acc[j] = _mm512_setzero_ps();
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    const __m512 av = _mm512_load_ps(a);
    for (int j = 0; j < NC; ++j) acc[j] = _mm512_fmadd_ps(av, _mm512_set1_ps(b[j]), acc[j]);
    a += 16;
    b += 16;
  }
  alignas(64) float t[NC][16];
  for (int j = 0; j < NC; ++j) _mm512_store_ps(t[j], acc[j]);
  for (int i = 0; i < mr; ++i) {
    float* ci = c + i * ldc;
    const float rb = e.rowBias ? e.rowBias[i] : 0.0f;
    for (int j = 0; j < NC; ++j) {
      float v = t[j][i] + rb;
      if (e.colBias) v += e.colBias[j];
      if (e.accumulate) v += ci[j];
      if (e.relu) v = v > 0.0f ? v : 0.0f;
      ci[j] = v;
    }
  }
}

template <int MR, int NV>  // MR rows × NV vectors of 16 columns
void kernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int mr, int nr, const TileEpilogue& e) {
  constexpr int NR = NV * 16;
  if constexpr (MR == 16 && NV == 1) {
    switch (nr) {
      case 1: return columnKernel<1>(kc, a, b, c, ldc, mr, e);
      case 2: return columnKernel<2>(kc, a, b, c, ldc, mr, e);
      case 3: return columnKernel<3>(kc, a, b, c, ldc, mr, e);
      case 4: return columnKernel<4>(kc, a, b, c, ldc, mr, e);
      case 5: return columnKernel<5>(kc, a, b, c, ldc, mr, e);
      case 6: return columnKernel<6>(kc, a, b, c, ldc, mr, e);
      case 7: return columnKernel<7>(kc, a, b, c, ldc, mr, e);
      case 8: return columnKernel<8>(kc, a, b, c, ldc, mr, e);
      default: break;
    }
  }
  __m512 acc[MR][2];
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    __m512 b0 = _mm512_load_ps(b), b1 = NV > 1 ? _mm512_load_ps(b + 16) : b0;
    _mm_prefetch(reinterpret_cast<const char*>(b + 8 * NR), _MM_HINT_T0);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      __m512 ai = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      if (NV > 1) acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += MR;
    b += NR;
  }
  // Epilogue, fused into the store: masks handle a narrow right edge, mr the bottom edge.
  const __mmask16 m0 = nr >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << nr) - 1);
  const __mmask16 m1 = nr >= 32 ? __mmask16(0xFFFF) : nr <= 16 ? __mmask16(0) : __mmask16((1u << (nr - 16)) - 1);
  __m512 cb[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
  if (e.colBias) {
    cb[0] = _mm512_maskz_loadu_ps(m0, e.colBias);
    if (NV > 1) cb[1] = _mm512_maskz_loadu_ps(m1, e.colBias + 16);
  }
  const __m512 zero = _mm512_setzero_ps();
  for (int i = 0; i < mr; ++i) {
    float* ci = c + i * ldc;
    const __m512 rb = e.rowBias ? _mm512_set1_ps(e.rowBias[i]) : zero;
    for (int v = 0; v < NV; ++v) {
      const __mmask16 m = v == 0 ? m0 : m1;
      __m512 x = _mm512_add_ps(_mm512_add_ps(acc[i][v], cb[v]), rb);
      if (e.accumulate) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(m, ci + 16 * v));
      if (e.relu) x = _mm512_max_ps(x, zero);
      _mm512_mask_storeu_ps(ci + 16 * v, m, x);
    }
  }
}

}  // namespace

GemmKernel gemmKernelAvx512() { return {Isa::Avx512, 12, 32, kernel<12, 2>}; }
GemmKernel gemmKernelAvx512Narrow() { return {Isa::Avx512, 16, 16, kernel<16, 1>}; }

}  // namespace convnets::cpu
