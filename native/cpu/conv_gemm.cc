// The GEMM convolution engine (im2col and gemm_1x1): y[n, g] = W[g] · cols(x[n, g]) per image and group.
#include <algorithm>

#include "core/threadpool.h"
#include "cpu/conv_algos.h"

namespace convnets::cpu {
namespace {

int64_t gemmDepth(const ConvDesc& d) { return d.Cg() * d.R * d.S; }

// Column blocks sized so one packed block (depth × nb floats) stays in half of L2 while every row
// block of the weights passes over it.
int64_t maxColumns(const ConvDesc& d, const GemmKernel& k) {
  return std::max<int64_t>(k.nr, (128 << 10) / std::max<int64_t>(1, gemmDepth(d)) / k.nr * k.nr);
}

}  // namespace

const GemmKernel& preparedKernel(const ConvPrepared& w) {
  return w.narrowKernel ? gemmKernelNarrow(w.isa) : gemmKernel(w.isa);
}

void prepareGemmWeights(const ConvDesc& d, const float* w, Isa isa, ConvPrepared& out) {
  const GemmKernel& k = gemmKernel(isa);
  const int64_t depth = gemmDepth(d);
  out.isa = isa;
  out.groupStride = packedASize(k, d.Kg(), depth);
  out.data = CpuBuffer::prepared(size_t(d.groups * out.groupStride) * sizeof(float));
  for (int64_t g = 0; g < d.groups; ++g)
    packA(k, d.Kg(), depth, w + g * d.Kg() * depth, depth, 1, out.data.as() + g * out.groupStride);
}

int64_t gemmConvWorkspace(const ConvDesc& d, Isa isa) {
  const GemmKernel& k = gemmKernel(isa);
  // One packed column block per parallel chunk (at most 4 per thread), or every image's whole B
  // when there are few column blocks (runGemmConv).
  const int64_t blocks = int64_t(getNumThreads()) * 4 * maxColumns(d, k) * gemmDepth(d);
  const int64_t whole = d.N * d.groups * ceilDiv(d.outH * d.outW, k.nr) * k.nr * gemmDepth(d);
  return std::max(blocks, whole) * int64_t(sizeof(float));
}

void runGemmConv(const ConvDesc& d, const ConvPrepared& w, const float* x, const float* bias, bool relu, float* y,
                 PackColumnsFn pack, bool bIsInput, const float* const* planes) {
  const GemmKernel& k = preparedKernel(w);
  const int64_t depth = gemmDepth(d), P = d.outH * d.outW, Kg = d.Kg();
  const int64_t images = d.N * d.groups;
  const GemmSplit s = gemmSplit(k, images, Kg, P, maxColumns(d, k), depth);
  const InputAffine* ia = w.inputAffine.get();
  auto affine = [&](int64_t n, int64_t g) {
    AffineView a;
    if (ia) a = AffineView{ia->scale.data() + g * d.Cg(), ia->shift.data() + g * d.Cg(), ia->relu};
    if (planes) a.rows = planes + n * d.C + g * d.Cg();
    return a;
  };
  // Image n, group g's input (null with planes: the packer reads AffineView::rows instead).
  auto src = [&](int64_t n, int64_t g) { return x ? x + (n * d.C + g * d.Cg()) * d.H * d.W : nullptr; };
  const int64_t perImage = s.mBlocks * s.nBlocks, threads = getNumThreads();
  // B is the input image itself (a stride-1 1×1 conv, rows P floats apart): full column panels are read in
  // place by the kernel, only a ragged last panel is packed. Skips writing and re-reading a copy of the
  // input (a 1-thread harness: 7–12 % faster on ResNet's 1×1 shapes).
  const bool direct = bIsInput && k.stridedB && !ia && !planes;
  // A task packs its column block unless the task before it in its chunk had the same block. With many
  // threads chunks shrink to one task, and every row block of a column block packs it again: a 3×3
  // 256→256 layer at 14×14 did 2.1× its 1-thread work on 16 threads' partitioning, 5.5× on 64
  // (bench/pool/layers.ts). When a block would be packed more than twice, pack each once, up front.
  const int64_t tasksPerChunk = ceilDiv(images * perImage, splitRegion(images * perImage, 1, int(threads)).chunks);
  const bool repacks = !direct && s.mBlocks > 2 * tasksPerChunk;
  if (threads > 1 && (repacks || (d.R * d.S > 1 && P <= 64 && images * s.nBlocks < 2 * threads))) {
    // 7×7 outputs of a deep im2col (ResNet's 512×14 3×3/2: 49 columns, 4608 deep): the tasks below
    // would split 49 columns into blocks of 32 and 17, stream the 9 MB of weights once per block, and
    // pack each block again per row-block task (slower on 2 threads than on 1). Instead pack every
    // image's B once, all threads over its panels, then split only the weights' rows. Measured worse
    // on 13×13 (192×13 3×3: 169 columns), hence only up to 64 columns; not for 1×1 kernels, whose
    // packing is a cheap copy.
    const int64_t panels = ceilDiv(P, k.nr), imageStride = panels * k.nr * depth;
    CpuBuffer cols(size_t(images * imageStride) * sizeof(float));
    parallelFor(images * panels, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t img = t / panels, q = t % panels, n = img / d.groups, g = img % d.groups;
        pack(d, k, src(n, g), q * k.nr, std::min<int64_t>(k.nr, P - q * k.nr),
             cols.as() + img * imageStride + q * k.nr * depth, affine(n, g));
      }
    });
    gemmPackedBatch(k, images, Kg, P, depth, P, [&](int64_t img) {
      const int64_t n = img / d.groups, g = img % d.groups;
      return GemmOperands{w.data.as() + g * w.groupStride, cols.as() + img * imageStride, y + (n * d.K + g * Kg) * P,
                          bias ? bias + g * Kg : nullptr, nullptr};
    }, relu, w.accumulateOutput);
    return;
  }
  // The direct kernel's ragged last panel (P not a multiple of nr), packed once per image and group:
  // packed per task, a 7×7 layer (49 = 32 + 17 columns) on 16 threads repacked it in each of its
  // row-block tasks.
  const int64_t fullP = P / k.nr * k.nr, tailStride = k.nr * depth;
  CpuBuffer tails(direct && fullP < P ? size_t(images * tailStride) * sizeof(float) : 0);
  if (tails.bytes())
    parallelFor(images, std::max<int64_t>(1, (int64_t(1) << 15) / tailStride), [&](int64_t i0, int64_t i1) {
      for (int64_t img = i0; img < i1; ++img)
        pack(d, k, src(img / d.groups, img % d.groups), fullP, P - fullP, tails.as() + img * tailStride, AffineView{});
    });
  parallelFor(images * perImage, 1, [&](int64_t t0, int64_t t1) {
    CpuBuffer cols(direct ? 0 : size_t(s.nb * depth) * sizeof(float));
    int64_t packed = -1;  // which (image, column block) `cols` holds: row blocks of one column block reuse it
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t img = t / perImage, rest = t % perImage;
      const int64_t nBlock = rest / s.mBlocks, mBlock = rest % s.mBlocks;
      const int64_t n = img / d.groups, g = img % d.groups;
      const int64_t j0 = nBlock * s.nb, nb = std::min(s.nb, P - j0);
      const int64_t m0 = mBlock * s.mb, mb = std::min(s.mb, Kg - m0);
      if (direct) {
        const float* xb = x + (n * d.C + g * d.Cg()) * d.H * d.W;
        const float* a = w.data.as() + g * w.groupStride + m0 * depth;
        float* c = y + (n * d.K + g * Kg + m0) * P;
        const float* rb = bias ? bias + g * Kg + m0 : nullptr;
        gemmStridedBSerial(k, mb, nb, depth, a, xb + j0, P, tails.bytes() ? tails.as() + img * tailStride : nullptr, c + j0, P, rb, relu,
                           w.accumulateOutput);
        continue;
      }
      if (packed != img * s.nBlocks + nBlock) {
        pack(d, k, src(n, g), j0, nb, cols.as(), affine(n, g));
        packed = img * s.nBlocks + nBlock;
      }
      GemmOperands op{w.data.as() + g * w.groupStride + m0 * depth, cols.as(),
                      y + (n * d.K + g * Kg + m0) * P + j0, bias ? bias + g * Kg + m0 : nullptr, nullptr};
      gemmPackedSerial(k, mb, nb, depth, op, P, relu, w.accumulateOutput);
    }
  });
}

}  // namespace convnets::cpu
