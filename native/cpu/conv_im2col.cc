// im2col + GEMM: any shape. The im2col matrix (rows c·R·S, columns output pixels) is never stored
// whole: each task writes its column block straight into the GEMM's packed B panels.
#include <algorithm>

#include "cpu/conv_algos.h"

namespace convnets::cpu {
namespace {

std::string supports(const ConvDesc&) { return ""; }

void packColumns(const ConvDesc& d, const GemmKernel& k, const float* xg, int64_t j0, int64_t nb, float* dst) {
  const int64_t depth = d.Cg() * d.R * d.S;
  const int nr = k.nr;
  int64_t ihBase[64], iwBase[64];  // nr ≤ 64
  for (int64_t q = 0; q < (nb + nr - 1) / nr; ++q) {
    const int64_t jq = j0 + q * nr, w = std::min<int64_t>(nr, j0 + nb - jq);
    for (int64_t jj = 0; jj < w; ++jj) {
      const int64_t j = jq + jj;
      ihBase[jj] = (j / d.outW) * d.strideH - d.padH;
      iwBase[jj] = (j % d.outW) * d.strideW - d.padW;
    }
    float* out = dst + q * depth * nr;
    for (int64_t c = 0; c < d.Cg(); ++c) {
      const float* xc = xg + c * d.H * d.W;
      for (int64_t r = 0; r < d.R; ++r)
        for (int64_t s = 0; s < d.S; ++s, out += nr) {
          const int64_t dh = r * d.dilationH, dw = s * d.dilationW;
          for (int64_t jj = 0; jj < w; ++jj) {
            const int64_t ih = ihBase[jj] + dh, iw = iwBase[jj] + dw;
            out[jj] = (ih >= 0 && ih < d.H && iw >= 0 && iw < d.W) ? xc[ih * d.W + iw] : 0.0f;
          }
          for (int64_t jj = w; jj < nr; ++jj) out[jj] = 0.0f;
        }
    }
  }
}

void run(const ConvDesc& d, const ConvPrepared& w, const float* x, const float* bias, bool relu, float* y) {
  runGemmConv(d, w, x, bias, relu, y, packColumns);
}

}  // namespace

ConvAlgo convIm2col() { return {"im2col", supports, gemmConvWorkspace, prepareGemmWeights, run}; }

}  // namespace convnets::cpu
