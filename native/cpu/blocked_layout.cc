#include "cpu/blocked_layout.h"

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

// One image row of one channel block is a B × W transpose between B plane rows (H·W floats apart, the
// NCHW side) and W pixels of B lanes (the blocked side). It goes through B × B tiles in registers: B
// contiguous vector loads, an in-register transpose (the compiler turns the constant lane moves into
// shuffles) and B contiguous vector stores, so both sides stream whole cache lines instead of one side
// striding by B or by H·W floats. toBlocked reads channels past C as 0; fromBlocked writes only real ones.
template <int B, bool kToBlocked>
CN_ALWAYS_INLINE void reorderRowsT(const float* in, float* out, int64_t C, int64_t H, int64_t W, int64_t b,
                                   int64_t e) {
  using V = typename Lanes<B>::F;
  const int64_t HW = H * W;
  for (int64_t item = b; item < e; ++item) {
    const BlockRow r = blockRow(item, C, H, W, B);
    const float* src = in + (kToBlocked ? r.nchw : r.blocked);
    float* dst = out + (kToBlocked ? r.blocked : r.nchw);
    int64_t w = 0;
    for (; w + B <= W; w += B) {
      V tile[B];
      for (int i = 0; i < B; ++i)
        tile[i] = !kToBlocked ? load<V>(src + (w + i) * B) : i < r.real ? load<V>(src + i * HW + w) : V{};
      for (int j = 0; j < (kToBlocked ? B : r.real); ++j) {
        V v;
        for (int i = 0; i < B; ++i) v[i] = tile[i][j];
        store(kToBlocked ? dst + (w + j) * B : dst + j * HW + w, v);
      }
    }
    for (; w < W; ++w) {
      if (kToBlocked) {
        V px{};
        for (int l = 0; l < r.real; ++l) px[l] = src[l * HW + w];
        store(dst + w * B, px);
      } else {
        for (int l = 0; l < r.real; ++l) dst[l * HW + w] = src[w * B + l];
      }
    }
  }
}
CN_ALWAYS_INLINE void reorderRowsBody(const float* in, float* out, int64_t C, int64_t H, int64_t W, int B,
                                      bool toBlocked, int64_t b, int64_t e) {
  if (B == 16) toBlocked ? reorderRowsT<16, true>(in, out, C, H, W, b, e) : reorderRowsT<16, false>(in, out, C, H, W, b, e);
  else toBlocked ? reorderRowsT<8, true>(in, out, C, H, W, b, e) : reorderRowsT<8, false>(in, out, C, H, W, b, e);
}
CN_ISA_VARIANTS(reorderRows,
                (const float* in, float* out, int64_t C, int64_t H, int64_t W, int B, bool toBlocked, int64_t b,
                 int64_t e),
                (in, out, C, H, W, B, toBlocked, b, e))

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
