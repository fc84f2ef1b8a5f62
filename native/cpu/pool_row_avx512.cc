// AVX-512 row pass of 3-wide, stride-2 max pooling (ResNet's and GoogLeNet's 3×3/2 pools): from a row of
// column maxima to one output row. The compiled generic loop ran this with stride-2 scalar reads and
// scalar loop tails on rows of 14–56 outputs; here 16 outputs take four loads, three even-lane permutes
// and two NaN-propagating maxima.
#include <immintrin.h>

#include <limits>

#include "cpu/pool.h"

#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace convnets::cpu {
namespace {

// max(a, b), but NaN when either is NaN (torch's max pooling propagates NaN).
inline __m512 maxNaN(__m512 a, __m512 b) {
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q), _mm512_max_ps(a, b), _mm512_add_ps(a, b));
}

}  // namespace

void maxRow3s2Avx512(const float* colMax, int64_t W, int64_t pw, float* yr, int64_t OW, float* ext) {
  // ext[t] = colMax[t − pw], −inf outside: output ow's window is ext[2ow], ext[2ow + 1], ext[2ow + 2].
  const int64_t n = 2 * ((OW + 15) / 16) * 16 + 18;  // every lane read below, rounded up to whole vectors
  const float lowest = -std::numeric_limits<float>::infinity();
  for (int64_t t = 0; t < n; ++t) {
    const int64_t w = t - pw;
    ext[t] = w >= 0 && w < W ? colMax[w] : lowest;
  }
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  for (int64_t o = 0; o < OW; o += 16) {
    const float* e = ext + 2 * o;
    const __m512 a = _mm512_loadu_ps(e), b = _mm512_loadu_ps(e + 16);
    const __m512 a2 = _mm512_loadu_ps(e + 2), b2 = _mm512_loadu_ps(e + 18);
    const __m512 m = maxNaN(maxNaN(_mm512_permutex2var_ps(a, even, b), _mm512_permutex2var_ps(a, odd, b)),
                            _mm512_permutex2var_ps(a2, even, b2));
    const __mmask16 k = __mmask16(OW - o >= 16 ? 0xFFFF : (1u << (OW - o)) - 1);
    _mm512_mask_storeu_ps(yr + o, k, m);
  }
}

}  // namespace convnets::cpu
