// 1×1 convolution as a plain GEMM: with stride 1 the input image [C, H·W] already is the B matrix, read
// in place by the kernel (or packed by contiguous copies, no im2col); a strided 1×1 subsamples the
// input into a dense image first. Padding would make the border outputs bias-only, so it is left to im2col.
#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "core/threadpool.h"
#include "cpu/conv_algos.h"
#include "cpu/isa_variants.h"

namespace convnets::cpu {
namespace {

std::string supports(const ConvDesc& d) { return needsPointwise("gemm_1x1", d); }

// Row c of the panel, with the input affine map (a preceding inference BN, maybe + ReLU) when set.
CN_ALWAYS_INLINE void affineRow(float* out, const float* in, int64_t w, float s, float t, bool relu) {
  if (relu)
    for (int64_t j = 0; j < w; ++j) out[j] = std::max(in[j] * s + t, 0.0f);
  else
    for (int64_t j = 0; j < w; ++j) out[j] = in[j] * s + t;
}

// Stride 1 only (run() subsamples strided convs first): row c of a panel is a contiguous copy of channel c.
// Compiled per ISA: the affine map (DenseNet's fused BN + ReLU) vectorises 2–4× wider with AVX2/AVX-512.
CN_ALWAYS_INLINE void packColumnsBody(const ConvDesc& d, const GemmKernel& k, const float* xg, int64_t j0, int64_t nb,
                                      float* dst, const AffineView& a) {
  const int64_t Cg = d.Cg(), HW = d.H * d.W;
  const int nr = k.nr;
  for (int64_t q = 0; q < (nb + nr - 1) / nr; ++q) {
    const int64_t jq = j0 + q * nr, w = std::min<int64_t>(nr, j0 + nb - jq);
    float* out = dst + q * Cg * nr;
    for (int64_t c = 0; c < Cg; ++c, out += nr) {
      const float* in = (a.rows ? a.rows[c] : xg + c * HW) + jq;
      if (a.scale) affineRow(out, in, w, a.scale[c], a.shift[c], a.relu);
      else std::memcpy(out, in, size_t(w) * sizeof(float));
      for (int64_t jj = w; jj < nr; ++jj) out[jj] = 0.0f;
    }
  }
}

CN_ISA_VARIANTS(packColumns,
                (const ConvDesc& d, const GemmKernel& k, const float* xg, int64_t j0, int64_t nb, float* dst,
                 const AffineView& a),
                (d, k, xg, j0, nb, dst, a))

void packColumns(const ConvDesc& d, const GemmKernel& k, const float* xg, int64_t j0, int64_t nb, float* dst,
                 const AffineView& a) {
  if (k.isa == Isa::Avx512) packColumnsAvx512(d, k, xg, j0, nb, dst, a);
  else if (k.isa == Isa::Avx2) packColumnsAvx2(d, k, xg, j0, nb, dst, a);
  else packColumnsGeneric(d, k, xg, j0, nb, dst, a);
}

void run(const ConvDesc& d, const ConvPrepared& w, const float* x, const float* bias, bool relu, float* y) {
  if (d.strideH == 1 && d.strideW == 1) return runGemmConv(d, w, x, bias, relu, y, packColumns, true);
  // Strided (ResNet's /2 downsamples, 4–8 MB of weights over 49–784 columns): subsample the input once
  // into a dense [N·C, outH·outW] image, then run the stride-1 path on it, whose kernel reads B in place.
  // Packing per column block instead gathered every element scalar, again for each block of rows
  // (in-process A/B, 2 threads, cold caches: the three ResNet-50 downsamples 16–28 % faster). The copy is 1/4 of the input.
  ConvDesc dense = d;
  dense.H = d.outH;
  dense.W = d.outW;
  dense.strideH = dense.strideW = 1;
  const int64_t P = d.outH * d.outW;
  CpuBuffer sub(size_t(d.N * d.C * P) * sizeof(float));
  parallelFor(d.N * d.C, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, P)), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const float* xp = x + p * d.H * d.W;
      float* o = sub.as() + p * P;
      for (int64_t oh = 0; oh < d.outH; ++oh, o += d.outW) {
        const float* xr = xp + oh * d.strideH * d.W;
        for (int64_t ow = 0; ow < d.outW; ++ow) o[ow] = xr[ow * d.strideW];
      }
    }
  });
  runGemmConv(dense, w, sub.as(), bias, relu, y, packColumns, true);
}

// The input as plane pointers (a concatenation read in place): stride 1 only, packed (the in-place B
// kernel needs one row stride).
void runPlanes(const ConvDesc& d, const ConvPrepared& w, const float* const* planes, const float* bias, bool relu,
               float* y) {
  CN_CHECK(d.strideH == 1 && d.strideW == 1, "gemm_1x1: a concatenated input needs stride 1");
  runGemmConv(d, w, nullptr, bias, relu, y, packColumns, false, planes);
}

}  // namespace

ConvAlgo convGemm1x1() {
  return {"gemm_1x1", supports, gemmConvWorkspace, prepareGemmWeights, run,
          ConvCaps().takesInputAffine().takesResidual(), runPlanes};
}

}  // namespace convnets::cpu
