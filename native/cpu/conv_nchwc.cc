// The direct NCHWc convolution (conv_nchwc.h): register tiles of NB output-channel blocks × P pixels of one
// output row, written once with GCC vector extensions and compiled per ISA (isa_variants.h). 1×1 convs (most
// of ResNet-50's, DenseNet-121's and GoogLeNet's layers) run the same tiles without the kernel loops (tile1x1).
#include "cpu/conv_nchwc.h"

#include <algorithm>
#include <cstring>

#include "core/threadpool.h"
#include "cpu/conv_nchwc_gather.h"
#include "cpu/grain.h"
#include "cpu/isa_variants.h"

namespace convnets::cpu {
namespace {

typedef float v16 __attribute__((vector_size(64)));
typedef float v8 __attribute__((vector_size(32)));

int64_t blocks(int64_t c, int B) { return (c + B - 1) / B; }
bool padded(const ConvDesc& d) { return d.padH || d.padW || d.padBottom || d.padRight; }

// One image's work, as the tiles read it. Input coordinates are those of the (padded) plane x points at.
struct Job {
  const float* x;
  int64_t planeStride, rowStride, pixStride;  // floats between input blocks, rows, and adjacent outputs' pixels
  const float* w;
  int64_t wStrideK;  // floats between output-channel blocks of the prepared weights
  const float* bias;  // ceil(K/B)·B floats, zero past K
  int64_t C, Cb, R, S, strideH, K, Kb, OH, OW;
  float* y;
  const float* res;
  bool blocked, relu;
  int unit;  // 1×1 kernel with unit (1) or double (2) pixel step: tile1x1<…, unit>; 0: the general tile
};

// Bias + conv + residual, ReLU, stored blocked (one vector per pixel) or NCHW (through a stack tile: the
// lanes are output channels, NCHW wants each channel's pixels contiguous).
template <typename V, int NB, int P>
CN_ALWAYS_INLINE void storeTile(const Job& j, V (&acc)[NB][P], int64_t oh, int64_t ow0, int64_t kb) {
  constexpr int B = int(sizeof(V) / sizeof(float));
  const V zero = {};
  for (int b = 0; b < NB; ++b) {
    const int64_t k = kb + b;
    if (j.blocked) {
      const int64_t off = ((k * j.OH + oh) * j.OW + ow0) * B;
      for (int p = 0; p < P; ++p) {
        V v = acc[b][p];
        if (j.res) {
          V r;
          std::memcpy(&r, j.res + off + p * B, sizeof r);
          v += r;
        }
        if (j.relu) v = v < zero ? zero : v;
        std::memcpy(j.y + off + p * B, &v, sizeof v);
      }
      continue;
    }
    float t[P][B];
    for (int p = 0; p < P; ++p) std::memcpy(t[p], &acc[b][p], sizeof(V));
    const int kn = int(std::min<int64_t>(B, j.K - k * B));
    for (int c = 0; c < kn; ++c) {
      const int64_t off = ((k * B + c) * j.OH + oh) * j.OW + ow0;
      for (int p = 0; p < P; ++p) {
        float v = t[p][c];
        if (j.res) v += j.res[off + p];
        j.y[off + p] = j.relu && v < 0.0f ? 0.0f : v;
      }
    }
  }
}

// Every pixel's accumulators start at the bias of their output channel.
template <typename V, int NB, int P>
CN_ALWAYS_INLINE void biasTile(const Job& j, V (&acc)[NB][P], int64_t kb) {
  constexpr int B = int(sizeof(V) / sizeof(float));
  for (int b = 0; b < NB; ++b) {
    V vb;
    std::memcpy(&vb, j.bias + (kb + b) * B, sizeof vb);
    for (int p = 0; p < P; ++p) acc[b][p] = vb;
  }
}

// Output pixels ow0 … ow0+P−1 of row oh, output blocks kb … kb+NB−1. The loops run input channel, then
// kernel row and column, so the prepared weights stream sequentially; each (c, r, s) loads NB weight vectors
// and broadcasts P input values (the same input cache lines are reused for all B channels of a block).
template <typename V, int NB, int P>
CN_ALWAYS_INLINE void tile(const Job& j, int64_t oh, int64_t ow0, int64_t kb) {
  constexpr int B = int(sizeof(V) / sizeof(float));
  V acc[NB][P];
  biasTile<V, NB, P>(j, acc, kb);
  const float* x0 = j.x + oh * j.strideH * j.rowStride + ow0 * j.pixStride;
  const float* wq = j.w + kb * j.wStrideK;  // weights of (c, r, s) follow each other, B floats each
  for (int64_t cb = 0; cb < j.Cb; ++cb) {
    const int cn = int(std::min<int64_t>(B, j.C - cb * B));
    for (int c = 0; c < cn; ++c) {
      const float* xc = x0 + cb * j.planeStride + c;
      for (int64_t r = 0; r < j.R; ++r) {
        const float* xr = xc + r * j.rowStride;
        for (int64_t s = 0; s < j.S; ++s, wq += B) {
          V wv[NB];
          for (int b = 0; b < NB; ++b) std::memcpy(&wv[b], wq + b * j.wStrideK, sizeof(V));
          const float* xs = xr + s * B;
          for (int p = 0; p < P; ++p) {
            const float xv = xs[p * j.pixStride];
            for (int b = 0; b < NB; ++b) acc[b][p] += xv * wv[b];
          }
        }
      }
    }
  }
  storeTile<V, NB, P>(j, acc, oh, ow0, kb);
}

// One input channel of a 1×1 tile: NB weight vectors (ws floats apart), P broadcasts STEP·B floats apart.
// (A helper, not a lambda: GCC does not give lambdas the enclosing function's target attributes.)
template <typename V, int NB, int P, int STEP>
CN_ALWAYS_INLINE void channel1x1(V (&acc)[NB][P], const float* xc, const float* wc, int64_t ws) {
  constexpr int B = int(sizeof(V) / sizeof(float));
  V wv[NB];
  for (int b = 0; b < NB; ++b) std::memcpy(&wv[b], wc + b * ws, sizeof(V));
  for (int p = 0; p < P; ++p) {
    const float xv = xc[p * STEP * B];
    for (int b = 0; b < NB; ++b) acc[b][p] += xv * wv[b];
  }
}

// The 1×1 tile: the same register tile without the R and S loops, the pixel step a compile-time STEP·B (1×1/1
// and 1×1/2), so the P broadcasts of an input channel are constant displacements from one pointer (with a
// run-time step GCC spends address arithmetic per broadcast; the general tile's 3×3 loops keep it, see the
// tried-and-dropped note in bench/RESULTS-chooser.md). Whole input blocks run a fixed B-channel loop unrolled
// by 4 with the weight and input pointers bumped, not recomputed; the last, partial block runs its cn channels.
// 1×1/2 (ResNet's downsample) reads every second pixel in place: 1.4× the general tile, as fast as gemm_1x1,
// with no gather pass (A/B 2026-12-04).
template <typename V, int NB, int P, int STEP>
CN_ALWAYS_INLINE void tile1x1(const Job& j, int64_t oh, int64_t ow0, int64_t kb) {
  constexpr int B = int(sizeof(V) / sizeof(float));
  V acc[NB][P];
  biasTile<V, NB, P>(j, acc, kb);
  const float* xb = j.x + oh * j.strideH * j.rowStride + ow0 * STEP * B;
  const float* wq = j.w + kb * j.wStrideK;  // channel c's B weights of block kb; block kb+b is b·wStrideK further
  const int64_t ws = j.wStrideK, fullCb = j.C / B;
  for (int64_t cb = 0; cb < fullCb; ++cb, xb += j.planeStride) {
#pragma GCC unroll 4
    for (int c = 0; c < B; ++c) channel1x1<V, NB, P, STEP>(acc, xb + c, wq + c * B, ws);
    wq += B * B;
  }
  const int rest = int(j.C - fullCb * B);
  for (int c = 0; c < rest; ++c) channel1x1<V, NB, P, STEP>(acc, xb + c, wq + c * B, ws);
  storeTile<V, NB, P>(j, acc, oh, ow0, kb);
}

// tile<V, NB, p> (or tile1x1) for a run length p ≤ P known only at run time (the row's runs are split evenly).
template <typename V, int NB, int P, int UNIT>
CN_ALWAYS_INLINE void tileRun(int p, const Job& j, int64_t oh, int64_t ow0, int64_t kb) {
  if constexpr (P > 1) {
    if (p < P) return tileRun<V, NB, P - 1, UNIT>(p, j, oh, ow0, kb);
  }
  if constexpr (UNIT == 0) tile<V, NB, P>(j, oh, ow0, kb);
  else tile1x1<V, NB, P, UNIT>(j, oh, ow0, kb);
}

// Rows oh0 … oh1−1 of output blocks kb … kb+Cfg::NB−1 (fewer at the end of K). A row of OW pixels is cut into
// ceil(OW / P) runs of nearly equal length, so no run is a short leftover (OW 28 with P 14: 14 + 14; OW 29: 10 + 10 + 9).
template <typename Cfg, int UNIT>
CN_ALWAYS_INLINE void rowsLoop(const Job& j, int64_t kb, int64_t oh0, int64_t oh1) {
  using V = typename Cfg::V;
  constexpr int NB = Cfg::NB, P = Cfg::P;
  const int64_t runs = (j.OW + P - 1) / P, base = j.OW / runs, extra = j.OW % runs;
  const bool full = kb + NB <= j.Kb;
  for (int64_t oh = oh0; oh < oh1; ++oh)
    for (int64_t i = 0, ow = 0; i < runs; ++i) {
      const int p = int(base + (i < extra));
      if (full) tileRun<V, NB, P, UNIT>(p, j, oh, ow, kb);
      else
        for (int64_t k = kb; k < j.Kb; ++k) tileRun<V, 1, P, UNIT>(p, j, oh, ow, k);
      ow += p;
    }
}

// rowsLoop with the tile picked once per call (j.unit), so every ISA variant carries the 1×1 tiles too.
template <typename Cfg>
CN_ALWAYS_INLINE void rowsBody(const Job& j, int64_t kb, int64_t oh0, int64_t oh1) {
  if (j.unit == 1) rowsLoop<Cfg, 1>(j, kb, oh0, oh1);
  else if (j.unit == 2) rowsLoop<Cfg, 2>(j, kb, oh0, oh1);
  else rowsLoop<Cfg, 0>(j, kb, oh0, oh1);
}

// Register tiles per ISA and block: accumulators NB·P vectors, plus NB weight vectors and a broadcast, within
// the register file (32 zmm/ymm with AVX-512, 16 ymm with AVX2, 16 xmm for generic code, where a 16-lane
// vector takes 4). AVX-512: 2 × 14 (28 accumulators + 2 weights + 1 broadcast = 31 registers) so a 14-wide row
// is one run: on 14² layers 7–30% faster than 2 × 12 (two runs of 7), same elsewhere (A/B in one process,
// bench/conv-nchwc.ts, 2026-12-04); 2 blocks share each broadcast, 14 pixels share each weight load.
template <typename VT, int NBT, int PT>
struct Cfg {
  using V = VT;
  static constexpr int NB = NBT, P = PT;
};
using Generic8 = Cfg<v8, 1, 6>;
using Generic16 = Cfg<v16, 1, 3>;
using Avx2x8 = Cfg<v8, 2, 6>;
using Avx2x16 = Cfg<v16, 1, 6>;
using Avx512x8 = Cfg<v8, 2, 14>;
using Avx512x16 = Cfg<v16, 2, 14>;

// The two blocks' entry points (the macro compiles NAME##Body per ISA).
template <typename C>
CN_ALWAYS_INLINE void rows8Body(const Job& j, int64_t kb, int64_t oh0, int64_t oh1) { rowsBody<C>(j, kb, oh0, oh1); }
template <typename C>
CN_ALWAYS_INLINE void rows16Body(const Job& j, int64_t kb, int64_t oh0, int64_t oh1) { rowsBody<C>(j, kb, oh0, oh1); }

CN_ISA_VARIANTS_T(rows8, (const Job& j, int64_t kb, int64_t oh0, int64_t oh1), (j, kb, oh0, oh1), Generic8, Avx2x8,
                  Avx512x8)
CN_ISA_VARIANTS_T(rows16, (const Job& j, int64_t kb, int64_t oh0, int64_t oh1), (j, kb, oh0, oh1), Generic16,
                  Avx2x16, Avx512x16)

// AVX-512 on rows of ≤ 7 pixels (7² maps), where 2 × 14 leaves half the accumulators idle: 4 output blocks ×
// 7 pixels, each broadcast feeding 4 FMAs and each input row read by half as many tasks. Only from 256 input
// channels: A/B in one process (bench/conv-nchwc.ts, 2026-12-04), 512×7²→512 3×3 1.10–1.13×, 832×7²→384 1×1
// 1.21–1.27× faster; 160–192 channels unchanged; 32–48 channels 0.87–0.92× (fewer, smaller tasks).
CN_TARGET_AVX512 void rows16NarrowAvx512(const Job& j, int64_t kb, int64_t oh0, int64_t oh1) {
  rowsBody<Cfg<v16, 4, 7>>(j, kb, oh0, oh1);
}
CN_TARGET_AVX512 void rows8NarrowAvx512(const Job& j, int64_t kb, int64_t oh0, int64_t oh1) {
  rowsBody<Cfg<v8, 4, 7>>(j, kb, oh0, oh1);
}

using RowsFn = void (*)(const Job&, int64_t, int64_t, int64_t);
// The compiled rows() for the ISA and block, and the output blocks one call covers (its Cfg::NB).
struct Rows {
  RowsFn fn;
  int nb;
};
Rows rowsFor(Isa isa, int B, int64_t OW, int64_t Kb, int64_t C) {
  if (isa == Isa::Avx512 && OW <= 7 && Kb >= 4 && C >= 256) return {B == 16 ? rows16NarrowAvx512 : rows8NarrowAvx512, 4};
  if (B == 16) return {isa == Isa::Avx512 ? rows16Avx512 : isa == Isa::Avx2 ? rows16Avx2 : rows16Generic, isa == Isa::Avx512 ? 2 : 1};
  return {isa == Isa::Avx512 ? rows8Avx512 : isa == Isa::Avx2 ? rows8Avx2 : rows8Generic, isa == Isa::Generic ? 1 : 2};
}

// The 1×1 tile's pixel step (1 or 2, the stride) when it runs d, else 0 (the general tile).
int unitStep(const ConvDesc& d) {
  if (d.R != 1 || d.S != 1 || d.strideW > 2) return 0;
  return int(d.strideW);
}

// The row length a flattened 1×1 plane of HW pixels is cut into: a divisor of HW (every row whole), of at most
// 4 runs of P, fewest pixels lost to runs shorter than P (49 → 49: 13+12+12+12; 196 → 28; 3136 → 56).
int64_t flatRow(int64_t HW, int P) {
  int64_t best = 1;
  double bestWaste = 1e30;
  for (int64_t L = 1; L <= std::min<int64_t>(HW, 4 * P); ++L) {
    if (HW % L) continue;
    const double waste = double((L + P - 1) / P * P - L) / double(L);  // idle share of the runs' register tiles
    if (waste <= bestWaste) best = L, bestWaste = waste;
  }
  return best;
}

}  // namespace

std::string nchwcSupports(const ConvDesc& d) {
  if (d.groups != 1) return "groups 1, got " + std::to_string(d.groups);
  if (d.dilationH != 1 || d.dilationW != 1)
    return "dilation 1, got " + std::to_string(d.dilationH) + "x" + std::to_string(d.dilationW);
  return "";
}

int64_t nchwcWeightFloats(const ConvDesc& d, int B) { return blocks(d.K, B) * B * d.C * d.R * d.S; }

void prepareNchwcWeights(const ConvDesc& d, const float* w, int B, float* out) {
  const int64_t RS = d.R * d.S, Kb = blocks(d.K, B);
  for (int64_t kb = 0; kb < Kb; ++kb)
    for (int64_t c = 0; c < d.C; ++c)
      for (int64_t rs = 0; rs < RS; ++rs)
        for (int64_t j = 0; j < B; ++j) {
          const int64_t k = kb * B + j;
          *out++ = k < d.K ? w[(k * d.C + c) * RS + rs] : 0.0f;
        }
}

bool nchwcGathers(const ConvDesc& d, const NchwcInput& in) {
  return !in.blocked || in.count > 1 || in.affine || padded(d);
}

int64_t nchwcWorkspaceFloats(const ConvDesc& d, int B, bool gathers) {
  const int64_t image = blocks(d.C, B) * (d.H + d.padH + d.padBottom) * (d.W + d.padW + d.padRight) * B;
  return blocks(d.K, B) * B + (gathers ? image : 0);
}

void convNchwc(const ConvDesc& d, int B, Isa isa, const float* weight, const float* bias, bool relu,
               const NchwcInput& in, const NchwcOutput& out, float* ws) {
  const int64_t Cb = blocks(d.C, B), Kb = blocks(d.K, B), OH = d.outH, OW = d.outW;
  float* paddedBias = ws;
  for (int64_t k = 0; k < Kb * B; ++k) paddedBias[k] = bias && k < d.K ? bias[k] : 0.0f;
  const bool gathers = nchwcGathers(d, in);
  float* scratch = ws + Kb * B;
  const int64_t Hp = gathers ? d.H + d.padH + d.padBottom : d.H, Wp = gathers ? d.W + d.padW + d.padRight : d.W;
  const int unit = unitStep(d);
  // A 1×1/1 conv on an unpadded plane maps output pixel p to input pixel p: the tiles see the plane as rows of
  // flatRow() pixels, not OW (7² = one row of 49: runs 13+12+12+12 instead of seven runs of 7).
  const bool flat = unit == 1 && d.strideH == 1 && Hp == d.H && Wp == d.W;
  const int64_t rowW = flat ? flatRow(OH * OW, isa == Isa::Avx512 ? 14 : 6) : OW, rowsN = flat ? OH * OW / rowW : OH;
  Job j{nullptr, Hp * Wp * B, (flat ? rowW : Wp) * B, d.strideW * B, weight, d.C * d.R * d.S * B, paddedBias, d.C, Cb,
        d.R, d.S, d.strideH, d.K, Kb, rowsN, rowW, nullptr, nullptr, out.blocked, relu, unit};
  // The tile shape follows the real row width: on 7² 1×1 layers with ≥ 256 input channels the 4 × 7 tile (runs of
  // 7 along the flattened row) beat 2 × 14 on runs of 12–13 by 1.07–1.13× (832→384, 2048→512; A/B 2026-12-04).
  const Rows picked = rowsFor(isa, B, OW, Kb, d.C);
  const RowsFn rows = picked.fn;
  const int nb = picked.nb;
  const int64_t groups = (Kb + nb - 1) / nb;
  const int64_t outImage = out.blocked ? Kb * OH * OW * B : d.K * OH * OW;
  // One item = one output row of one group of nb output blocks; a chunk of at least ~32K vector FMAs, so a
  // small layer wakes only the threads it can feed. Rows vary fastest: a chunk reuses one group's weights.
  const int64_t grain = grainFor(rowW * nb * d.C * d.R * d.S);
  for (int64_t n = 0; n < d.N; ++n) {
    if (gathers) {
      gatherNchwc(d, B, in, n, scratch);
      j.x = scratch;
    } else {
      j.x = in.parts[0] + n * Cb * d.H * d.W * B;
    }
    j.y = out.y + n * outImage;
    j.res = out.residual ? out.residual + n * outImage : nullptr;
    parallelFor(groups * rowsN, grain, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1;) {
        const int64_t g = t / rowsN, oh0 = t % rowsN, oh1 = std::min(rowsN, oh0 + (t1 - t));
        rows(j, g * nb, oh0, oh1);
        t += oh1 - oh0;
      }
    });
  }
}

}  // namespace convnets::cpu
