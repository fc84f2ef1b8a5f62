// The walk shared by the run-based im2col packers (conv_im2col.cc and im2col_stride2_avx512.cc): a
// panel's nr columns are output pixels that fall into runs along output rows; within a run and one
// (c, r, s) row of the im2col matrix the source is one input row read at the horizontal stride.
// A template over the per-run copy so that each packer inlines it with its own ISA flags; every
// instantiation has a packer's own lambda type, so no ISA-compiled copy is shared across files.
#pragma once
#include <algorithm>

#include "core/conv_desc.h"
#include "cpu/isa_variants.h"

namespace convnets::cpu {

// For each panel of columns [j0, j0 + nb) (nr wide, zero padded past the edge) and each of its
// (c, r, s) rows, calls copy(o, xr, iw0, len) per run: write o[0, len) from input row xr (null when
// the row is padding) starting at input column iw0 (may be negative).
constexpr int64_t kAhead = 2;  // channels between a prefetch and its use

template <class CopyRun>
CN_ALWAYS_INLINE void forEachColumnRun(const ConvDesc& d, int nr, const float* xg, int64_t j0, int64_t nb,
                                       float* dst, CopyRun copy) {
  const int64_t depth = d.Cg() * d.R * d.S, W = d.W;
  struct Run { int64_t jj, len, oh, ow; };
  Run runs[65];  // nr ≤ 64 columns make at most nr runs
  for (int64_t q = 0; q < (nb + nr - 1) / nr; ++q) {
    const int64_t jq = j0 + q * nr, w = std::min<int64_t>(nr, j0 + nb - jq);
    int nRuns = 0;
    for (int64_t jj = 0; jj < w;) {
      const int64_t j = jq + jj, oh = j / d.outW, ow = j % d.outW, len = std::min(w - jj, d.outW - ow);
      runs[nRuns++] = {jj, len, oh, ow};
      jj += len;
    }
    float* out = dst + q * depth * nr;
    for (int64_t c = 0; c < d.Cg(); ++c) {
      const float* xc = xg + c * d.H * W;
      // The input rows this panel reads lie in every channel plane, a few short stretches per plane: the
      // hardware prefetchers do not follow them, and the pack waited on L3 for each (a third of ResNet's
      // 3×3/2 layers' time). So the stretches of channel c + kAhead are requested now.
      if (c + kAhead < d.Cg()) {
        const char* xn = reinterpret_cast<const char*>(xc + kAhead * d.H * W);
        for (int i = 0; i < nRuns; ++i) {
          const Run& u = runs[i];
          const int64_t w0 = std::max<int64_t>(0, u.ow * d.strideW - d.padW);
          const int64_t w1 = std::min<int64_t>(W, (u.ow + u.len - 1) * d.strideW - d.padW + (d.S - 1) * d.dilationW + 1);
          for (int64_t r = 0; r < d.R; ++r) {
            const int64_t ih = u.oh * d.strideH - d.padH + r * d.dilationH;
            if (ih < 0 || ih >= d.H || w1 <= w0) continue;
            for (int64_t b = (ih * W + w0) * 4; b < (ih * W + w1) * 4; b += 64) __builtin_prefetch(xn + b);
            __builtin_prefetch(xn + (ih * W + w1) * 4 - 1);
          }
        }
      }
      for (int64_t r = 0; r < d.R; ++r)
        for (int64_t s = 0; s < d.S; ++s, out += nr) {
          for (int i = 0; i < nRuns; ++i) {
            const Run& u = runs[i];
            const int64_t ih = u.oh * d.strideH - d.padH + r * d.dilationH;
            copy(out + u.jj, ih >= 0 && ih < d.H ? xc + ih * W : nullptr, u.ow * d.strideW - d.padW + s * d.dilationW,
                 u.len);
          }
          for (int64_t jj = w; jj < nr; ++jj) out[jj] = 0.0f;
        }
    }
  }
}

}  // namespace convnets::cpu
