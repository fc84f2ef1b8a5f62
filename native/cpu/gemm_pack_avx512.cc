// AVX-512 packing of a row-major A panel (rows read along K) into the microkernel's layout, where
// element (i, k) goes to out[k·width + i]: a transpose. The scalar gather in gemm.cc reads `width`
// rows one float at a time (12 interleaved streams) and took 0.4–0.5 ms of a 7 ms 1024³ GEMM; here
// 16 k at a time are loaded as one vector per row and transposed in registers.
#include <immintrin.h>

#include "cpu/gemm.h"

// GCC 12 warns that _mm512_undefined_ps() (inside the shuffle intrinsics) is used uninitialised: it is
// undefined on purpose.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace convnets::cpu {
namespace {

// In-register 16×16 transpose: r[i] holds row i (16 columns) on entry, column i on return.
//   stage 1 (unpack ps): per 128-bit lane, rows (2a, 2a+1) interleave → pairs
//   stage 2 (unpack pd): rows 4g..4g+3 of column 4·lane + c sit in lane `lane` of v[g][c]
//   stage 3 (shuffle f32x4 twice): gather lane L of v[0..3][c] into output column 4L + c
inline void transpose16(__m512 r[16]) {
  __m512 t[16], v[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int g = 0; g < 4; ++g) {
    const __m512d lo01 = _mm512_castps_pd(t[4 * g]), hi01 = _mm512_castps_pd(t[4 * g + 1]);
    const __m512d lo23 = _mm512_castps_pd(t[4 * g + 2]), hi23 = _mm512_castps_pd(t[4 * g + 3]);
    v[4 * g + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(lo01, lo23));
    v[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(lo01, lo23));
    v[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(hi01, hi23));
    v[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(hi01, hi23));
  }
  for (int c = 0; c < 4; ++c) {
    const __m512 p = _mm512_shuffle_f32x4(v[c], v[4 + c], 0x44), q = _mm512_shuffle_f32x4(v[8 + c], v[12 + c], 0x44);
    const __m512 s = _mm512_shuffle_f32x4(v[c], v[4 + c], 0xEE), u = _mm512_shuffle_f32x4(v[8 + c], v[12 + c], 0xEE);
    r[c] = _mm512_shuffle_f32x4(p, q, 0x88);
    r[4 + c] = _mm512_shuffle_f32x4(p, q, 0xDD);
    r[8 + c] = _mm512_shuffle_f32x4(s, u, 0x88);
    r[12 + c] = _mm512_shuffle_f32x4(s, u, 0xDD);
  }
}

// One full panel of `width` ≤ 16 rows (row stride ws), `depth` columns read contiguously.
void packRowsTransposed(int64_t depth, const float* in, int64_t ws, int width, float* out) {
  const __mmask16 rows = __mmask16((1u << width) - 1);
  int64_t d = 0;
  for (; d + 16 <= depth; d += 16) {
    __m512 r[16];
    for (int i = 0; i < 16; ++i) r[i] = i < width ? _mm512_loadu_ps(in + i * ws + d) : _mm512_setzero_ps();
    // The rows are `width` streams a row stride apart: ask for each one's line 4 blocks ahead.
    for (int i = 0; i < width; ++i) _mm_prefetch(reinterpret_cast<const char*>(in + i * ws + d + 64), _MM_HINT_T0);
    transpose16(r);
    // Whole-vector stores, in order: the lanes past `width` land where the next step's store writes
    // next (masked stores were slow, masked_avx512.h); only the last step's must not spill.
    for (int j = 0; j < 15; ++j) _mm512_storeu_ps(out + (d + j) * width, r[j]);
    _mm512_mask_storeu_ps(out + (d + 15) * width, rows, r[15]);
  }
  for (; d < depth; ++d)
    for (int i = 0; i < width; ++i) out[d * width + i] = in[i * ws + d];
}

}  // namespace

PackRowsFn packRowsTransposedAvx512() { return packRowsTransposed; }

}  // namespace convnets::cpu
