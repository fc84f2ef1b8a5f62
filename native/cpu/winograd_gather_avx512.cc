// AVX-512 gather of Winograd input tiles (and the matching scatters of output tiles, NCHW and blocked): 16 tiles (one per lane) of one channel, from the zero-padded
// input plane, into the engine's element-major block dt[ξ·16 + lane].
//
// Lanes are consecutive tiles, so they come in runs ("segments") along one tile row, where tile l starts
// m columns after tile l−1. Row i of the tiles of a segment is then one contiguous stretch of the padded
// input row, and element (i, j) of all its lanes is that stretch read with stride m. Per tile row i:
//   A[m·l + t] = row[ow0(l) + t]       (t < m: elements j = t)
//   B[m·l + t] = row[ow0(l) + m + t]   (t < α − m ≤ m: elements j = m + t)
// and each element vector is one stride-m extraction (two-source permutes) from A or B. A block that is a
// single segment (the usual case on wide images) loads A and B straight from the row. This replaces
// α²·16 scalar loads and stores per block and channel (the slowest part of the Winograd layers, more
// than their GEMMs, on ResNet's 3×3 convolutions).
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "cpu/conv_winograd.h"
#include "cpu/masked_avx512.h"
#include "cpu/transpose_avx512.h"

// GCC 12 warns that _mm512_undefined_ps() (inside the shuffle intrinsics) is used uninitialised: it is
// undefined on purpose.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace convnets::cpu {
namespace {

// n ≤ 64 floats with masked vector moves (a libc memcpy call per segment row cost more than the gather).
inline void copyFloats(float* dst, const float* src, int n) {
  for (int o = 0; o < n; o += 16) {
    const __mmask16 m = __mmask16(n - o >= 16 ? 0xFFFF : (1u << (n - o)) - 1);
    storeMasked(dst + o, m, loadMaskedZ(m, src + o));
  }
}

// out[l] = s[m·l + j] for l < 16, from the 16·m floats in s[0..M) (M = m vectors).
template <int MV>
inline __m512 strided(const __m512* s, int j) {
  if constexpr (MV == 2) {
    const __m512i idx = _mm512_add_epi32(_mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), _mm512_set1_epi32(j));
    return _mm512_permutex2var_ps(s[0], idx, s[1]);
  } else {
    // Lanes 0–7 from s[0..1], lanes 8–15 from s[2..3] (each 32 floats holds 8 tiles of stride 4).
    const __m512i idx = _mm512_add_epi32(_mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16, 20, 24, 28), _mm512_set1_epi32(j));
    const __m512 lo = _mm512_permutex2var_ps(s[0], idx, s[1]);
    const __m512 hi = _mm512_permutex2var_ps(s[2], idx, s[3]);
    return _mm512_shuffle_f32x4(lo, hi, 0x44);  // lo's low 256 bits, then hi's
  }
}

// Lanes [lo, hi) of a vector (0 ≤ lo, hi ≤ 16) as a mask.
inline __mmask16 laneMask(int lo, int hi) {
  return hi <= lo ? __mmask16(0) : __mmask16(((1u << hi) - 1) & ~((1u << lo) - 1));
}

template <int ALPHA, int M>
void gather(const float* plane, int64_t PW, const WinoSegment* seg, int nseg, float* dt) {
  constexpr int MV = M;  // 16 lanes × m floats = m vectors
  __m512 av[MV], bv[MV];
  const bool single = nseg == 1 && seg[0].l0 == 0 && seg[0].l1 == 16 && seg[0].base >= 0;
  // Several segments (a block of 16 tiles spanning tile rows: every block on 56² and smaller images):
  // float f of the A stretch belongs to the segment with M·l0 ≤ f < M·l1 and lies at
  // row + (f − M·l0). Vector v of A is then merged from one masked load per segment it overlaps (lanes
  // of other segments are not accessed, and past the last tile stay zero). Copying the segments into a
  // buffer first and reloading it stalled on store forwarding: the gather was 8 % of DenseNet-121.
  __mmask16 masks[16][MV];
  if (!single)
    for (int s = 0; s < nseg; ++s)
      for (int v = 0; v < MV; ++v)
        masks[s][v] = seg[s].base < 0 ? __mmask16(0) : laneMask(std::max(M * seg[s].l0 - 16 * v, 0), std::min(M * seg[s].l1 - 16 * v, 16));
  for (int i = 0; i < ALPHA; ++i) {
    if (single) {
      const float* r = plane + seg[0].base + i * PW;
      for (int v = 0; v < MV; ++v) {
        av[v] = _mm512_loadu_ps(r + 16 * v);
        bv[v] = _mm512_loadu_ps(r + M + 16 * v);
      }
    } else {
      for (int v = 0; v < MV; ++v) av[v] = bv[v] = _mm512_setzero_ps();
      for (int s = 0; s < nseg; ++s) {
        if (seg[s].base < 0) continue;
        // Lane f of vector v reads r[16v + f − M·l0]: the address may precede the row (those lanes are masked).
        const intptr_t r = reinterpret_cast<intptr_t>(plane + seg[s].base + i * PW) - intptr_t(M * seg[s].l0) * 4;
        for (int v = 0; v < MV; ++v) {
          if (!masks[s][v]) continue;
          const float* p = reinterpret_cast<const float*>(r + 64 * v);
          av[v] = loadMasked(av[v], masks[s][v], p);
          bv[v] = loadMasked(bv[v], masks[s][v], p + M);
        }
      }
    }
    for (int j = 0; j < M; ++j) _mm512_store_ps(dt + (i * ALPHA + j) * 16, strided<MV>(av, j));
    for (int j = M; j < ALPHA; ++j) _mm512_store_ps(dt + (i * ALPHA + j) * 16, strided<MV>(bv, j - M));
  }
}

// The inverse for the output: row i of the m×m output tiles of 16 lanes, o[i·m + j] (lanes = tiles),
// interleaved into out[m·l + j] (the 16 tiles side by side, as they lie in an output row).
template <int M>
inline void interleave(const __m512* o, __m512* out) {
  if constexpr (M == 2) {
    // out[2l + j] = o[j][l]: lanes 0–7 of both, then 8–15.
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_add_epi32(lo, _mm512_set1_epi32(8));
    out[0] = _mm512_permutex2var_ps(o[0], lo, o[1]);
    out[1] = _mm512_permutex2var_ps(o[0], hi, o[1]);
  } else {
    // Pairs first: p01[2a + b] = o[b][a] (a < 8 in the low half, a ≥ 8 in the high one), same for o[2], o[3];
    // then out block k (tiles 4k..4k+3) takes two floats from p01 and two from p23 per tile.
    const __m512i pairLo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i pairHi = _mm512_add_epi32(pairLo, _mm512_set1_epi32(8));
    const __m512 p01[2] = {_mm512_permutex2var_ps(o[0], pairLo, o[1]), _mm512_permutex2var_ps(o[0], pairHi, o[1])};
    const __m512 p23[2] = {_mm512_permutex2var_ps(o[2], pairLo, o[3]), _mm512_permutex2var_ps(o[2], pairHi, o[3])};
    // Block k within its half h = k / 2 starts at pair element 8·(k % 2): tile a → elements 2a, 2a + 1.
    const __m512i first = _mm512_setr_epi32(0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
    const __m512i second = _mm512_add_epi32(first, _mm512_set1_epi32(8));
    for (int k = 0; k < 4; ++k) out[k] = _mm512_permutex2var_ps(p01[k / 2], k % 2 ? second : first, p23[k / 2]);
  }
}

template <int M>
void scatter(const WinoVec* ot, float* yPlane, int64_t OH, int64_t OW, const WinoSegment* seg, int nseg) {
  for (int i = 0; i < M; ++i) {
    __m512 o[M], out[M];
    for (int j = 0; j < M; ++j) o[j] = _mm512_loadu_ps(reinterpret_cast<const float*>(&ot[i * M + j]));
    interleave<M>(o, out);
    alignas(64) float row[16 * M];
    for (int v = 0; v < M; ++v) _mm512_store_ps(row + 16 * v, out[v]);
    for (int s = 0; s < nseg; ++s) {
      if (seg[s].base < 0 || seg[s].oh0 + i >= OH) continue;
      // The segment's tiles side by side, cropped at the right edge of the output.
      const int n = int(std::min<int64_t>(int64_t(seg[s].l1 - seg[s].l0) * M, OW - seg[s].ow0));
      copyFloats(yPlane + seg[s].outBase + i * OW, row + M * seg[s].l0, n);
    }
  }
}

template <int M>
void blockedStore(const WinoVec* ot, int lanes, const int64_t* pix, const int* hn, const int* wn, int64_t rowStride,
                  float* y, const float* residual, bool relu) {
  const __m512 zero = _mm512_setzero_ps();
  for (int e = 0; e < M * M; ++e) {
    const int i = e / M, j = e % M;
    __m512 r[16];
    for (int c = 0; c < 16; ++c) r[c] = _mm512_loadu_ps(reinterpret_cast<const float*>(&ot[c * 16 + e]));
    transpose16(r);
    for (int l = 0; l < lanes; ++l) {
      if (i >= hn[l] || j >= wn[l]) continue;
      const int64_t off = pix[l] + i * rowStride + j * 16;
      __m512 v = r[l];
      if (residual) {
        v = _mm512_add_ps(v, _mm512_loadu_ps(residual + off));
        if (relu) v = _mm512_max_ps(v, zero);
      }
      _mm512_storeu_ps(y + off, v);
    }
  }
}

void unblockRows(const float* src, int64_t n, float* dst, int64_t planeStride, int channels) {
  int64_t p = 0;
  for (; p < n; p += 16) {
    const int rest = int(std::min<int64_t>(16, n - p));
    __m512 r[16];
    for (int i = 0; i < 16; ++i) r[i] = i < rest ? _mm512_loadu_ps(src + (p + i) * 16) : _mm512_setzero_ps();
    transpose16(r);  // r[c]: 16 pixels of channel c
    const __mmask16 m = __mmask16(rest == 16 ? 0xFFFF : (1u << rest) - 1);
    for (int c = 0; c < channels; ++c) _mm512_mask_storeu_ps(dst + c * planeStride + p, m, r[c]);
  }
}

}  // namespace

WinoUnblockFn winogradUnblockAvx512() { return unblockRows; }
WinoBlockedStoreFn winogradBlockedStoreAvx512(int m) { return m == 4 ? blockedStore<4> : blockedStore<2>; }
WinoGatherFn winogradGatherAvx512(int alpha) { return alpha == 6 ? gather<6, 4> : gather<4, 2>; }
WinoScatterFn winogradScatterAvx512(int m) { return m == 4 ? scatter<4> : scatter<2>; }

}  // namespace convnets::cpu
