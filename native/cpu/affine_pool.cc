#include "cpu/affine_pool.h"

#include <algorithm>

#include "core/cpu_features.h"
#include "core/threadpool.h"
#include "cpu/grain.h"
#include "cpu/isa_variants.h"

namespace convnets::cpu {
namespace {

struct Affine {
  float s, t;
  bool on, relu;
};

CN_ALWAYS_INLINE float apply(float v, const Affine& a) {
  if (!a.on) return v;
  v = v * a.s + a.t;
  return a.relu ? std::max(v, 0.0f) : v;
}

// One plane. The window sum runs over rows, then columns, in a fixed order for every output (the same
// summation order on every ISA); the 2×2 case is written out so that it vectorises (stride-2 loads and a permute).
CN_ALWAYS_INLINE void planeBody(const float* x, int64_t W, int64_t OH, int64_t OW, int64_t kh, int64_t kw,
                                const Affine& a, float* y) {
  const float inv = 1.0f / float(kh * kw);
  if (kh == 2 && kw == 2) {
    for (int64_t oh = 0; oh < OH; ++oh) {
      const float* r0 = x + 2 * oh * W;
      const float* r1 = r0 + W;
      float* yr = y + oh * OW;
      for (int64_t ow = 0; ow < OW; ++ow)
        yr[ow] = ((apply(r0[2 * ow], a) + apply(r0[2 * ow + 1], a)) + (apply(r1[2 * ow], a) + apply(r1[2 * ow + 1], a))) * inv;
    }
    return;
  }
  for (int64_t oh = 0; oh < OH; ++oh)
    for (int64_t ow = 0; ow < OW; ++ow) {
      float sum = 0.0f;
      for (int64_t i = 0; i < kh; ++i)
        for (int64_t j = 0; j < kw; ++j) sum += apply(x[(oh * kh + i) * W + ow * kw + j], a);
      y[oh * OW + ow] = sum * inv;
    }
}

CN_ALWAYS_INLINE void planesBody(const float* const* planes, int64_t C, int64_t H, int64_t W, int64_t kh, int64_t kw,
                                 const float* scale, const float* shift, bool relu, float* y, int64_t p0, int64_t p1) {
  const int64_t OH = H / kh, OW = W / kw;
  for (int64_t p = p0; p < p1; ++p) {
    const int64_t c = p % C;
    const Affine a{scale ? scale[c] : 1.0f, scale ? shift[c] : 0.0f, scale != nullptr, relu};
    planeBody(planes[p], W, OH, OW, kh, kw, a, y + p * OH * OW);
  }
}

CN_ISA_VARIANTS(planes,
                (const float* const* planes, int64_t C, int64_t H, int64_t W, int64_t kh, int64_t kw, const float* scale,
                 const float* shift, bool relu, float* y, int64_t p0, int64_t p1),
                (planes, C, H, W, kh, kw, scale, shift, relu, y, p0, p1))

}  // namespace

void affineAvgPool(const float* const* planes, int64_t N, int64_t C, int64_t H, int64_t W, int64_t kh, int64_t kw,
                   const float* scale, const float* shift, bool relu, float* y) {
  const Isa isa = activeIsa();
  parallelFor(N * C, grainFor(H * W), [&](int64_t p0, int64_t p1) {
    if (isa == Isa::Avx512) planesAvx512(planes, C, H, W, kh, kw, scale, shift, relu, y, p0, p1);
    else if (isa == Isa::Avx2) planesAvx2(planes, C, H, W, kh, kw, scale, shift, relu, y, p0, p1);
    else planesGeneric(planes, C, H, W, kh, kw, scale, shift, relu, y, p0, p1);
  });
}

}  // namespace convnets::cpu
