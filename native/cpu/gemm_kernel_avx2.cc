// AVX2 + FMA GEMM microkernel: 6×16 tile (12 ymm accumulators + 2 for B + 1 broadcast = 15 of 16
// registers, the classic Haswell/Zen shape), over packed B panels or B rows read in place (1×1 convs,
// implicit GEMM). Edge tiles go through a local tile and storeTile.
#include <immintrin.h>

#include "cpu/gemm.h"

namespace convnets::cpu {
namespace {

constexpr int MR = 6, NR = 16;

// MR×NR tile with B row k at rows(k): a packed panel, a row-major matrix read in place (1×1 convs), or
// shifted input rows (implicit GEMM); all 16 lanes of a row are loaded, only nr columns stored.
template <class Rows, bool kPrefetchB = true>
inline __attribute__((always_inline)) void tile(int64_t kc, const float* a, Rows rows, float* c, int64_t ldc, int mr,
                                                int nr, const TileEpilogue& e) {
  // Every loop over the accumulators is unrolled: with one left rolled, GCC 12 keeps `acc` in memory and
  // stores all 12 accumulators on every k step (48 % of the AVX2 peak in L1; unrolled: 97 %).
  __m256 acc[MR][2];
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  const char* an = reinterpret_cast<const char*>(e.aNext ? e.aNext : a);  // the next tile's A (gemm.h)
  // C is read back when accumulating (as in the AVX-512 kernel): its lines are requested a k loop early.
  if (e.accumulate)
    for (int i = 0; i < mr; ++i) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
  for (int64_t k = 0; k < kc; ++k) {
    const float* b = rows(k);
    __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    // B rows read in place are far apart: ask for the one 8 steps ahead (a packed panel is in L1 already).
    if (kPrefetchB) _mm_prefetch(reinterpret_cast<const char*>(rows(k + 8)), _MM_HINT_T0);
    _mm_prefetch(an + k * MR * sizeof(float), _MM_HINT_T1);
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      __m256 ai = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += MR;
  }
  if (mr < MR || nr < NR) {
    alignas(32) float tile[MR * NR];
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      _mm256_store_ps(tile + i * NR, acc[i][0]);
      _mm256_store_ps(tile + i * NR + 8, acc[i][1]);
    }
    storeTile(tile, NR, c, ldc, mr, nr, e);
    return;
  }
  __m256 cb0 = _mm256_setzero_ps(), cb1 = _mm256_setzero_ps();
  if (e.colBias) { cb0 = _mm256_loadu_ps(e.colBias); cb1 = _mm256_loadu_ps(e.colBias + 8); }
  const __m256 zero = _mm256_setzero_ps();
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) {
    float* ci = c + i * ldc;
    __m256 v0 = _mm256_add_ps(acc[i][0], cb0), v1 = _mm256_add_ps(acc[i][1], cb1);
    if (e.rowBias) {
      __m256 rb = _mm256_set1_ps(e.rowBias[i]);
      v0 = _mm256_add_ps(v0, rb);
      v1 = _mm256_add_ps(v1, rb);
    }
    if (e.accumulate) { v0 = _mm256_add_ps(v0, _mm256_loadu_ps(ci)); v1 = _mm256_add_ps(v1, _mm256_loadu_ps(ci + 8)); }
    if (e.relu) { v0 = _mm256_max_ps(v0, zero); v1 = _mm256_max_ps(v1, zero); }
    _mm256_storeu_ps(ci, v0);
    _mm256_storeu_ps(ci + 8, v1);
  }
}

void kernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int mr, int nr, const TileEpilogue& e) {
  tile<StridedRows, false>(kc, a, StridedRows{b, NR}, c, ldc, mr, nr, e);
}

// A full 16-column tile whose B rows are `ldb` floats apart (a 1×1 convolution's input image, in place).
void kernelStridedB(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc, int mr,
                    const TileEpilogue& e) {
  tile(kc, a, StridedRows{b, ldb}, c, ldc, mr, NR, e);
}

// Up to 16 columns with B row k at b + offs[k] (implicit GEMM; the caller keeps 16 lanes readable).
void kernelIndirectB(int64_t kc, const float* a, const float* b, const int32_t* offs, float* c, int64_t ldc, int mr,
                     int nr, const TileEpilogue& e) {
  tile(kc, a, IndirectRows{b, offs}, c, ldc, mr, nr, e);
}

}  // namespace

GemmKernel gemmKernelAvx2() { return {Isa::Avx2, MR, NR, kernel, nullptr, kernelStridedB, kernelIndirectB}; }

}  // namespace convnets::cpu
