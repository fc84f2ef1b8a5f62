// The input side of the NCHWc convolution (conv_nchwc.h): one image copied into a zero-padded blocked
// scratch [Cb][H+pt+pb][W+pl+pr][B]. Padding in the scratch means the compute loop never tests a border;
// the same pass is the NCHW → NCHWc reorder of a plan's first conv, applies a preceding BN (+ ReLU) to the
// real channels only (so padded pixels and pad lanes stay exactly 0, as torch pads the BN's output), and
// joins the parts of a channel concatenation.
#include <algorithm>
#include <cstring>

#include "core/threadpool.h"
#include "cpu/conv_nchwc.h"
#include "cpu/conv_nchwc_gather.h"
#include "cpu/grain.h"
#include "cpu/isa_variants.h"

namespace convnets::cpu {
namespace {

// Row h of block cb of image n of a blocked (possibly concatenated) input: W pixels × B lanes.
const float* blockedRow(const ConvDesc& d, int B, const NchwcInput& in, int64_t n, int64_t cb, int64_t h) {
  int i = 0;
  int64_t first = 0;  // the concatenation's first block held by part i (every part but the last fills whole blocks)
  for (; i + 1 < in.count && cb >= first + in.channels[i] / B; ++i) first += in.channels[i] / B;
  const int64_t partBlocks = (in.channels[i] + B - 1) / B;
  return in.parts[i] + (((n * partBlocks + cb - first) * d.H + h) * d.W) * B;
}

typedef float v16 __attribute__((vector_size(64)));
typedef float v8 __attribute__((vector_size(32)));

// W blocked pixels of one block mapped by the affine (+ ReLU), lanes ≥ cn set to 0 whatever the source holds:
// one vector per pixel. DenseNet's BN + ReLU before every 1×1 runs here, over the whole concatenated input;
// the scalar per-lane loop took 4× as long as the 1×1 conv itself (perf, 512×28²→128, 2026-12-04).
template <typename V>
CN_ALWAYS_INLINE void affineRowBody(const float* src, float* out, int64_t W, const float* scale, const float* shift,
                                    int cn, bool relu) {
  constexpr int B = int(sizeof(V) / sizeof(float));
  float s[B] = {}, h[B] = {}, m[B] = {};
  for (int j = 0; j < cn; ++j) s[j] = scale[j], h[j] = shift[j], m[j] = 1.0f;
  V sc, sh, live;
  std::memcpy(&sc, s, sizeof sc);
  std::memcpy(&sh, h, sizeof sh);
  std::memcpy(&live, m, sizeof live);
  const V zero = {};
  for (int64_t w = 0; w < W; ++w) {
    V v;
    std::memcpy(&v, src + w * B, sizeof v);
    v = v * sc + sh;
    if (relu) v = v < zero ? zero : v;
    if (cn < B) v = live > zero ? v : zero;
    std::memcpy(out + w * B, &v, sizeof v);
  }
}
template <typename V>
CN_ALWAYS_INLINE void affineRow8Body(const float* src, float* out, int64_t W, const float* scale, const float* shift,
                                     int cn, bool relu) {
  affineRowBody<V>(src, out, W, scale, shift, cn, relu);
}
template <typename V>
CN_ALWAYS_INLINE void affineRow16Body(const float* src, float* out, int64_t W, const float* scale, const float* shift,
                                      int cn, bool relu) {
  affineRowBody<V>(src, out, W, scale, shift, cn, relu);
}
#define AFFINE_ROW_PARAMS (const float* src, float* out, int64_t W, const float* scale, const float* shift, int cn, bool relu)
CN_ISA_VARIANTS_T(affineRow8, AFFINE_ROW_PARAMS, (src, out, W, scale, shift, cn, relu), v8, v8, v8)
CN_ISA_VARIANTS_T(affineRow16, AFFINE_ROW_PARAMS, (src, out, W, scale, shift, cn, relu), v16, v16, v16)
#undef AFFINE_ROW_PARAMS

using AffineRowFn = void (*)(const float*, float*, int64_t, const float*, const float*, int, bool);
AffineRowFn affineRowFor(int B) {
  const Isa isa = activeIsa();
  if (B == 16) return isa == Isa::Avx512 ? affineRow16Avx512 : isa == Isa::Avx2 ? affineRow16Avx2 : affineRow16Generic;
  return isa == Isa::Avx512 ? affineRow8Avx512 : isa == Isa::Avx2 ? affineRow8Avx2 : affineRow8Generic;
}

// One scratch row: the image row's W pixels (pad lanes 0), lanes c < cn mapped by the affine when set.
void fillRow(const ConvDesc& d, int B, const NchwcInput& in, int64_t n, int64_t cb, int64_t h, float* out) {
  const int64_t c0 = cb * B, W = d.W;
  const int cn = int(std::min<int64_t>(B, d.C - c0));
  const InputAffine* a = in.affine;
  const bool relu = a && a->relu;
  if (in.blocked) {
    const float* src = blockedRow(d, B, in, n, cb, h);
    if (!a) {
      std::memcpy(out, src, size_t(W * B) * sizeof(float));
      return;
    }
    affineRowFor(B)(src, out, W, a->scale.data() + c0, a->shift.data() + c0, cn, relu);
    return;
  }
  if (cn < B) std::memset(out, 0, size_t(W * B) * sizeof(float));
  for (int j = 0; j < cn; ++j) {
    const float* src = in.parts[0] + ((n * d.C + c0 + j) * d.H + h) * W;
    if (!a) {
      for (int64_t w = 0; w < W; ++w) out[w * B + j] = src[w];
      continue;
    }
    const float sc = a->scale[c0 + j], sh = a->shift[c0 + j];
    for (int64_t w = 0; w < W; ++w) {
      const float v = src[w] * sc + sh;
      out[w * B + j] = relu && v < 0.0f ? 0.0f : v;
    }
  }
}

}  // namespace

void gatherNchwc(const ConvDesc& d, int B, const NchwcInput& in, int64_t n, float* dst) {
  const int64_t Cb = (d.C + B - 1) / B, Hp = d.H + d.padH + d.padBottom, Wp = d.W + d.padW + d.padRight;
  const int64_t rowFloats = Wp * B;
  parallelFor(Cb * Hp, grainFor(rowFloats), [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t cb = t / Hp, h = t % Hp - d.padH;
      float* row = dst + t * rowFloats;
      if (h < 0 || h >= d.H) {
        std::memset(row, 0, size_t(rowFloats) * sizeof(float));
        continue;
      }
      std::memset(row, 0, size_t(d.padW * B) * sizeof(float));
      std::memset(row + (d.padW + d.W) * B, 0, size_t(d.padRight * B) * sizeof(float));
      fillRow(d, B, in, n, cb, h, row + d.padW * B);
    }
  });
}

}  // namespace convnets::cpu
