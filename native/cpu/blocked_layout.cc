#include "cpu/blocked_layout.h"

#include <type_traits>

#include "core/threadpool.h"
#include "cpu/blocked_vec.h"
#include "cpu/grain.h"

namespace convnets::cpu {
namespace {

using namespace blocked;

// Row h of channel block cb of image n (item (n·CB + cb)·H + h): where it starts in NCHW (channel cb·B) and
// in NCHWc, and how many of its B channels are real.
struct BlockRow {
  int64_t nchw, blocked, real;
};
CN_ALWAYS_INLINE BlockRow blockRow(int64_t item, int64_t C, int64_t H, int64_t W, int B) {
  const int64_t CB = (C + B - 1) / B, h = item % H, ncb = item / H, cb = ncb % CB, n = ncb / CB;
  return {((n * C + cb * B) * H + h) * W, (ncb * H + h) * W * B, C - cb * B < B ? C - cb * B : B};
}

// The two halves of the perfect shuffle of a and b (L lanes each): lo = a0 b0 a1 b1 … (first halves), hi =
// the second halves.
template <class V>
struct Interleave;
template <>
struct Interleave<F4> {
  static constexpr I4 lo = {0, 4, 1, 5}, hi = {2, 6, 3, 7};
};
template <>
struct Interleave<F8> {
  static constexpr I8 lo = {0, 8, 1, 9, 2, 10, 3, 11}, hi = {4, 12, 5, 13, 6, 14, 7, 15};
};
template <>
struct Interleave<F16> {
  static constexpr I16 lo = {0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23};
  static constexpr I16 hi = {8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
};

// Transposes the L × L square t (t[i][j] → t[j][i]) in log2(L) rounds of perfect shuffles (row i of each
// round interleaves rows i and i + L/2 of the last): L·log2(L) two-source shuffles (vpermt2ps on AVX-512)
// instead of L² lane moves.
template <class V>
CN_ALWAYS_INLINE void transposeSquare(V* t) {
  constexpr int L = lanesOf<V>();
  for (int round = 1; round < L; round *= 2) {
    V next[L];
    for (int i = 0; i < L / 2; ++i) {
      next[2 * i] = __builtin_shuffle(t[i], t[i + L / 2], Interleave<V>::lo);
      next[2 * i + 1] = __builtin_shuffle(t[i], t[i + L / 2], Interleave<V>::hi);
    }
    for (int i = 0; i < L; ++i) t[i] = next[i];
  }
}

// The B × B tile t, each row P = B / L vectors of V, as P × P squares of L × L: each square is transposed
// and moved to the mirrored place. V is as wide as the ISA's registers (F4 generic, F8 AVX2, F16 AVX-512),
// never wider: shuffles wider than the registers stay scalar code (blocked_vec.h says why).
template <int B, class V>
CN_ALWAYS_INLINE void transposeTile(V (*t)[B / lanesOf<V>()]) {
  constexpr int L = lanesOf<V>(), P = B / L;
  V out[B][P];
  for (int bi = 0; bi < P; ++bi)
    for (int bj = 0; bj < P; ++bj) {
      V sq[L];
      for (int k = 0; k < L; ++k) sq[k] = t[bi * L + k][bj];
      transposeSquare(sq);
      for (int k = 0; k < L; ++k) out[bj * L + k][bi] = sq[k];
    }
  for (int i = 0; i < B; ++i)
    for (int p = 0; p < P; ++p) t[i][p] = out[i][p];
}

// One image row of one channel block is a B × W transpose between B plane rows (H·W floats apart, the
// NCHW side) and W pixels of B lanes (the blocked side). It goes through B × B tiles in registers: B
// contiguous loads, an in-register transpose and B contiguous stores, so both sides stream whole cache
// lines instead of one side striding by B or by H·W floats. toBlocked reads channels past C as 0;
// fromBlocked writes only the real ones.
template <int B, class V, bool kToBlocked>
CN_ALWAYS_INLINE void reorderRowsT(const float* in, float* out, int64_t C, int64_t H, int64_t W, int64_t b,
                                   int64_t e) {
  constexpr int L = lanesOf<V>(), P = B / L;
  using BV = typename Lanes<B>::F;  // a whole pixel, for the tail
  const int64_t HW = H * W;
  for (int64_t item = b; item < e; ++item) {
    const BlockRow r = blockRow(item, C, H, W, B);
    const float* src = in + (kToBlocked ? r.nchw : r.blocked);
    float* dst = out + (kToBlocked ? r.blocked : r.nchw);
    int64_t w = 0;
    for (; w + B <= W; w += B) {
      V tile[B][P];
      for (int i = 0; i < B; ++i) {
        const float* row = kToBlocked ? src + i * HW + w : src + (w + i) * B;
        for (int p = 0; p < P; ++p) tile[i][p] = !kToBlocked || i < r.real ? load<V>(row + p * L) : V{};
      }
      transposeTile<B, V>(tile);
      for (int j = 0; j < (kToBlocked ? B : r.real); ++j) {
        float* row = kToBlocked ? dst + (w + j) * B : dst + j * HW + w;
        for (int p = 0; p < P; ++p) store(row + p * L, tile[j][p]);
      }
    }
    for (; w < W; ++w) {
      if (kToBlocked) {
        BV px{};
        for (int l = 0; l < r.real; ++l) px[l] = src[l * HW + w];
        store(dst + w * B, px);
      } else {
        for (int l = 0; l < r.real; ++l) dst[l * HW + w] = src[w * B + l];
      }
    }
  }
}
// V: the ISA's register-wide vector (F4, F8, F16), narrowed to 8 lanes for 8-lane blocks.
template <class V>
CN_ALWAYS_INLINE void reorderRowsBody(const float* in, float* out, int64_t C, int64_t H, int64_t W, int B,
                                      bool toBlocked, int64_t b, int64_t e) {
  using V8 = typename std::conditional<(lanesOf<V>() > 8), F8, V>::type;
  if (B == 16) toBlocked ? reorderRowsT<16, V, true>(in, out, C, H, W, b, e) : reorderRowsT<16, V, false>(in, out, C, H, W, b, e);
  else toBlocked ? reorderRowsT<8, V8, true>(in, out, C, H, W, b, e) : reorderRowsT<8, V8, false>(in, out, C, H, W, b, e);
}
CN_ISA_VARIANTS_T(reorderRows,
                  (const float* in, float* out, int64_t C, int64_t H, int64_t W, int B, bool toBlocked, int64_t b,
                   int64_t e),
                  (in, out, C, H, W, B, toBlocked, b, e), F4, F8, F16)

// Split over (image, channel block, row): N = 1 with few blocks still spreads over the threads.
void reorder(const float* in, float* out, int64_t N, int64_t C, int64_t H, int64_t W, int B, bool toBlocked) {
  const int64_t rows = N * ((C + B - 1) / B) * H;
  parallelFor(rows, grainFor(2 * W * B), [&](int64_t b, int64_t e) {
    CN_BLOCKED_ISA_CALL(reorderRows, in, out, C, H, W, B, toBlocked, b, e);
  });
}

}  // namespace

void toBlocked(const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W, int B) {
  reorder(x, y, N, C, H, W, B, true);
}

void fromBlocked(const float* xb, float* y, int64_t N, int64_t C, int64_t H, int64_t W, int B) {
  reorder(xb, y, N, C, H, W, B, false);
}

}  // namespace convnets::cpu
