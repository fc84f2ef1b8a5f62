// AVX-512 max pooling rows with a 2- or 3-wide, stride-2 window (ResNet's and GoogLeNet's 3×3/2 pools,
// GoogLeNet's 2×2/2): one output row straight from the input rows of its window. Per 16 outputs and input
// row: masked loads of 32 consecutive floats (the mask keeps the row's own columns, −inf elsewhere, so
// padding needs no copy and nothing outside the row is touched), even/odd-lane permutes, NaN-propagating
// maxima. The earlier version went through a row of column maxima and a scalar-padded copy of it per
// output row, which dominated on GoogLeNet's 14×14 and 28×28 planes.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "cpu/masked_avx512.h"
#include "cpu/pool.h"

#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace convnets::cpu {
namespace {

// max(a, b), but NaN when either is NaN (torch's max pooling propagates NaN).
inline __m512 maxNaN(__m512 a, __m512 b) {
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q), _mm512_max_ps(a, b), _mm512_add_ps(a, b));
}

// Lanes of the 16 floats from column c0 (possibly negative or past the end) that lie inside [0, W).
inline __mmask16 rowMask(int64_t c0, int64_t W) {
  const int64_t lo = std::clamp<int64_t>(-c0, 0, 16), hi = std::clamp<int64_t>(W - c0, 0, 16);
  return hi <= lo ? __mmask16(0) : __mmask16(((1u << hi) - 1) & ~((1u << lo) - 1));
}

// 16 floats of row xr from column c0, −inf in the lanes outside mask m. Masked-off lanes are not
// accessed, so the address may lie outside the row.
inline __m512 loadRow(const float* xr, int64_t c0, __mmask16 m, __m512 lowest) {
  const float* p = reinterpret_cast<const float*>(reinterpret_cast<intptr_t>(xr) + c0 * int64_t(sizeof(float)));
  return loadMasked(lowest, m, p);
}

}  // namespace

void maxRowS2Avx512(const float* const* rows, int nRows, int64_t W, int64_t kw, int64_t pw, float* yr, int64_t OW,
                    float* scratch) {
  const __m512 lowest = _mm512_set1_ps(-__builtin_inff());
  const float* colMax = nullptr;
  if (nRows > 1 && W >= 64) {
    // Wide rows (ResNet's and GoogLeNet's 112² and 56² pools): reduce the window's rows once, contiguously,
    // then pool the one row. Reducing per 16 outputs instead (below) measured 20 % slower on 64×112².
    int64_t c = 0;
    for (; c + 16 <= W; c += 16) {
      __m512 v = _mm512_loadu_ps(rows[0] + c);
      for (int i = 1; i < nRows; ++i) v = maxNaN(v, _mm512_loadu_ps(rows[i] + c));
      _mm512_storeu_ps(scratch + c, v);
    }
    if (c < W) {
      const __mmask16 m = rowMask(c, W);
      __m512 v = loadRow(rows[0], c, m, lowest);
      for (int i = 1; i < nRows; ++i) v = maxNaN(v, loadRow(rows[i], c, m, lowest));
      storeMasked(scratch + c, m, v);
    }
    colMax = scratch;
    rows = &colMax;
    nRows = 1;
  }
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  for (int64_t o = 0; o < OW; o += 16) {
    // Outputs o..o+15 read input columns c0 + [0, 32] (lane 32 only for 3-wide windows): the window's
    // rows are reduced first (three vectors a, b, c), then the columns by even/odd-lane permutes.
    const int64_t c0 = 2 * o - pw;
    const __mmask16 ma = rowMask(c0, W), mb = rowMask(c0 + 16, W), mc = kw == 3 ? rowMask(c0 + 32, W) : 0;
    __m512 a = lowest, b = lowest, c = lowest;
    for (int i = 0; i < nRows; ++i) {
      a = maxNaN(a, loadRow(rows[i], c0, ma, lowest));
      b = maxNaN(b, loadRow(rows[i], c0 + 16, mb, lowest));
      if (mc) c = maxNaN(c, loadRow(rows[i], c0 + 32, mc, lowest));
    }
    __m512 m = maxNaN(_mm512_permutex2var_ps(a, even, b), _mm512_permutex2var_ps(a, odd, b));
    if (kw == 3) {
      // Columns 2t + 2: the even lanes of (a, b, c) shifted down by two.
      const __m512 a2 = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(b), _mm512_castps_si512(a), 2));
      const __m512 b2 = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(c), _mm512_castps_si512(b), 2));
      m = maxNaN(m, _mm512_permutex2var_ps(a2, even, b2));
    }
    const __mmask16 k = __mmask16(OW - o >= 16 ? 0xFFFF : (1u << (OW - o)) - 1);
    storeMasked(yr + o, k, m);
  }
}

void maxPoolSame3Avx512(const float* x, float* y, int64_t H, int64_t W, const uint16_t* interior) {
  const int64_t HW = H * W, nv = (HW + 15) / 16;
  const __m512 lowest = _mm512_set1_ps(-__builtin_inff());
  // Vertical maxima of the 16 flat positions from i: rows above and below where they exist (lanes past the
  // plane stay −inf and are never stored).
  auto vertical = [&](int64_t i) {
    const __mmask16 in = rowMask(i, HW), up = rowMask(i - W, HW - W), down = rowMask(i + W, HW);
    __m512 v = loadRow(x, i, in, lowest);
    v = maxNaN(v, loadRow(x, i - W, up, lowest));
    return maxNaN(v, loadRow(x, i + W, __mmask16(down & in), lowest));
  };
  __m512 prev = lowest, cur = vertical(0);
  for (int64_t k = 0; k < nv; ++k) {
    const int64_t i = 16 * k;
    const __m512 next = k + 1 < nv ? vertical(i + 16) : lowest;
    const __m512i pi = _mm512_castps_si512(prev), ci = _mm512_castps_si512(cur), ni = _mm512_castps_si512(next);
    // Left and right neighbours in the flat order; interior[2k] / [2k + 1] mask the lanes whose left / right
    // neighbour is in the same row (the flat shift wraps the row ends into the adjacent rows).
    const __m512 left = _mm512_castsi512_ps(_mm512_alignr_epi32(ci, pi, 15));
    const __m512 right = _mm512_castsi512_ps(_mm512_alignr_epi32(ni, ci, 1));
    __m512 m = maxNaN(cur, _mm512_mask_mov_ps(lowest, __mmask16(interior[2 * k]), left));
    m = maxNaN(m, _mm512_mask_mov_ps(lowest, __mmask16(interior[2 * k + 1]), right));
    storeMasked(y + i, rowMask(i, HW), m);
    prev = cur;
    cur = next;
  }
}

}  // namespace convnets::cpu
