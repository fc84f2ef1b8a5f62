// Implicit GEMM: im2col + GEMM without the im2col matrix. The input is copied once into zero-padded
// "phase planes" in which every row of the im2col matrix is a contiguous run, so the GEMM kernel reads
// B rows in place at a per-row offset (GemmKernel::indirectB) and nothing is packed per column block.
//
// Stride s: plane (a, b) of a channel holds xpad[u·s + a][v·s + b] for u < Hq, v < Wq, where xpad is the
// input with its zero padding. Output (oh, ow), tap (r, t) reads xpad[oh·s + r·dh][ow·s + t·dw], which is
//   plane((r·dh) % s, (t·dw) % s)[oh + (r·dh) / s][ow + (t·dw) / s].
// With Wq = outW + ((S-1)·dw) / s and output columns numbered in "virtual" rows of Wq (j = oh·Wq + ow,
// the last Wq − outW of each row are junk), im2col row (c, r, t) is plane[j + offset(c, r, t)]: one
// shifted view of the plane. The junk columns are computed and dropped when the tile is copied out.
// Stride 1 is the special case s = 1 (one padded plane per channel, Wq − outW = (S−1)·dw junk columns).
//
// Why: with stride 2 the im2col pack cost a third of ResNet's 3×3/2 layers (an even-lane permute per 16
// outputs, runs broken at every output row); here the extra work is one pass over the input plus
// (Wq − outW) / Wq wasted columns (1/29 on 28², 1/8 on 7²).
#include <algorithm>
#include <cstring>

#include "core/threadpool.h"
#include "cpu/conv_algos.h"
#include "cpu/isa_variants.h"

namespace convnets::cpu {
namespace {

// The plane geometry of a descriptor.
struct Planes {
  int64_t s, Hq, Wq, plane, channel;  // stride, plane height/width, floats per plane, per channel (s² planes)
  int64_t Pv;                         // virtual output columns outH · Wq
  int64_t image;                      // floats per image (C channels) including the read-over slack
};

Planes geometry(const ConvDesc& d, int nr) {
  Planes p;
  p.s = d.strideH;
  p.Hq = d.outH + ((d.R - 1) * d.dilationH) / p.s;
  p.Wq = d.outW + ((d.S - 1) * d.dilationW) / p.s;
  p.plane = p.Hq * p.Wq;
  p.channel = p.s * p.s * p.plane;
  p.Pv = d.outH * p.Wq;
  // A kernel reads whole nr-wide rows from up to Wq − outW floats past a plane's last virtual column:
  // the last channel's reads run past its planes by at most that.
  p.image = d.C * p.channel + nr + p.Wq;
  return p;
}

std::string supports(const ConvDesc& d) {
  if (d.strideH != d.strideW) return "implicit_gemm needs equal strides, got " + std::to_string(d.strideH) + "x" +
                                     std::to_string(d.strideW);
  const Planes p = geometry(d, 64);
  if (p.image * std::max<int64_t>(1, d.N) > (int64_t(1) << 31) - 1)
    return "implicit_gemm needs an input of under 2^31 padded floats";
  return "";
}

int64_t workspace(const ConvDesc& d, Isa isa) {
  const GemmKernel& k = gemmKernel(isa);
  const Planes p = geometry(d, k.nr);
  // The planes, plus per task an output block and (without an in-place kernel) a B strip.
  const int64_t tasks = int64_t(getNumThreads()) * 4;
  return (d.N * p.image + tasks * (gemmBlocking(k).mc * 256 + gemmBlocking(k).kc * k.nr)) * int64_t(sizeof(float));
}

// Copies image channels [c0, c1) into their phase planes (zeros where xpad is padding). Compiled per ISA:
// the stride-2 copy vectorises (two loads and a permute per vector) only with AVX2/AVX-512 flags.
CN_ALWAYS_INLINE void fillPlanesBody(const ConvDesc& d, const Planes& p, const float* x, int64_t c0, int64_t c1,
                                     float* planes) {
  for (int64_t c = c0; c < c1; ++c) {
    const float* xc = x + c * d.H * d.W;
    for (int64_t a = 0; a < p.s; ++a)
      for (int64_t b = 0; b < p.s; ++b) {
        float* q = planes + c * p.channel + (a * p.s + b) * p.plane;
        // Valid v: 0 ≤ v·s + b − padW < W.
        const int64_t v0 = std::min(p.Wq, std::max<int64_t>(0, (d.padW - b + p.s - 1) / p.s));
        const int64_t v1 = std::max(v0, std::min(p.Wq, (d.W - 1 + d.padW - b) / p.s + 1));
        for (int64_t u = 0; u < p.Hq; ++u, q += p.Wq) {
          const int64_t ih = u * p.s + a - d.padH;
          if (ih < 0 || ih >= d.H || v0 == v1) {
            std::fill(q, q + p.Wq, 0.0f);
            continue;
          }
          const float* xr = xc + ih * d.W + (v0 * p.s + b - d.padW);
          std::fill(q, q + v0, 0.0f);
          if (p.s == 1) std::memcpy(q + v0, xr, size_t(v1 - v0) * sizeof(float));
          else if (p.s == 2)  // a constant stride vectorises
            for (int64_t v = v0; v < v1; ++v) q[v] = xr[(v - v0) * 2];
          else
            for (int64_t v = v0; v < v1; ++v) q[v] = xr[(v - v0) * p.s];
          std::fill(q + v1, q + p.Wq, 0.0f);
        }
      }
  }
}

CN_ISA_VARIANTS(fillPlanes, (const ConvDesc& d, const Planes& p, const float* x, int64_t c0, int64_t c1, float* planes),
                (d, p, x, c0, c1, planes))

void fillPlanes(Isa isa, const ConvDesc& d, const Planes& p, const float* x, int64_t c0, int64_t c1, float* planes) {
  if (isa == Isa::Avx512) fillPlanesAvx512(d, p, x, c0, c1, planes);
  else if (isa == Isa::Avx2) fillPlanesAvx2(d, p, x, c0, c1, planes);
  else fillPlanesGeneric(d, p, x, c0, c1, planes);
}

void run(const ConvDesc& d, const ConvPrepared& w, const float* x, const float* bias, bool relu, float* y) {
  const GemmKernel& k = preparedKernel(w);
  const Planes p = geometry(d, k.nr);
  const int64_t Cg = d.Cg(), Kg = d.Kg(), RS = d.R * d.S, depth = Cg * RS, P = d.outH * d.outW;
  CpuBuffer planes(size_t(d.N * p.image) * sizeof(float));
  parallelFor(d.N * d.C, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t n = t / d.C, c = t % d.C;
      fillPlanes(k.isa, d, p, x + n * d.C * d.H * d.W, c, c + 1, planes.as() + n * p.image);
    }
  });
  for (int64_t n = 0; n < d.N; ++n)
    std::fill(planes.as() + n * p.image + d.C * p.channel, planes.as() + (n + 1) * p.image, 0.0f);
  // Row (c, r, t) of a group's im2col matrix, relative to the group's first plane; 8 more for prefetch.
  // From the caching allocator, not the heap: this runs on every call.
  CpuBuffer offsBuffer(size_t(depth + 8) * sizeof(int32_t));
  int32_t* offs = offsBuffer.as<int32_t>();
  for (int64_t c = 0; c < Cg; ++c)
    for (int64_t r = 0; r < d.R; ++r)
      for (int64_t t = 0; t < d.S; ++t) {
        const int64_t dr = r * d.dilationH, dt = t * d.dilationW;
        offs[(c * d.R + r) * d.S + t] =
            int32_t(c * p.channel + ((dr % p.s) * p.s + dt % p.s) * p.plane + (dr / p.s) * p.Wq + dt / p.s);
      }
  std::fill(offs + depth, offs + depth + 8, offs[depth - 1]);

  // Tasks over (image·group, row block, column block). Column blocks are capped so that a task's output
  // block stays in L2 until it is copied out.
  const int64_t images = d.N * d.groups;
  const GemmSplit s = gemmSplit(k, images, Kg, p.Pv, 256, depth);
  const int64_t perImage = s.mBlocks * s.nBlocks;
  parallelFor(images * perImage, 1, [&](int64_t t0, int64_t t1) {
    CpuBuffer block(size_t(s.mb * s.nb + (k.indirectB ? 0 : gemmBlocking(k).kc * k.nr)) * sizeof(float));
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t img = t / perImage, rest = t % perImage;
      const int64_t n = img / d.groups, g = img % d.groups;
      const int64_t m0 = (rest / s.nBlocks) * s.mb, mb = std::min(s.mb, Kg - m0);
      const int64_t j0 = (rest % s.nBlocks) * s.nb, nb = std::min(s.nb, p.Pv - j0);
      const float* b = planes.as() + n * p.image + g * Cg * p.channel + j0;
      const float* rb = bias ? bias + g * Kg + m0 : nullptr;
      gemmIndirectBSerial(k, mb, nb, depth, w.data.as() + g * w.groupStride + m0 * depth, b, offs,
                          block.as(), s.nb, rb, relu, block.as() + s.mb * s.nb);
      // Copy out the real columns: virtual column j is output (j / Wq, j % Wq) when j % Wq < outW.
      float* yb = y + (n * d.K + g * Kg + m0) * P;
      for (int64_t j = j0; j < j0 + nb;) {
        const int64_t oh = j / p.Wq, ow = j % p.Wq, run = std::min(j0 + nb, (oh + 1) * p.Wq) - j;
        const int64_t len = std::max<int64_t>(0, std::min(run, d.outW - ow));
        if (len > 0)
          for (int64_t i = 0; i < mb; ++i)
            std::memcpy(yb + i * P + oh * d.outW + ow, block.as() + i * s.nb + (j - j0), size_t(len) * sizeof(float));
        j += run;
      }
    }
  });
}

}  // namespace

ConvAlgo convImplicitGemm() { return {"implicit_gemm", supports, workspace, prepareGemmWeights, run, ConvCaps()}; }

}  // namespace convnets::cpu
