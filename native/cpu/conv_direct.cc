// Direct convolution: the definition, vectorised over output channels (16 per vector) and blocked over
// 4 output columns, so each loaded weight vector feeds 4 FMAs and each input value one broadcast.
// Supports every shape (groups, dilation, any stride/padding): it is the reference algorithm, and the
// good one for few input channels with large strides, where GEMM's K dimension (C·R·S) is short.
#include <algorithm>

#include "core/threadpool.h"
#include "cpu/conv_algos.h"
#include "cpu/isa_variants.h"

namespace convnets::cpu {
namespace {

constexpr int KB = 16;  // output channels per vector
constexpr int PB = 4;   // output columns per block
typedef float v16 __attribute__((vector_size(64)));

int64_t kBlocks(const ConvDesc& d) { return (d.Kg() + KB - 1) / KB; }

std::string supports(const ConvDesc&) { return ""; }
int64_t workspace(const ConvDesc&, Isa) { return 0; }

// Weights → [g][kblock][c][r][s][KB], output channels innermost, zero padded past Kg.
void prepare(const ConvDesc& d, const float* w, Isa isa, ConvPrepared& out) {
  const int64_t Kg = d.Kg(), Cg = d.Cg(), RS = d.R * d.S, kb = kBlocks(d);
  out.isa = isa;
  out.groupStride = kb * Cg * RS * KB;
  out.data = CpuBuffer::prepared(size_t(d.groups * out.groupStride) * sizeof(float));
  float* p = out.data.as();
  for (int64_t g = 0; g < d.groups; ++g)
    for (int64_t b = 0; b < kb; ++b)
      for (int64_t c = 0; c < Cg; ++c)
        for (int64_t rs = 0; rs < RS; ++rs)
          for (int64_t j = 0; j < KB; ++j) {
            int64_t k = b * KB + j;
            *p++ = k < Kg ? w[((g * Kg + k) * Cg + c) * RS + rs] : 0.0f;
          }
}

// One output row of one block of ≤ 16 output channels, compiled per ISA (CN_ISA_VARIANTS): the 16-lane
// vector type becomes one zmm, two ymm or four xmm registers.
CN_ALWAYS_INLINE void directRowBody(const ConvDesc& d, const float* wb, const float* xg, const float* bias, int64_t kn, int64_t oh, bool relu,
               float* yk) {
  const int64_t RS = d.R * d.S, H = d.H, W = d.W, OW = d.outW, OHW = d.outH * d.outW;
  v16 vb = {};
  if (bias)
    for (int64_t j = 0; j < kn; ++j) vb[j] = bias[j];
  for (int64_t ow0 = 0; ow0 < OW; ow0 += PB) {
    const int pn = int(std::min<int64_t>(PB, OW - ow0));
    v16 acc[PB];
    for (int p = 0; p < PB; ++p) acc[p] = vb;
    for (int64_t c = 0; c < d.Cg(); ++c) {
      const float* xc = xg + c * H * W;
      for (int64_t r = 0; r < d.R; ++r) {
        const int64_t ih = oh * d.strideH - d.padH + r * d.dilationH;
        if (ih < 0 || ih >= H) continue;
        const float* xr = xc + ih * W;
        const float* wr = wb + (c * RS + r * d.S) * KB;
        for (int64_t s = 0; s < d.S; ++s) {
          v16 wv;
          __builtin_memcpy(&wv, wr + s * KB, sizeof(wv));
          const int64_t iw0 = ow0 * d.strideW - d.padW + s * d.dilationW;
          for (int p = 0; p < PB; ++p) {
            const int64_t iw = iw0 + p * d.strideW;
            const float xv = (p < pn && iw >= 0 && iw < W) ? xr[iw] : 0.0f;
            acc[p] += xv * wv;
          }
        }
      }
    }
    for (int p = 0; p < pn; ++p)
      for (int64_t j = 0; j < kn; ++j) {
        const float v = acc[p][j];
        yk[j * OHW + ow0 + p] = relu && v < 0.0f ? 0.0f : v;
      }
  }
}

CN_ISA_VARIANTS(directRow,
                (const ConvDesc& d, const float* wb, const float* xg, const float* bias, int64_t kn, int64_t oh,
                 bool relu, float* yk),
                (d, wb, xg, bias, kn, oh, relu, yk))

void run(const ConvDesc& d, const ConvPrepared& pw, const float* x, const float* bias, bool relu, float* y) {
  const int64_t Cg = d.Cg(), Kg = d.Kg(), kb = kBlocks(d), RS = d.R * d.S, OH = d.outH;
  auto row = pw.isa == Isa::Avx512 ? directRowAvx512 : pw.isa == Isa::Avx2 ? directRowAvx2 : directRowGeneric;
  parallelFor(d.N * d.groups * kb * OH, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t oh = t % OH, b = (t / OH) % kb, g = (t / (OH * kb)) % d.groups, n = t / (OH * kb * d.groups);
      const int64_t k0 = b * KB;
      row(d, pw.data.as() + g * pw.groupStride + b * Cg * RS * KB, x + (n * d.C + g * Cg) * d.H * d.W,
                bias ? bias + g * Kg + k0 : nullptr, std::min<int64_t>(KB, Kg - k0), oh, relu,
                y + ((n * d.K + g * Kg + k0) * OH + oh) * d.outW);
    }
  });
}

}  // namespace

ConvAlgo convDirect() { return {"direct", supports, workspace, prepare, run, ConvCaps()}; }

}  // namespace convnets::cpu
