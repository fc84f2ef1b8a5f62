// 1×1 convolution as a plain GEMM: with stride 1 the input image [C, H·W] already is the B matrix, so
// columns are packed straight from it (contiguous copies, no im2col); a strided 1×1 subsamples the
// input while packing. Padding would make the border outputs bias-only, so it is left to im2col.
#include <algorithm>
#include <cstring>

#include "cpu/conv_algos.h"

namespace convnets::cpu {
namespace {

std::string supports(const ConvDesc& d) {
  if (d.R != 1 || d.S != 1) return "gemm_1x1 needs a 1x1 kernel, got " + std::to_string(d.R) + "x" + std::to_string(d.S);
  if (d.padH || d.padW || d.padBottom || d.padRight) return "gemm_1x1 needs padding 0";
  return "";
}

// Row c of the panel, with the input affine map (a preceding inference BN, maybe + ReLU) when set.
inline void affineRow(float* out, const float* in, int64_t w, float s, float t, bool relu) {
  if (relu)
    for (int64_t j = 0; j < w; ++j) out[j] = std::max(in[j] * s + t, 0.0f);
  else
    for (int64_t j = 0; j < w; ++j) out[j] = in[j] * s + t;
}

void packColumns(const ConvDesc& d, const GemmKernel& k, const float* xg, int64_t j0, int64_t nb, float* dst,
                 const AffineView& a) {
  const int64_t Cg = d.Cg(), HW = d.H * d.W;
  const int nr = k.nr;
  const bool dense = d.strideH == 1 && d.strideW == 1;
  if (a.scale) {
    // Subsampled columns are gathered first, then mapped (a strided 1×1 is rare enough not to fuse harder).
    int64_t src[64];
    for (int64_t q = 0; q < (nb + nr - 1) / nr; ++q) {
      const int64_t jq = j0 + q * nr, w = std::min<int64_t>(nr, j0 + nb - jq);
      for (int64_t jj = 0; jj < w; ++jj) {
        const int64_t j = jq + jj;
        src[jj] = dense ? j : (j / d.outW) * d.strideH * d.W + (j % d.outW) * d.strideW;
      }
      float* out = dst + q * Cg * nr;
      alignas(64) float row[64];
      for (int64_t c = 0; c < Cg; ++c, out += nr) {
        const float* xc = xg + c * HW;
        const float* in = xc + jq;
        if (!dense) {
          for (int64_t jj = 0; jj < w; ++jj) row[jj] = xc[src[jj]];
          in = row;
        }
        affineRow(out, in, w, a.scale[c], a.shift[c], a.relu);
        for (int64_t jj = w; jj < nr; ++jj) out[jj] = 0.0f;
      }
    }
    return;
  }
  for (int64_t q = 0; q < (nb + nr - 1) / nr; ++q) {
    const int64_t jq = j0 + q * nr, w = std::min<int64_t>(nr, j0 + nb - jq);
    float* out = dst + q * Cg * nr;
    if (dense) {
      for (int64_t c = 0; c < Cg; ++c, out += nr) {
        std::memcpy(out, xg + c * HW + jq, size_t(w) * sizeof(float));
        for (int64_t jj = w; jj < nr; ++jj) out[jj] = 0.0f;
      }
    } else {
      int64_t src[64];
      for (int64_t jj = 0; jj < w; ++jj) {
        const int64_t j = jq + jj;
        src[jj] = (j / d.outW) * d.strideH * d.W + (j % d.outW) * d.strideW;
      }
      for (int64_t c = 0; c < Cg; ++c, out += nr) {
        const float* xc = xg + c * HW;
        for (int64_t jj = 0; jj < w; ++jj) out[jj] = xc[src[jj]];
        for (int64_t jj = w; jj < nr; ++jj) out[jj] = 0.0f;
      }
    }
  }
}

void run(const ConvDesc& d, const ConvPrepared& w, const float* x, const float* bias, bool relu, float* y) {
  runGemmConv(d, w, x, bias, relu, y, packColumns, d.strideH == 1 && d.strideW == 1);
}

}  // namespace

ConvAlgo convGemm1x1() { return {"gemm_1x1", supports, gemmConvWorkspace, prepareGemmWeights, run, true, true}; }

}  // namespace convnets::cpu
