// im2col + GEMM: any shape. The im2col matrix (rows c·R·S, columns output pixels) is never stored
// whole: each task writes its column block straight into the GEMM's packed B panels.
#include <algorithm>
#include <cstring>

#include "cpu/conv_algos.h"
#include "cpu/im2col_runs.h"
#include "cpu/isa_variants.h"

namespace convnets::cpu {
namespace {

std::string supports(const ConvDesc&) { return ""; }

// Runs (im2col_runs.h) copied with the padding's zeros only at the ends (no per-element bounds checks):
// a memcpy when the stride is 1.
CN_ALWAYS_INLINE void packColumnsBody(const ConvDesc& d, const GemmKernel& k, const float* xg, int64_t j0, int64_t nb,
                                      float* dst) {
  const int64_t sw = d.strideW, W = d.W;
  forEachColumnRun(d, k.nr, xg, j0, nb, dst, [&](float* o, const float* xr, int64_t iw0, int64_t len) {
    if (!xr) {
      std::memset(o, 0, size_t(len) * sizeof(float));
      return;
    }
    // Valid t: 0 ≤ iw0 + t·sw < W.
    int64_t lo = iw0 >= 0 ? 0 : (-iw0 + sw - 1) / sw;
    int64_t hi = iw0 > W - 1 ? 0 : std::min(len, (W - 1 - iw0) / sw + 1);
    lo = std::min(lo, len);
    hi = std::max(hi, lo);
    for (int64_t t = 0; t < lo; ++t) o[t] = 0.0f;
    if (sw == 1) std::memcpy(o + lo, xr + iw0 + lo, size_t(hi - lo) * sizeof(float));
    else if (sw == 2)  // a constant stride vectorises (two loads and a permute per vector)
      for (int64_t t = lo; t < hi; ++t) o[t] = xr[iw0 + t * 2];
    else
      for (int64_t t = lo; t < hi; ++t) o[t] = xr[iw0 + t * sw];
    for (int64_t t = hi; t < len; ++t) o[t] = 0.0f;
  });
}

constexpr int64_t kMaxTableTaps = 121;  // 11×11

// Strided convolutions (ResNet's 3×3/2, the 7×7/2 stem): the rows of a panel are short strided runs, and
// the run bookkeeping above (bounds per run, vector loops with scalar tails) cost as much as the GEMM.
// Instead each panel tabulates, once for all channels, every (r, s, column)'s offset in the channel and
// a keep mask (0 for padding and for columns past the edge, whose offset is clamped to 0); each channel
// is then a plain indexed copy. Kept scalar on purpose: the AVX-512 gather it would vectorise into is
// slower on Zen than scalar loads.
__attribute__((optimize("no-tree-vectorize"))) void packColumnsStrided(const ConvDesc& d, const GemmKernel& k,
                                                                        const float* xg, int64_t j0, int64_t nb,
                                                                        float* dst) {
  const int64_t RS = d.R * d.S, depth = d.Cg() * RS, HW = d.H * d.W;
  const int nr = k.nr;
  int32_t offs[32 * kMaxTableTaps];  // nr ≤ 32 columns × R·S taps per panel
  uint32_t keep[32 * kMaxTableTaps];
  for (int64_t q = 0; q < (nb + nr - 1) / nr; ++q) {
    const int64_t jq = j0 + q * nr, w = std::min<int64_t>(nr, j0 + nb - jq);
    for (int64_t jj = 0; jj < nr; ++jj) {
      const int64_t j = jq + std::min(jj, w - 1);
      const int64_t ih0 = (j / d.outW) * d.strideH - d.padH, iw0 = (j % d.outW) * d.strideW - d.padW;
      for (int64_t r = 0; r < d.R; ++r)
        for (int64_t s = 0; s < d.S; ++s) {
          const int64_t ih = ih0 + r * d.dilationH, iw = iw0 + s * d.dilationW, e = (r * d.S + s) * nr + jj;
          const bool ok = jj < w && ih >= 0 && ih < d.H && iw >= 0 && iw < d.W;
          offs[e] = ok ? int32_t(ih * d.W + iw) : 0;
          keep[e] = ok ? ~0u : 0u;
        }
    }
    float* out = dst + q * depth * nr;
    for (int64_t c = 0; c < d.Cg(); ++c) {
      const float* xc = xg + c * HW;
      for (int64_t e = 0; e < RS * nr; ++e) {
        uint32_t v;
        std::memcpy(&v, xc + offs[e], sizeof v);
        v &= keep[e];
        std::memcpy(out + e, &v, sizeof v);
      }
      out += RS * nr;
    }
  }
}

// Compiled per ISA like the Winograd transforms: strided copies vectorise only with AVX2/AVX-512.
CN_ISA_VARIANTS(packColumns,
                (const ConvDesc& d, const GemmKernel& k, const float* xg, int64_t j0, int64_t nb, float* dst),
                (d, k, xg, j0, nb, dst))

// im2col does not take an input affine map (its caps do not say takesInputAffine), so `a` is never set.
void packColumns(const ConvDesc& d, const GemmKernel& k, const float* xg, int64_t j0, int64_t nb, float* dst,
                 const AffineView&) {
  // The table pays off over many channels (not the 3-channel stem) and fits kernels up to 11×11.
  if (k.isa == Isa::Avx512 && d.strideW == 2) packColumnsStride2Avx512(d, k.nr, xg, j0, nb, dst);
  else if (d.strideW != 1 && d.Cg() >= 16 && d.R * d.S <= kMaxTableTaps && k.nr <= 32) packColumnsStrided(d, k, xg, j0, nb, dst);
  else if (k.isa == Isa::Avx512) packColumnsAvx512(d, k, xg, j0, nb, dst);
  else if (k.isa == Isa::Avx2) packColumnsAvx2(d, k, xg, j0, nb, dst);
  else packColumnsGeneric(d, k, xg, j0, nb, dst);
}

void run(const ConvDesc& d, const ConvPrepared& w, const float* x, const float* bias, bool relu, float* y) {
  runGemmConv(d, w, x, bias, relu, y, packColumns);
}

}  // namespace

ConvAlgo convIm2col() {
  return {"im2col", supports, gemmConvWorkspace, prepareGemmWeights, run, ConvCaps().takesResidual()};
}

}  // namespace convnets::cpu
