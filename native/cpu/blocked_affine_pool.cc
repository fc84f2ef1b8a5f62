#include "cpu/blocked_affine_pool.h"

#include "core/threadpool.h"
#include "cpu/blocked_vec.h"
#include "cpu/grain.h"

namespace convnets::cpu {
namespace {

using namespace blocked;

// One output row of one channel block, CV's lanes at a time (register wide: the ReLU compares, blocked_vec.h).
// The order of the window sum is affine_pool.cc's: the 2×2 window as (a + b) + (c + d), larger ones row by
// row from 0.
template <int B, class CV>
CN_ALWAYS_INLINE void rowT(const float* x, int64_t W, int64_t oh, int64_t OW, int64_t kh, int64_t kw, const CV* sc,
                           const CV* sh, bool on, bool relu, float inv, float* yr) {
  constexpr int L = lanesOf<CV>(), U = B / L;
  auto at = [&](int64_t h, int64_t w, int u) {
    CV v = load<CV>(x + (h * W + w) * B + u * L);
    if (on) {
      v = v * sc[u] + sh[u];
      if (relu) v = reluOf(v);
    }
    return v;
  };
  const CV vinv = splat<CV>(inv);
  for (int64_t ow = 0; ow < OW; ++ow)
    for (int u = 0; u < U; ++u) {
      CV sum;
      if (kh == 2 && kw == 2) {
        const int64_t h = 2 * oh, w = 2 * ow;
        sum = (at(h, w, u) + at(h, w + 1, u)) + (at(h + 1, w, u) + at(h + 1, w + 1, u));
      } else {
        sum = CV{};
        for (int64_t i = 0; i < kh; ++i)
          for (int64_t j = 0; j < kw; ++j) sum += at(oh * kh + i, ow * kw + j, u);
      }
      store(yr + ow * B + u * L, sum * vinv);
    }
}

// Items are (image, channel block, output row).
template <int B, class CV>
CN_ALWAYS_INLINE void rowsT(const float* const* blocks, int64_t C, int64_t H, int64_t W, int64_t kh, int64_t kw,
                            const float* scale, const float* shift, bool relu, float* y, int64_t b, int64_t e) {
  constexpr int L = lanesOf<CV>(), U = B / L;
  const int64_t OH = H / kh, OW = W / kw, CB = (C + B - 1) / B;
  const float inv = 1.0f / float(kh * kw);
  for (int64_t item = b; item < e; ++item) {
    const int64_t oh = item % OH, nb = item / OH, cb = nb % CB;
    // Pad lanes get scale 0 and shift 0: relu(0·0 + 0) = 0 keeps them 0.
    CV sc[U] = {}, sh[U] = {};
    for (int l = 0; scale && l < B && cb * B + l < C; ++l) sc[l / L][l % L] = scale[cb * B + l], sh[l / L][l % L] = shift[cb * B + l];
    rowT<B, CV>(blocks[nb], W, oh, OW, kh, kw, sc, sh, scale != nullptr, relu, inv, y + (nb * OH + oh) * OW * B);
  }
}

template <class CV>
CN_ALWAYS_INLINE void rowsBody(const float* const* blocks, int64_t C, int64_t H, int64_t W, int64_t kh, int64_t kw,
                               const float* scale, const float* shift, bool relu, float* y, int B, int64_t b, int64_t e) {
  if (B == 16) rowsT<16, CV>(blocks, C, H, W, kh, kw, scale, shift, relu, y, b, e);
  else rowsT<8, CV>(blocks, C, H, W, kh, kw, scale, shift, relu, y, b, e);
}
CN_BLOCKED_COMPARE_VARIANTS(rows,
                            (const float* const* blocks, int64_t C, int64_t H, int64_t W, int64_t kh, int64_t kw,
                             const float* scale, const float* shift, bool relu, float* y, int B, int64_t b, int64_t e),
                            (blocks, C, H, W, kh, kw, scale, shift, relu, y, B, b, e))

}  // namespace

void affineAvgPoolBlocked(const float* const* blocks, int64_t N, int64_t C, int64_t H, int64_t W, int64_t kh,
                          int64_t kw, const float* scale, const float* shift, bool relu, float* y, int B) {
  const int64_t OH = H / kh, CB = (C + B - 1) / B;
  parallelFor(N * CB * OH, grainFor(kh * W * B), [&](int64_t b, int64_t e) {
    CN_BLOCKED_ISA_CALL(rows, blocks, C, H, W, kh, kw, scale, shift, relu, y, B, b, e);
  });
}

}  // namespace convnets::cpu
