// Winograd engine: tiling, packed-operand layout, the α² GEMMs, chunking over tiles.
#include "cpu/conv_winograd.h"

#include <algorithm>

#include "core/error.h"
#include "core/threadpool.h"
#include "cpu/grain.h"

namespace convnets::cpu {
namespace {

struct Tiling {
  int64_t tilesH, tilesW, perImage, total;
  int64_t padH, padW;  // the zero-padded input copy every tile reads: tiles·m + α − m rows, (tiles + 1)·m columns
};
Tiling tiling(const WinogradVariant& v, const ConvDesc& d) {
  Tiling t;
  t.tilesH = (d.outH + v.m - 1) / v.m;
  t.tilesW = (d.outW + v.m - 1) / v.m;
  t.perImage = t.tilesH * t.tilesW;
  t.total = d.N * t.perImage;
  t.padH = t.tilesH * v.m + v.alpha - v.m;
  t.padW = (t.tilesW + 1) * v.m;  // ≥ tiles·m + α − m; whole m-float groups for the vector gather
  return t;
}

// Tiles per task: one task transforms its tiles' input (α²·Cg floats per tile), runs the α² GEMMs and
// transforms their output (α²·Kg per tile) while both stay in L2 (~768 KB of the 1 MB); a multiple of
// the lane count and of the kernel's nr. (A first version transformed all tiles, then ran the GEMMs,
// then the output transform over 8 MB buffers: the output transform then spent most of its time
// waiting for GEMM results to come back from L3.)
constexpr int64_t kMaxLaneBlocks = 256 / kWinoLanes;  // blockTiles is at most 256

int64_t blockTiles(const WinogradVariant& v, const ConvDesc& d, const GemmKernel& k, const Tiling& t) {
  const int64_t unit = std::max<int64_t>(kWinoLanes, k.nr);  // nr is 16 or 32: a multiple of the lanes
  const int64_t perTile = int64_t(v.alpha) * v.alpha * (d.Cg() + d.Kg()) * 4;
  int64_t c = std::clamp<int64_t>((768 << 10) / perTile / unit * unit, unit, 256);
  return std::min(c, ceilDiv(t.total, unit) * unit);
}

// The narrow (16-column) kernel when the whole convolution is one pass whose tile count it pads
// at least 20% less than the main kernel (small images: 4–49 tiles).
bool useNarrow(const WinogradVariant& v, const ConvDesc& d, Isa isa) {
  const GemmKernel& main = gemmKernel(isa);
  const GemmKernel& narrow = gemmKernelNarrow(isa);
  if (narrow.nr == main.nr) return false;
  const Tiling t = tiling(v, d);
  if (t.total > blockTiles(v, d, main, t)) return false;
  return ceilDiv(t.total, narrow.nr) * narrow.nr * 5 < ceilDiv(t.total, main.nr) * main.nr * 4;
}

const GemmKernel& kernelFor(const WinogradVariant& v, const ConvDesc& d, Isa isa) {
  return useNarrow(v, d, isa) ? gemmKernelNarrow(isa) : gemmKernel(isa);
}

// Copies one interior α×α input tile into lane `o` of the gathered block (element ξ at o[ξ·16]).
// α is a template argument so the 36 (or 16) copies unroll into straight moves.
template <int ALPHA>
void gatherInterior(const float* src, int64_t W, float* o) {
  for (int i = 0; i < ALPHA; ++i)
    for (int j = 0; j < ALPHA; ++j) o[(i * ALPHA + j) * kWinoLanes] = src[i * W + j];
}

// Writes lane `of` of an m×m output block to an interior tile of y (unrolled like gatherInterior).
template <int M>
void scatterInterior(const float* of, float* y, int64_t OW) {
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < M; ++j) y[i * OW + j] = of[(i * M + j) * kWinoLanes];
}

}  // namespace

std::string winogradSupports(const WinogradVariant& v, const ConvDesc& d) { return needs3x3Stride1(v.name, d); }

// Per task: the packed transformed input of its tiles and the α² GEMM results; one per thread.
static int64_t taskFloats(const WinogradVariant& v, const ConvDesc& d, const GemmKernel& k, int64_t tb) {
  const int64_t a2 = int64_t(v.alpha) * v.alpha;
  return a2 * (packedBSize(k, d.Cg(), tb) + d.Kg() * tb);
}

static int64_t paddedFloats(const ConvDesc& d, const Tiling& t) { return d.N * d.C * t.padH * t.padW; }

// Output channels per task: all of them, unless there are fewer tile blocks than threads (7×7 and 14×14
// images are one block); then slices of whole mr panels. Splitting until every thread had two tasks
// (28×28 images: two blocks, four tasks) was 5–27 % slower on 2 threads than one block per thread: a
// split block's transformed input is written by one core and read by the other, and its output
// transform runs per slice (in-process, 2 threads, cold: 128×28²→128 0.72 → 0.54 ms, 96×28²→128
// 0.62 → 0.45, 256×14²→256 0.54 → 0.49; 160×7²→320 alone 10 % slower).
// Output channels per task when tile blocks alone cannot feed the threads; a slice's α² GEMMs stay at
// least kMinTaskFlops (thinner slices on many threads cost more in per-task overhead than they share).
static int64_t channelSlice(const WinogradVariant& v, const ConvDesc& d, const GemmKernel& k, int64_t blocks,
                            int64_t tb) {
  const int64_t sliceFlops = 2 * int64_t(v.alpha) * v.alpha * d.Cg() * tb;  // per output channel
  int64_t kSlice = d.Kg();
  while (d.groups * blocks * ceilDiv(d.Kg(), kSlice) < getNumThreads() && kSlice >= 4 * k.mr &&
         ceilDiv(kSlice / 2, k.mr) * k.mr * sliceFlops >= kMinTaskFlops)
    kSlice = ceilDiv(kSlice / 2, k.mr) * k.mr;
  return kSlice;
}

int64_t winogradWorkspace(const WinogradVariant& v, const ConvDesc& d, Isa isa) {
  const GemmKernel& k = kernelFor(v, d, isa);
  const Tiling t = tiling(v, d);
  const int64_t tb = blockTiles(v, d, k, t), blocks = ceilDiv(t.total, tb);
  // With channel slices, the blocks' transformed inputs are kept for all tasks (winogradRun).
  const int64_t shared = channelSlice(v, d, k, blocks, tb) < d.Kg()
                             ? d.groups * blocks * int64_t(v.alpha) * v.alpha * packedBSize(k, d.Cg(), tb)
                             : 0;
  // Batch 1 pads per task: each task's block rows (at most ⌈tb / tilesW⌉ + 1 tile rows and the α − m overlap).
  const int64_t local = d.N == 1 ? d.Cg() * ((ceilDiv(tb, t.tilesW) + 1) * v.m + v.alpha) * t.padW : 0;
  return (int64_t(getNumThreads()) * (taskFloats(v, d, k, tb) + local) + (d.N == 1 ? 0 : paddedFloats(d, t)) + shared) *
         int64_t(sizeof(float));
}

namespace {

// U = G g Gᵀ of every (k, c) of one group, written straight into the packed A operands of the α² GEMMs:
// element (k, c) of plane ξ at ξ·planeA + (k / mr)·Cg·mr + c·mr + k % mr. One task per panel of MR output
// channels, which are the vector lanes of the transform (lanes past the last channel stay zero: the
// panel's padding). It used to transform one (k, c) at a time into a Kg × Cg matrix per ξ and then pack the
// α² matrices: two passes over a buffer 4× the weights (512×512 3×3: 38 MB each), the packing serial.
template <int MR>
void prepareLanes(const WinogradVariant& v, const ConvDesc& d, const float* w, Isa isa, int64_t planeA, float* out,
                  int64_t groupStride) {
  static_assert(MR <= kWinoLanes, "one output channel per lane");
  const int64_t a2 = int64_t(v.alpha) * v.alpha, Kg = d.Kg(), Cg = d.Cg(), panels = ceilDiv(Kg, MR);
  auto* transform = v.weightLanes[int(isa)];
  parallelFor(d.groups * panels, 1, [&](int64_t b, int64_t e) {
    alignas(64) float g[9 * kWinoLanes];
    WinoVec u[64];
    for (int64_t gp = b; gp < e; ++gp) {
      const int64_t grp = gp / panels, k0 = (gp % panels) * MR, rows = std::min<int64_t>(MR, Kg - k0);
      const float* src = w + (grp * Kg + k0) * Cg * 9;
      float* dst = out + grp * groupStride + (k0 / MR) * Cg * MR;
      std::fill(g, g + 9 * kWinoLanes, 0.0f);
      for (int64_t c = 0; c < Cg; ++c) {
        for (int64_t i = 0; i < rows; ++i)
          for (int t = 0; t < 9; ++t) g[t * kWinoLanes + i] = src[(i * Cg + c) * 9 + t];
        transform(reinterpret_cast<const WinoVec*>(g), u);
        for (int64_t xi = 0; xi < a2; ++xi) __builtin_memcpy(dst + xi * planeA + c * MR, &u[xi], MR * sizeof(float));
      }
    }
  });
}

}  // namespace

void winogradPrepare(const WinogradVariant& v, const ConvDesc& d, const float* w, Isa isa, ConvPrepared& out) {
  const GemmKernel& k = kernelFor(v, d, isa);
  out.narrowKernel = useNarrow(v, d, isa);
  const int64_t a2 = int64_t(v.alpha) * v.alpha;
  const int64_t planeA = packedASize(k, d.Kg(), d.Cg());
  out.isa = isa;
  out.groupStride = a2 * planeA;
  out.data = CpuBuffer::prepared(size_t(d.groups * out.groupStride) * sizeof(float));
  switch (k.mr) {  // the kernels' panel heights (gemm_kernel_*.cc)
    case 16: return prepareLanes<16>(v, d, w, isa, planeA, out.data.as(), out.groupStride);
    case 12: return prepareLanes<12>(v, d, w, isa, planeA, out.data.as(), out.groupStride);
    case 8: return prepareLanes<8>(v, d, w, isa, planeA, out.data.as(), out.groupStride);
    case 6: return prepareLanes<6>(v, d, w, isa, planeA, out.data.as(), out.groupStride);
    case 4: return prepareLanes<4>(v, d, w, isa, planeA, out.data.as(), out.groupStride);
    case 2: return prepareLanes<2>(v, d, w, isa, planeA, out.data.as(), out.groupStride);
  }
  fail("winograd: no weight packing for a ", k.mr, "-row GEMM kernel");
}

void winogradRun(const WinogradVariant& v, const ConvDesc& d, const ConvPrepared& w, const float* x, const float* bias,
                 bool relu, float* y, const WinoIO& io) {
  CN_CHECK(d.groups == 1 || (!io.inBlock && !io.outBlock && !io.count), "winograd: blocked layouts need groups 1");
  CN_CHECK(!io.count || io.inBlock, "winograd: input parts are blocked");
  const GemmKernel& k = preparedKernel(w);
  const Tiling t = tiling(v, d);
  const WinoGatherFn gatherFn = w.isa == Isa::Avx512 ? winogradGatherAvx512(v.alpha) : nullptr;
  const WinoScatterFn scatterFn = w.isa == Isa::Avx512 ? winogradScatterAvx512(v.m) : nullptr;
  // Blocked input, batch 1: whole channel blocks are unblocked 16 × 16 in registers.
  const WinoUnblockFn unblockFn = w.isa == Isa::Avx512 && io.inBlock == 16 && d.N == 1 ? winogradUnblockAvx512() : nullptr;
  const WinoBlockedStoreFn blockedStoreFn =
      w.isa == Isa::Avx512 && io.outBlock == 16 ? winogradBlockedStoreAvx512(v.m) : nullptr;
  const int m = v.m, alpha = v.alpha;
  const int64_t a2 = int64_t(alpha) * alpha, Kg = d.Kg(), Cg = d.Cg(), G = d.groups;
  const int64_t TB = blockTiles(v, d, k, t), blocks = ceilDiv(t.total, TB);
  const int64_t planeA = packedASize(k, Kg, Cg), planeB = packedBSize(k, Cg, TB);
  const int64_t H = d.H, W = d.W, OH = d.outH, OW = d.outW;

  // Per tile: image and top-left output row/column (the input tile starts `pad` before it). Computed
  // once, not per channel: the divisions cost more than the gather they would address.
  struct TileAt { int64_t n, oh0, ow0; };
  CpuBuffer geo(size_t(t.total) * sizeof(TileAt));
  TileAt* at = geo.as<TileAt>();
  for (int64_t p = 0; p < t.total; ++p) {
    const int64_t tt = p % t.perImage;
    at[p] = {p / t.perImage, (tt / t.tilesW) * m, (tt % t.tilesW) * m};
  }

  // The input, zero padded so that every tile lies inside it: tiles then gather with no bounds checks.
  // Border tiles used to be gathered element by element with checks: 26% of the tiles on 56×56, 49% on
  // 28×28 and 75% on 14×14, and the bulk of the run time on ResNet's 3×3 layers. One pass over the input.
  const int64_t PH = t.padH, PW = t.padW, planeP = PH * PW;
  // Input channel c of image n: its first element and the stride between its pixels (1 in NCHW, B blocked).
  const int64_t inStride = io.inBlock ? io.inBlock : 1;
  auto channelPlane = [&](int64_t n, int64_t c) -> const float* {
    if (!io.inBlock) return x + (n * d.C + c) * H * W;
    const float* base = x;
    int64_t Cp = d.C;
    for (int i = 0; i < io.count; ++i, c -= Cp) {  // a part holds whole blocks (but the last)
      base = io.parts[i];
      Cp = io.channels[i];
      if (c < Cp || i + 1 == io.count) break;
    }
    const int64_t B = io.inBlock;
    return base + ((n * ceilDiv(Cp, B) + c / B) * H * W) * B + c % B;
  };
  const InputAffine* affine = io.affine;
  // Padded rows [r0, r0 + rows) of input channel c (plane src) into dst (rows PW floats apart).
  auto padRows = [&](const float* src, int64_t c, int64_t r0, int64_t rows, float* dst) {
    for (int64_t r = r0; r < r0 + rows; ++r) {
      float* row = dst + (r - r0) * PW;
      const int64_t ih = r - d.padH;
      if (ih < 0 || ih >= H) {
        std::fill(row, row + PW, 0.0f);
        continue;
      }
      // Columns: padW zeros, the input row (as much as fits), zeros to the end.
      const int64_t lead = std::min<int64_t>(d.padW, PW), n = std::clamp<int64_t>(PW - d.padW, 0, W);
      std::fill(row, row + lead, 0.0f);
      if (inStride == 1 && !affine) {
        std::copy(src + ih * W, src + ih * W + n, row + lead);
      } else {
        const float* in = src + ih * W * inStride;
        const float sc = affine ? affine->scale[c] : 1.0f, sh = affine ? affine->shift[c] : 0.0f;
        for (int64_t j = 0; j < n; ++j) {
          float e = in[j * inStride];
          if (affine) {
            e = e * sc + sh;
            if (affine->relu) e = e > 0.0f ? e : 0.0f;
          }
          row[lead + j] = e;
        }
      }
      std::fill(row + lead + n, row + PW, 0.0f);
    }
  };
  // Batch 1 (serving): each task pads just its tile block's rows of its channels, into its own buffer, just
  // before transforming them. A whole-input padded copy made by all threads first left half of every task's
  // reads in the other core's cache: with 2 threads the input transform took twice the CPU time it takes on
  // one (DenseNet's 128×56²→32: 318 → 647 µs), and the layer barely ran faster than on one thread.
  const bool localPad = d.N == 1;
  // Padded rows a block of tiles [p0, p0 + pc) reads: from its first tile's row to its last tile's + α.
  auto blockRows = [&](int64_t p0, int64_t pc) { return at[p0 + pc - 1].oh0 - at[p0].oh0 + alpha; };
  int64_t rowsMax = 0;
  for (int64_t p0 = 0; p0 < t.total; p0 += TB) rowsMax = std::max(rowsMax, blockRows(p0, std::min(TB, t.total - p0)));
  CpuBuffer padded(size_t(localPad ? 0 : paddedFloats(d, t)) * sizeof(float));
  float* xp = padded.as();
  if (!localPad)
    parallelFor(d.N * d.C, grainFor(planeP), [&](int64_t b, int64_t e) {
      for (int64_t pl = b; pl < e; ++pl) padRows(channelPlane(pl / d.C, pl % d.C), pl % d.C, 0, PH, xp + pl * planeP);
    });

  // A blocked output's pad lanes (channels K.. of its last block): no tile writes them, and they must be 0.
  if (io.outBlock && d.K % io.outBlock) {
    const int64_t B = io.outBlock, KB = ceilDiv(d.K, B), from = d.K % B;
    for (int64_t n = 0; n < d.N; ++n) {
      float* last = y + (n * KB + KB - 1) * OH * OW * B;
      for (int64_t p = 0; p < OH * OW; ++p) std::fill(last + p * B + from, last + (p + 1) * B, 0.0f);
    }
  }

  // Lane blocks of tiles [p0, p0 + pc) as segments of consecutive tiles along a tile row (the same for
  // every channel).
  struct Segments {
    WinoSegment segs[kMaxLaneBlocks][kWinoLanes];
    int nsegs[kMaxLaneBlocks];
  };
  // Bases are relative to padded row r0 of a plane (0 for the whole-input copy).
  auto segments = [&](int64_t p0, int64_t pc, Segments& sg, int64_t r0) {
    const TileAt* ta = at + p0;
    for (int64_t lb = 0; lb < ceilDiv(pc, kWinoLanes); ++lb) {
      WinoSegment* segs = sg.segs[lb];
      int ns = 0;
      for (int l = 0; l < kWinoLanes; ++l) {
        const int64_t q = lb * kWinoLanes + l;
        const int64_t base = q < pc ? ta[q].n * d.C * planeP + (ta[q].oh0 - r0) * PW + ta[q].ow0 : -1;
        const bool extends = ns > 0 && (base < 0 ? segs[ns - 1].base < 0
                                                 : segs[ns - 1].base >= 0 && ta[q].ow0 > 0 &&
                                                       base == segs[ns - 1].base + (l - segs[ns - 1].l0) * m);
        if (extends) segs[ns - 1].l1 = l + 1;
        else if (base < 0) segs[ns++] = {l, l + 1, -1, -1, 0, 0};
        else segs[ns++] = {l, l + 1, base, ta[q].n * d.K * OH * OW + ta[q].oh0 * OW + ta[q].ow0, ta[q].oh0, ta[q].ow0};
      }
      sg.nsegs[lb] = ns;
    }
  };

  // 1. Input transform of channels [c0, c1) of group g's tiles (pc of them, segments sg), written straight
  //    into the packed B panels V of the α² GEMMs (planeB floats apart): a block of 16 tiles of one channel
  //    lands as 16 contiguous floats of one panel row.
  auto inputTransform = [&](int64_t g, int64_t pc, int64_t c0, int64_t c1, const Segments& sg, float* V,
                            const float* planes, int64_t planeStride) {
    // Gathered as plain floats (element ξ of lane l at dt[ξ·16 + l]); writing single lanes of a vector
    // variable compiles to load-insert-store sequences that cost more than the transform itself.
    alignas(64) float dt[64 * kWinoLanes];
    WinoVec vt[64];
    for (int64_t c = c0; c < c1; ++c)
      for (int64_t lb = 0; lb < ceilDiv(pc, kWinoLanes); ++lb) {
        const float* plane = planes + (c - c0) * planeStride;
        if (gatherFn) {
          gatherFn(plane, PW, sg.segs[lb], sg.nsegs[lb], dt);
        } else {
          for (const WinoSegment* s = sg.segs[lb]; s < sg.segs[lb] + sg.nsegs[lb]; ++s)
            for (int l = s->l0; l < s->l1; ++l) {
              float* o = dt + l;
              if (s->base < 0) {
                for (int64_t i = 0; i < a2; ++i) o[i * kWinoLanes] = 0.0f;
                continue;
              }
              const float* xc = plane + s->base + (l - s->l0) * m;
              if (alpha == 6) gatherInterior<6>(xc, PW, o);
              else gatherInterior<4>(xc, PW, o);
            }
        }
        v.input[int(w.isa)](reinterpret_cast<const WinoVec*>(dt), vt);
        const int64_t q = lb * kWinoLanes;
        float* base = V + (q / k.nr) * Cg * k.nr + c * k.nr + q % k.nr;
        for (int64_t xi = 0; xi < a2; ++xi) __builtin_memcpy(base + xi * planeB, &vt[xi], sizeof(WinoVec));
      }
  };

  // Pads (batch 1: into the task's own buffer lp) and transforms channels [c0, c1) of block [p0, p0 + pc).
  auto transformBlock = [&](int64_t g, int64_t p0, int64_t pc, int64_t c0, int64_t c1, Segments& sg, float* V,
                            float* lp) {
    if (!localPad) {
      segments(p0, pc, sg, 0);
      inputTransform(g, pc, c0, c1, sg, V, xp + (g * Cg + c0) * planeP, planeP);
      return;
    }
    const int64_t r0 = at[p0].oh0, rows = blockRows(p0, pc), planeStride = rows * PW;
    for (int64_t c = c0; c < c1; ++c) {
      // A whole channel block (the last one may end at C; groups == 1): one strided read per pixel and
      // channel cost more than the input transform on 56² maps.
      const int64_t blockEnd = std::min(c + 16, d.C);
      if (unblockFn && c % 16 == 0 && blockEnd <= c1) {
        const float* src = channelPlane(0, c);
        float* dst = lp + (c - c0) * planeStride;
        const int nch = int(blockEnd - c);
        for (int64_t r = r0; r < r0 + rows; ++r) {
          float* row = dst + (r - r0) * PW;
          const int64_t ih = r - d.padH;
          const int64_t lead = std::min<int64_t>(d.padW, PW), n = std::clamp<int64_t>(PW - d.padW, 0, W);
          for (int ch = 0; ch < nch; ++ch) {
            float* pr = row + ch * planeStride;
            if (ih < 0 || ih >= H) {
              std::fill(pr, pr + PW, 0.0f);
              continue;
            }
            std::fill(pr, pr + lead, 0.0f);
            std::fill(pr + lead + n, pr + PW, 0.0f);
          }
          if (ih < 0 || ih >= H) continue;
          unblockFn(src + ih * W * 16, n, row + lead, planeStride, nch);
          if (!affine) continue;
          for (int ch = 0; ch < nch; ++ch) {  // the map on the copied pixels only: padding stays 0
            float* pr = row + ch * planeStride + lead;
            const float sc = affine->scale[c + ch], sh = affine->shift[c + ch];
            for (int64_t j = 0; j < n; ++j) {
              float e = pr[j] * sc + sh;
              if (affine->relu) e = e > 0.0f ? e : 0.0f;
              pr[j] = e;
            }
          }
        }
        c = blockEnd - 1;
        continue;
      }
      padRows(channelPlane(0, g * Cg + c), g * Cg + c, r0, rows, lp + (c - c0) * planeStride);
    }
    segments(p0, pc, sg, r0);
    inputTransform(g, pc, c0, c1, sg, V, lp, rows * PW);
  };

  // 2. α² GEMMs M[ξ] (Kg × pc) = U[ξ] (Kg × Cg) · V[ξ] (Cg × pc) for output channels [k0, k0 + kn), then
  // 3. their output transform per (k, 16 tiles): bias and ReLU on whole vectors, then each lane's m×m tile
  //    is written out, cropped at the right and bottom edges.
  auto gemmsAndOutput = [&](int64_t g, int64_t p0, int64_t pc, int64_t k0, int64_t kn, const Segments& sg,
                            const float* V, float* M) {
    for (int64_t xi = 0; xi < a2; ++xi) {
      GemmOperands op{w.data.as() + g * w.groupStride + xi * planeA + k0 * Cg, V + xi * planeB,
                      M + xi * Kg * pc + k0 * pc, nullptr, nullptr};
      gemmPackedSerial(k, kn, pc, Cg, op, pc, false);
    }
    const TileAt* ta = at + p0;
    alignas(64) float of[16 * kWinoLanes];
    WinoVec mt[64], ot[16];
    // Output channel kk of lane block lb (lanes tiles) into ot, bias added, ReLU'd when reluNow.
    auto tileOutput = [&](int64_t kk, int64_t lb, int64_t lanes, bool reluNow, WinoVec* ot) {
      const float bv = bias ? bias[g * Kg + kk] : 0.0f;
      const float* src = M + kk * pc + lb * kWinoLanes;
      for (int64_t xi = 0; xi < a2; ++xi) {
        if (lanes == kWinoLanes) __builtin_memcpy(&mt[xi], src + xi * Kg * pc, sizeof(WinoVec));
        else for (int l = 0; l < kWinoLanes; ++l) mt[xi][l] = l < lanes ? src[xi * Kg * pc + l] : 0.0f;
      }
      v.output[int(w.isa)](mt, ot);
      const WinoVec zero = {};
      for (int i = 0; i < m * m; ++i) {
        ot[i] += bv;
        if (reluNow) ot[i] = ot[i] > zero ? ot[i] : zero;
      }
    };
    if (io.outBlock || io.residual) {
      // Blocked output (pixel stride B) or a residual: whole 16-channel blocks through blockedStoreFn (AVX-512,
      // B = 16), else element by element. Lane blocks outermost, so the channels of one block of pixels (16
      // tiles, at most 256 pixels × B floats) fill the same cache lines one after another.
      const int64_t os = io.outBlock ? io.outBlock : 1, KB = io.outBlock ? ceilDiv(d.K, io.outBlock) : d.K;
      const int64_t rowStride = OW * os, chanStride = io.outBlock ? OH * OW * os : OH * OW;
      int64_t pix[kWinoLanes];
      WinoVec otb[16 * 16];  // the 16 channels of one output block (blockedStoreFn)
      int hn[kWinoLanes], wn[kWinoLanes];
      for (int64_t lb = 0; lb < ceilDiv(pc, kWinoLanes); ++lb) {
        const int64_t q = lb * kWinoLanes, lanes = std::min<int64_t>(kWinoLanes, pc - q);
        // Each lane's tile: its first output pixel (channel 0) and its size cropped at the bottom and right.
        for (int64_t l = 0; l < lanes; ++l) {
          const TileAt& tl = ta[q + l];
          pix[l] = tl.n * KB * chanStride + (tl.oh0 * OW + tl.ow0) * os;
          hn[l] = int(std::min<int64_t>(m, OH - tl.oh0));
          wn[l] = int(std::min<int64_t>(m, OW - tl.ow0));
        }
        for (int64_t kk = k0; kk < k0 + kn; ++kk) {
          const int64_t kc = g * Kg + kk, chan = (kc / os) * chanStride + kc % os;
          // A whole block of 16 channels in this task (the last one may end at K: its pad lanes get zeros):
          // transposed 16 × 16 in registers into one vector store per pixel (groups == 1 here). Element by
          // element, the store of each value to its own cache line cost more than the output transform.
          const int64_t blockEnd = std::min(kk + 16, d.K);
          if (blockedStoreFn && kk % 16 == 0 && blockEnd <= k0 + kn) {
            for (int64_t c = 0; c < 16; ++c) {
              if (kk + c < blockEnd) tileOutput(kk + c, lb, lanes, relu && !io.residual, otb + c * 16);
              else std::fill(otb + c * 16, otb + c * 16 + m * m, WinoVec{});
            }
            blockedStoreFn(otb, int(lanes), pix, hn, wn, rowStride, y + chan, io.residual ? io.residual + chan : nullptr,
                           relu);
            kk = blockEnd - 1;
            continue;
          }
          tileOutput(kk, lb, lanes, relu && !io.residual, ot);
          __builtin_memcpy(of, ot, sizeof(float) * m * m * kWinoLanes);
          for (int64_t l = 0; l < lanes; ++l) {
            float* yt = y + chan + pix[l];
            const float* o = of + l;
            if (!io.residual) {
              for (int i = 0; i < hn[l]; ++i)
                for (int j = 0; j < wn[l]; ++j) yt[i * rowStride + j * os] = o[(i * m + j) * kWinoLanes];
              continue;
            }
            const float* rt = io.residual + chan + pix[l];
            for (int i = 0; i < hn[l]; ++i)
              for (int j = 0; j < wn[l]; ++j) {
                const float e = o[(i * m + j) * kWinoLanes] + rt[i * rowStride + j * os];
                yt[i * rowStride + j * os] = relu && !(e > 0.0f) ? 0.0f : e;
              }
          }
        }
      }
      return;
    }
    for (int64_t kk = k0; kk < k0 + kn; ++kk) {
      for (int64_t lb = 0; lb < ceilDiv(pc, kWinoLanes); ++lb) {
        const int64_t q = lb * kWinoLanes, lanes = std::min<int64_t>(kWinoLanes, pc - q);
        tileOutput(kk, lb, lanes, relu, ot);
        if (scatterFn) {
          scatterFn(ot, y + (g * Kg + kk) * OH * OW, OH, OW, sg.segs[lb], sg.nsegs[lb]);
          continue;
        }
        __builtin_memcpy(of, ot, sizeof(float) * m * m * kWinoLanes);
        for (int64_t l = 0; l < lanes; ++l) {
          const TileAt& tl = ta[q + l];
          float* yt = y + ((tl.n * d.K) + g * Kg + kk) * OH * OW + tl.oh0 * OW + tl.ow0;
          if (tl.oh0 + m <= OH && tl.ow0 + m <= OW) {
            if (m == 4) scatterInterior<4>(of + l, yt, OW);
            else scatterInterior<2>(of + l, yt, OW);
            continue;
          }
          const int hn = int(std::min<int64_t>(m, OH - tl.oh0)), wn = int(std::min<int64_t>(m, OW - tl.ow0));
          for (int i = 0; i < hn; ++i)
            for (int j = 0; j < wn; ++j) yt[i * OW + j] = of[(i * m + j) * kWinoLanes + l];
        }
      }
    }
  };

  // One task = one group × one block of TB tiles: input transform → α² GEMMs → output transform, with
  // its buffers in L2.
  // Small images have fewer tile blocks than threads (7×7 and 14×14 are one block): then tasks also
  // split the output channels. Their blocks' input transforms are then done first, once, split over
  // the channels: each task used to redo its block's whole transform, 2–4× the transform work on
  // ResNet's 28² and 14² layers (512×14²→512: four tasks each transforming all 512 channels).
  const int64_t kSlice = channelSlice(v, d, k, blocks, TB), kSlices = ceilDiv(Kg, kSlice);
  auto blockOf = [&](int64_t gb, int64_t& g, int64_t& p0, int64_t& pc) {
    g = gb / blocks;
    p0 = (gb % blocks) * TB;
    pc = std::min(TB, t.total - p0);
  };

  if (kSlices == 1) {
    parallelFor(G * blocks, 1, [&](int64_t t0, int64_t t1) {
      CpuBuffer ws(size_t(taskFloats(v, d, k, TB) + (localPad ? Cg * rowsMax * PW : 0)) * sizeof(float));
      float* V = ws.as();
      Segments sg;
      for (int64_t gb = t0; gb < t1; ++gb) {
        int64_t g, p0, pc;
        blockOf(gb, g, p0, pc);
        transformBlock(g, p0, pc, 0, Cg, sg, V, V + taskFloats(v, d, k, TB));
        gemmsAndOutput(g, p0, pc, 0, Kg, sg, V, V + a2 * planeB);
      }
    });
    return;
  }
  CpuBuffer shared(size_t(G * blocks * a2 * planeB) * sizeof(float));
  // Input-transform tasks: channel chunks of at least ~16K transformed floats (α² per tile per channel).
  const int64_t cChunk = std::min(Cg, std::max(std::max<int64_t>(1, (int64_t(1) << 14) / (a2 * TB)),
                                                ceilDiv(Cg, ceilDiv(4 * int64_t(getNumThreads()), G * blocks))));
  const int64_t cChunks = ceilDiv(Cg, cChunk);
  parallelFor(G * blocks * cChunks, 1, [&](int64_t t0, int64_t t1) {
    CpuBuffer lp(size_t(localPad ? cChunk * rowsMax * PW : 0) * sizeof(float));
    Segments sg;
    for (int64_t task = t0; task < t1; ++task) {
      int64_t g, p0, pc;
      blockOf(task / cChunks, g, p0, pc);
      const int64_t c0 = (task % cChunks) * cChunk;
      transformBlock(g, p0, pc, c0, std::min(Cg, c0 + cChunk), sg, shared.as() + (task / cChunks) * a2 * planeB,
                     lp.as());
    }
  });
  parallelFor(G * blocks * kSlices, 1, [&](int64_t t0, int64_t t1) {
    CpuBuffer ws(size_t(a2 * Kg * TB) * sizeof(float));
    Segments sg;
    for (int64_t task = t0; task < t1; ++task) {
      const int64_t gb = task / kSlices, k0 = (task % kSlices) * kSlice;  // k0 is a multiple of mr
      int64_t g, p0, pc;
      blockOf(gb, g, p0, pc);
      segments(p0, pc, sg, 0);
      gemmsAndOutput(g, p0, pc, k0, std::min(kSlice, Kg - k0), sg, shared.as() + gb * a2 * planeB, ws.as());
    }
  });
}

std::vector<float> winogradTransform(const std::string& variant, const std::string& which,
                                     const std::vector<float>& in) {
  const WinogradVariant* v = variant == "winograd_2x2_3x3"   ? &winograd2x2_3x3()
                             : variant == "winograd_4x4_3x3" ? &winograd4x4_3x3()
                                                             : nullptr;
  CN_CHECK(v, "winogradTransform: unknown variant '", variant, "' (winograd_2x2_3x3 or winograd_4x4_3x3)");
  const int a2 = v->alpha * v->alpha, m2 = v->m * v->m;
  std::vector<float> out;
  if (which == "weight") {
    CN_CHECK(in.size() % 9 == 0, "winogradTransform: weight tiles are 3x3, got ", in.size(), " values");
    for (size_t i = 0; i < in.size(); i += 9) {
      float u[64];
      v->weight(in.data() + i, u);
      out.insert(out.end(), u, u + a2);
    }
    return out;
  }
  CN_CHECK(which == "input" || which == "output", "winogradTransform: expected 'weight', 'input' or 'output', got '",
           which, "'");
  const bool input = which == "input";
  const int inSize = input ? a2 : a2, outSize = input ? a2 : m2;
  CN_CHECK(in.size() % inSize == 0, "winogradTransform: ", which, " tiles have ", inSize, " values, got ", in.size());
  const size_t tiles = in.size() / inSize;
  out.resize(tiles * outSize);
  for (size_t t0 = 0; t0 < tiles; t0 += kWinoLanes) {
    WinoVec a[64] = {}, b[64];
    for (size_t l = 0; l < size_t(kWinoLanes) && t0 + l < tiles; ++l)
      for (int i = 0; i < inSize; ++i) a[i][l] = in[(t0 + l) * inSize + i];
    const int isa = int(activeIsa());
    if (input) v->input[isa](a, b);
    else v->output[isa](a, b);
    for (size_t l = 0; l < size_t(kWinoLanes) && t0 + l < tiles; ++l)
      for (int i = 0; i < outSize; ++i) out[(t0 + l) * outSize + i] = b[i][l];
  }
  return out;
}

}  // namespace convnets::cpu
