// GEMM driver: packing, cache blocking, parallel split over tiles. The microkernels live in
// gemm_kernel_<isa>.cc; this file has no ISA flags.
#include "cpu/gemm.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/allocator.h"
#include "core/threadpool.h"

namespace convnets::cpu {

const GemmKernel& gemmKernel(Isa isa) {
  static const GemmKernel generic = gemmKernelGeneric();
  static const GemmKernel avx2 = gemmKernelAvx2();
  static const GemmKernel avx512 = gemmKernelAvx512();
  switch (isa) {
    case Isa::Avx512: return avx512;
    case Isa::Avx2: return avx2;
    default: return generic;
  }
}

const GemmKernel& gemmKernelNarrow(Isa isa) {
  static const GemmKernel narrow = gemmKernelAvx512Narrow();
  return isa == Isa::Avx512 ? narrow : gemmKernel(isa);
}

void storeTile(const float* tile, int64_t ldt, float* c, int64_t ldc, int mr, int nr, const TileEpilogue& e) {
  for (int i = 0; i < mr; ++i) {
    float rb = e.rowBias ? e.rowBias[i] : 0.0f;
    float* ci = c + i * ldc;
    const float* ti = tile + i * ldt;
    for (int j = 0; j < nr; ++j) {
      float v = ti[j] + rb;
      if (e.accumulate) v += ci[j];
      if (e.colBias) v += e.colBias[j];
      if (e.relu) v = v > 0.0f ? v : 0.0f;
      ci[j] = v;
    }
  }
}

namespace {

int64_t cacheSize(int name, int64_t fallback) {
  long v = sysconf(name);
  return v > 0 ? int64_t(v) : fallback;
}

}  // namespace

GemmBlocking gemmBlocking(const GemmKernel& k) {
  static const int64_t l1 = cacheSize(_SC_LEVEL1_DCACHE_SIZE, 32 << 10);
  static const int64_t l2 = cacheSize(_SC_LEVEL2_CACHE_SIZE, 512 << 10);
  // KC: one B micro-panel (kc × nr) stays in L1 while the mr-row A panels stream past it; two thirds of L1
  // leaves room for the A panel and C lines. MC: the A block (mc × kc) fills about half of L2.
  int64_t kc = std::clamp<int64_t>(l1 * 2 / 3 / (k.nr * 4), 64, 1024) / 8 * 8;
  static const int64_t kcEnv = std::getenv("CONVNETS_GEMM_KC") ? std::atoll(std::getenv("CONVNETS_GEMM_KC")) : 0;
  if (kcEnv > 0) kc = kcEnv;
  int64_t mc = std::max<int64_t>(k.mr, (l2 / 2 / (kc * 4)) / k.mr * k.mr);
  return {kc, mc};
}

int64_t packedASize(const GemmKernel& k, int64_t M, int64_t K) { return ceilDiv(M, k.mr) * k.mr * K; }
int64_t packedBSize(const GemmKernel& k, int64_t K, int64_t N) { return ceilDiv(N, k.nr) * k.nr * K; }

// Panels of `width` rows (A) or columns (B); `along` is the strided index, `depth` runs over K.
// `rowsT` (the kernel's vectorised transpose, or null) packs full panels of a source read along K.
static void packPanels(int64_t count, int64_t depth, int64_t width, const float* src, int64_t ws, int64_t ds,
                       float* dst, bool serial, PackRowsFn rowsT) {
  if (count <= 0) return;
  // A source contiguous along the panels' width (B row-major, packed for the kernel's vector columns):
  // in blocks of 16 depth steps, every full panel of the block in turn, so each source row is read front
  // to back and each panel gets 16 steps (2 KB) in one go. Panel by panel instead, each step read one
  // 128-byte piece of a row 4 KB from the last (1024³: 0.36 ms for B, 5 % of the GEMM, with one memcpy
  // call per piece). The ragged last panel goes through the general loop below.
  if (ws == 1 && ds != 1 && count >= width) {
    const int64_t full = count / width;
    auto rows = [=](int64_t b0, int64_t b1) {
      for (int64_t d0 = b0 * 16; d0 < std::min(depth, b1 * 16); d0 += 16)
        for (int64_t p = 0; p < full; ++p)
          for (int64_t d = d0; d < std::min(depth, d0 + 16); ++d) {
            const float* in = src + d * ds + p * width;
            float* out = dst + p * depth * width + d * width;
            if (width == 32) std::memcpy(out, in, 32 * sizeof(float));  // constant size: inlined moves
            else std::memcpy(out, in, size_t(width) * sizeof(float));
          }
    };
    if (serial) rows(0, ceilDiv(depth, 16));
    else parallelFor(ceilDiv(depth, 16), std::max<int64_t>(1, 1024 / count), rows);
    if (full * width == count) return;
    src += full * width;
    dst += full * depth * width;
    count -= full * width;
    serial = true;  // the one ragged panel left
  }
  const int64_t panels = ceilDiv(count, width);
  auto body = [=](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      int64_t w = std::min(width, count - p * width);
      float* out = dst + p * depth * width;
      const float* in = src + p * width * ws;
      if (ds == 1 && w == width && rowsT) {
        rowsT(depth, in, ws, int(width), out);
      } else if (ds == 1 && w == width) {
        // Row-major source read along K: gather `width` rows, one k at a time.
        for (int64_t d = 0; d < depth; ++d)
          for (int64_t i = 0; i < width; ++i) out[d * width + i] = in[i * ws + d];
      } else if (ws == 1 && w == width) {
        for (int64_t d = 0; d < depth; ++d) std::memcpy(out + d * width, in + d * ds, size_t(width) * sizeof(float));
      } else {
        for (int64_t d = 0; d < depth; ++d) {
          for (int64_t i = 0; i < w; ++i) out[d * width + i] = in[i * ws + d * ds];
          for (int64_t i = w; i < width; ++i) out[d * width + i] = 0.0f;
        }
      }
    }
  };
  if (serial) body(0, panels);
  else parallelFor(panels, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, depth * width)), body);
}

void packA(const GemmKernel& k, int64_t M, int64_t K, const float* src, int64_t rs, int64_t cs, float* dst,
           bool serial) {
  packPanels(M, K, k.mr, src, rs, cs, dst, serial, k.packRows);
}

void packB(const GemmKernel& k, int64_t K, int64_t N, const float* src, int64_t rs, int64_t cs, float* dst,
           bool serial) {
  packPanels(N, K, k.nr, src, cs, rs, dst, serial, k.nr <= 16 ? k.packRows : nullptr);
}

// The blocked loop both serial GEMMs share: K in KC blocks (the epilogue's bias and ReLU on the last one,
// accumulation after the first), then per nr-column B strip (kept in L1) every mr-row A panel of the
// packed A `a`. tile(a, pk, p0, i, j, mr, nr, e) computes one tile from A slice `a`; e.aNext is the slice
// of the tile after it.
template <class TileFn>
static void blockedTiles(const GemmKernel& k, int64_t M, int64_t N, int64_t K, const float* a, const float* rowBias,
                         const float* colBias, bool relu, bool accumulate, TileFn tile) {
  const int64_t kc = gemmBlocking(k).kc;
  auto slice = [&](int64_t i, int64_t p0) { return a + (i / k.mr) * K * k.mr + p0 * k.mr; };
  for (int64_t p0 = 0; p0 < K || p0 == 0; p0 += kc) {
    const int64_t pk = std::min(kc, K - p0);
    const bool last = p0 + kc >= K;
    TileEpilogue e;
    e.accumulate = accumulate || p0 > 0;
    e.relu = relu && last;
    for (int64_t j = 0; j < N; j += k.nr) {
      e.colBias = last && colBias ? colBias + j : nullptr;
      for (int64_t i = 0; i < M; i += k.mr) {
        e.rowBias = last && rowBias ? rowBias + i : nullptr;
        // After the last panel comes the first one of the next strip (still in L2) or of the next KC block.
        e.aNext = i + k.mr < M ? slice(i + k.mr, p0) : j + k.nr < N ? slice(0, p0) : last ? nullptr : slice(0, p0 + kc);
        tile(slice(i, p0), pk, p0, i, j, int(std::min<int64_t>(k.mr, M - i)), int(std::min<int64_t>(k.nr, N - j)), e);
      }
    }
    if (K == 0) break;
  }
}

void gemmPackedSerial(const GemmKernel& k, int64_t M, int64_t N, int64_t K, const GemmOperands& op, int64_t ldc,
                      bool relu, bool accumulate) {
  blockedTiles(k, M, N, K, op.a, op.rowBias, op.colBias, relu, accumulate,
               [&](const float* a, int64_t pk, int64_t p0, int64_t i, int64_t j, int mr, int nr, const TileEpilogue& e) {
                 k.fn(pk, a, op.b + (j / k.nr) * K * k.nr + p0 * k.nr, op.c + i * ldc + j, ldc, mr, nr, e);
               });
}

void gemmStridedBSerial(const GemmKernel& k, int64_t M, int64_t N, int64_t K, const float* a, const float* b,
                        int64_t ldb, const float* tail, float* c, int64_t ldc, const float* rowBias, bool relu,
                        bool accumulate) {
  const int64_t full = N / k.nr * k.nr;
  blockedTiles(k, M, N, K, a, rowBias, nullptr, relu, accumulate,
               [&](const float* ai, int64_t pk, int64_t p0, int64_t i, int64_t j, int mr, int nr, const TileEpilogue& e) {
                 if (j < full) k.stridedB(pk, ai, b + p0 * ldb + j, ldb, c + i * ldc + j, ldc, mr, e);
                 else k.fn(pk, ai, tail + p0 * k.nr, c + i * ldc + j, ldc, mr, nr, e);
               });
}

void gemmIndirectBSerial(const GemmKernel& k, int64_t M, int64_t N, int64_t K, const float* a, const float* b,
                         const int32_t* offs, float* c, int64_t ldc, const float* rowBias, bool relu, float* panel) {
  int64_t packedAt = -1;  // the (p0, j) strip `panel` holds: every row panel of the strip reuses it
  blockedTiles(k, M, N, K, a, rowBias, nullptr, relu, false,
               [&](const float* ai, int64_t pk, int64_t p0, int64_t i, int64_t j, int mr, int nr, const TileEpilogue& e) {
                 if (k.indirectB) return k.indirectB(pk, ai, b + j, offs + p0, c + i * ldc + j, ldc, mr, nr, e);
                 if (packedAt != p0 * N + j) {
                   for (int64_t q = 0; q < pk; ++q) {
                     std::memcpy(panel + q * k.nr, b + offs[p0 + q] + j, size_t(nr) * sizeof(float));
                     std::fill(panel + q * k.nr + nr, panel + (q + 1) * k.nr, 0.0f);
                   }
                   packedAt = p0 * N + j;
                 }
                 k.fn(pk, ai, panel, c + i * ldc + j, ldc, mr, nr, e);
               });
}

GemmSplit gemmSplit(const GemmKernel& k, int64_t batch, int64_t M, int64_t N, int64_t maxNb, int64_t K) {
  GemmBlocking blk = gemmBlocking(k);
  int64_t mb = std::min<int64_t>(ceilDiv(M, k.mr) * k.mr, blk.mc);
  int64_t nb = std::min<int64_t>(ceilDiv(N, k.nr) * k.nr, std::max<int64_t>(k.nr, maxNb / k.nr * k.nr));
  int64_t want = int64_t(getNumThreads()) * 4;
  if (K > 0) want = std::min(want, std::max<int64_t>(1, 2 * batch * M * N * K / kMinTaskFlops));
  auto tasks = [&] { return batch * ceilDiv(M, mb) * ceilDiv(N, nb); };
  while (tasks() < want) {
    bool canM = mb > k.mr, canN = nb > k.nr;
    if (!canM && !canN) break;
    // Split the longer side; rows go in whole mr panels, columns in whole nr panels.
    if (canN && (nb >= mb || !canM)) nb = std::max<int64_t>(k.nr, ceilDiv(nb / 2, k.nr) * k.nr);
    else mb = std::max<int64_t>(k.mr, ceilDiv(mb / 2, k.mr) * k.mr);
  }
  return {mb, nb, ceilDiv(M, mb), ceilDiv(N, nb)};
}

void gemmPackedBatch(const GemmKernel& k, int64_t batch, int64_t M, int64_t N, int64_t K, int64_t ldc,
                     const GemmOperandsFn& operands, bool relu, bool accumulate) {
  if (batch <= 0 || M <= 0 || N <= 0) return;
  const GemmSplit s = gemmSplit(k, batch, M, N, 4096, K);
  parallelFor(batch * s.mBlocks * s.nBlocks, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      int64_t b = t / (s.mBlocks * s.nBlocks), rest = t % (s.mBlocks * s.nBlocks);
      int64_t m0 = (rest / s.nBlocks) * s.mb, n0 = (rest % s.nBlocks) * s.nb;
      GemmOperands op = operands(b);
      GemmOperands sub{op.a + m0 * K, op.b + n0 * K, op.c + m0 * ldc + n0, op.rowBias ? op.rowBias + m0 : nullptr,
                       op.colBias ? op.colBias + n0 : nullptr};
      gemmPackedSerial(k, std::min(s.mb, M - m0), std::min(s.nb, N - n0), K, sub, ldc, relu, accumulate);
    }
  });
}

void sgemm(int64_t M, int64_t N, int64_t K, const float* A, int64_t ars, int64_t acs, const float* B, int64_t brs,
           int64_t bcs, float* C, int64_t ldc, const GemmEpilogue& e) {
  if (M <= 0 || N <= 0) return;
  const GemmKernel& k = gemmKernel(activeIsa());
  CpuBuffer pa(size_t(packedASize(k, M, K)) * sizeof(float));
  CpuBuffer pb(size_t(packedBSize(k, K, N)) * sizeof(float));
  packA(k, M, K, A, ars, acs, pa.as());
  packB(k, K, N, B, brs, bcs, pb.as());
  GemmOperands op{pa.as(), pb.as(), C, e.rowBias, e.colBias};
  gemmPackedBatch(k, 1, M, N, K, ldc, [&](int64_t) { return op; }, e.relu, e.accumulate);
}

}  // namespace convnets::cpu
