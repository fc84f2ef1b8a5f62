// A 16×16 float transpose in AVX-512 registers, shared by the GEMM's A packing (gemm_pack_avx512.cc) and the
// blocked Winograd store (winograd_gather_avx512.cc). Include only from files compiled for AVX-512.
#pragma once
#include <immintrin.h>

namespace convnets::cpu {

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

}  // namespace convnets::cpu
