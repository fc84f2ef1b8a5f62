// AVX-512 GEMM microkernels. Main: 12×32 tile (24 zmm accumulators, 2 for the B row, 1 broadcast).
// Zen 5 has two 512-bit FMA pipes with 4-cycle latency, so ≥ 8 independent accumulators keep both
// busy; 24 also amortise the two B loads over 24 FMAs. Narrow: 16×16 for products with few columns
// (Winograd on 7×7 and 14×14 images has 4–49 tiles), where padding N to 32 would waste up to 8×.
// Only this file is compiled with -mavx512f.
#include <immintrin.h>

#include <algorithm>

#include "cpu/gemm.h"
#include "cpu/masked_avx512.h"

// GCC 12 warns that the undefined vectors inside some intrinsics are used uninitialised: on purpose.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace convnets::cpu {
namespace {

// An edge panel with only NC ≤ 8 real columns (N = 49 = 32 + 16 + 1 on 7×7 images, 196 = 6·32 + 4 on
// 14×14): the row-vector kernel would spend a whole 16-lane FMA per row on them, so vectorise over the
// rows of the A panel instead (one accumulator per column, B elements broadcast; a 12-row panel uses
// 12 of the 16 lanes) and store column by column. B panels are LDB floats wide.
template <int NC, int MR, int LDB>
void columnKernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int mr, const TileEpilogue& e) {
  // U partial sums per column over k mod U: one or two columns would otherwise be one FMA chain
  // bound by the FMA latency (4 cycles) instead of its throughput.
  constexpr int U = NC >= 4 ? 1 : NC == 3 ? 2 : 4 / NC;
  __m512 acc[U][NC];
  for (int u = 0; u < U; ++u)
    for (int j = 0; j < NC; ++j) acc[u][j] = _mm512_setzero_ps();
  // A 12-row panel is read 16 floats at a time: lanes 12–15 belong to the next k step (computed, never
  // stored). Only the very last k is loaded masked, since it may end the buffer; masked loads in the loop
  // were slow (masked_avx512.h).
  const __mmask16 rows = __mmask16((1u << MR) - 1);
  auto load = [&](const float* p) { return MR == 16 ? _mm512_load_ps(p) : _mm512_loadu_ps(p); };
  int64_t k = 0;
  for (; k + U < kc; k += U) {  // < kc: the last k is left to the masked tail below
    for (int u = 0; u < U; ++u) {
      const __m512 av = load(a + u * MR);
      for (int j = 0; j < NC; ++j) acc[u][j] = _mm512_fmadd_ps(av, _mm512_set1_ps(b[u * LDB + j]), acc[u][j]);
    }
    a += U * MR;
    b += U * LDB;
  }
  for (; k < kc; ++k) {
    const __m512 av = MR == 16 || k + 1 < kc ? load(a) : _mm512_maskz_loadu_ps(rows, a);
    for (int j = 0; j < NC; ++j) acc[0][j] = _mm512_fmadd_ps(av, _mm512_set1_ps(b[j]), acc[0][j]);
    a += MR;
    b += LDB;
  }
  for (int u = 1; u < U; ++u)
    for (int j = 0; j < NC; ++j) acc[0][j] = _mm512_add_ps(acc[0][j], acc[u][j]);
  alignas(64) float t[NC][16];
  for (int j = 0; j < NC; ++j) _mm512_store_ps(t[j], acc[0][j]);
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

template <int MR, int LDB>
void columns(int nc, int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int mr, const TileEpilogue& e) {
  switch (nc) {
    case 1: return columnKernel<1, MR, LDB>(kc, a, b, c, ldc, mr, e);
    case 2: return columnKernel<2, MR, LDB>(kc, a, b, c, ldc, mr, e);
    case 3: return columnKernel<3, MR, LDB>(kc, a, b, c, ldc, mr, e);
    case 4: return columnKernel<4, MR, LDB>(kc, a, b, c, ldc, mr, e);
    case 5: return columnKernel<5, MR, LDB>(kc, a, b, c, ldc, mr, e);
    case 6: return columnKernel<6, MR, LDB>(kc, a, b, c, ldc, mr, e);
    case 7: return columnKernel<7, MR, LDB>(kc, a, b, c, ldc, mr, e);
    default: return columnKernel<8, MR, LDB>(kc, a, b, c, ldc, mr, e);
  }
}

// The register-blocked loop and its fused epilogue: MR rows of an A panel whose k steps are MA floats
// apart (MA > MR: the first rows of a wider panel, for its bottom edge).
template <int MR, int NV, class Rows, int MA = MR>
inline __attribute__((always_inline)) void tile(int64_t kc, const float* a, Rows rows, float* c, int64_t ldc, int mr,
                                                int nr, const TileEpilogue& e) {
  __m512 acc[MR][2];
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  // One line of the next tile's A slice per k step (MR floats of it per step, so the lines run ahead);
  // without a next tile, the current slice again (already cached, harmless).
  const char* an = reinterpret_cast<const char*>(e.aNext ? e.aNext : a);
  // C is read back when accumulating (a later KC block, or a residual sum: ResNet's conv3 + identity,
  // whose addend was written a whole block earlier and is out of L1/L2): its lines are requested now,
  // a whole k loop before the epilogue needs them.
  if (e.accumulate)
    for (int i = 0; i < mr; ++i) {
      _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
      if (NV > 1) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 16), _MM_HINT_T0);
    }
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    const float* b = rows(k);
    __m512 b0 = _mm512_loadu_ps(b), b1 = NV > 1 ? _mm512_loadu_ps(b + 16) : b0;
    _mm_prefetch(reinterpret_cast<const char*>(rows(k + 8)), _MM_HINT_T0);
    _mm_prefetch(an + k * MA * sizeof(float), _MM_HINT_T1);
    // This slice's own A, 8 steps ahead into L1: it streams from L2 (the MC block) 48 bytes per step.
    // Small but consistent: 1024³ in-process A/B, three runs each, +0.4–0.6 % of peak on 2 threads and
    // +0.8–1.2 % on 1.
    _mm_prefetch(reinterpret_cast<const char*>(a + 8 * MA), _MM_HINT_T0);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      __m512 ai = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      if (NV > 1) acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += MA;
  }
  // Epilogue, fused into the store: masks handle a narrow right edge, mr the bottom edge.
  const __mmask16 m0 = nr >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << nr) - 1);
  const __mmask16 m1 = nr >= 32 ? __mmask16(0xFFFF) : nr <= 16 ? __mmask16(0) : __mmask16((1u << (nr - 16)) - 1);
  __m512 cb[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
  if (e.colBias) {
    cb[0] = loadMaskedZ(m0, e.colBias);
    if (NV > 1) cb[1] = loadMaskedZ(m1, e.colBias + 16);
  }
  const __m512 zero = _mm512_setzero_ps();
  for (int i = 0; i < mr; ++i) {
    float* ci = c + i * ldc;
    const __m512 rb = e.rowBias ? _mm512_set1_ps(e.rowBias[i]) : zero;
    for (int v = 0; v < NV; ++v) {
      const __mmask16 m = v == 0 ? m0 : m1;
      __m512 x = _mm512_add_ps(_mm512_add_ps(acc[i][v], cb[v]), rb);
      if (e.accumulate) x = _mm512_add_ps(x, loadMaskedZ(m, ci + 16 * v));
      if (e.relu) x = _mm512_max_ps(x, zero);
      storeMasked(ci + 16 * v, m, x);
    }
  }
}

// A tile of a 12-row panel with only mr real rows (the bottom edge: M = 64 is five panels and 4 rows) runs
// a 4- or 8-row loop instead of computing 12: 64-row layers (ResNet's layer1, the stems) were 15 % slower
// than 60-row ones (1 thread, 256×56²→60 vs →64 1×1: 0.51 vs 0.60 ms).
template <int NV, class Rows>
inline __attribute__((always_inline)) void tileRows(int64_t kc, const float* a, Rows rows, float* c, int64_t ldc,
                                                    int mr, int nr, const TileEpilogue& e) {
  if (mr <= 4) tile<4, NV, Rows, 12>(kc, a, rows, c, ldc, mr, nr, e);
  else if (mr <= 8) tile<8, NV, Rows, 12>(kc, a, rows, c, ldc, mr, nr, e);
  else tile<12, NV, Rows>(kc, a, rows, c, ldc, mr, nr, e);
}

// MR rows × NV vectors of 16 columns, B panels LDB floats wide (a one-vector kernel also serves the
// first 16 columns of a narrow edge panel of the two-vector one).
template <int MR, int NV, int LDB = NV * 16>
void kernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int mr, int nr, const TileEpilogue& e) {
  if (nr <= 8) return columns<MR, LDB>(nr, kc, a, b, c, ldc, mr, e);
  if constexpr (NV == 2) {
    // Edge panel of 9–24 columns: 16 by the one-vector kernel, the rest (≤ 8) by columns.
    if (nr <= 24) {
      kernel<MR, 1, LDB>(kc, a, b, c, ldc, mr, std::min(nr, 16), e);
      if (nr > 16) {
        TileEpilogue rest = e;
        if (rest.colBias) rest.colBias += 16;
        columns<MR, LDB>(nr - 16, kc, a, b + 16, c + 16, ldc, mr, rest);
      }
      return;
    }
  }
  if constexpr (MR == 12) tileRows<NV>(kc, a, StridedRows{b, LDB}, c, ldc, mr, nr, e);
  else tile<MR, NV>(kc, a, StridedRows{b, LDB}, c, ldc, mr, nr, e);
}

// A full 32-column tile whose B rows are `ldb` floats apart in a row-major matrix (a 1×1 convolution's
// input image: no packing, conv_gemm.cc).
void kernelStridedB(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc, int mr,
                    const TileEpilogue& e) {
  tileRows<2>(kc, a, StridedRows{b, ldb}, c, ldc, mr, 32, e);
}

// A tile of up to 32 columns whose B row k starts at b + offs[k] (implicit GEMM, conv_implicit_gemm.cc):
// all 32 lanes are loaded (the caller keeps them readable), only nr stored.
void kernelIndirectB(int64_t kc, const float* a, const float* b, const int32_t* offs, float* c, int64_t ldc, int mr,
                     int nr, const TileEpilogue& e) {
  tileRows<2>(kc, a, IndirectRows{b, offs}, c, ldc, mr, nr, e);
}

}  // namespace

GemmKernel gemmKernelAvx512() {
  return {Isa::Avx512, 12, 32, kernel<12, 2>, packRowsTransposedAvx512(), kernelStridedB, kernelIndirectB};
}
GemmKernel gemmKernelAvx512Narrow() { return {Isa::Avx512, 16, 16, kernel<16, 1>, packRowsTransposedAvx512()}; }

}  // namespace convnets::cpu
