// Dense layer y = x·Wᵀ + b as a "dot-product" GEMM: torch's W [out, in] and x [rows, in] are both
// contiguous along K, so a register tile of RX x rows × RW W rows keeps RX·RW vector accumulators of
// partial dot products (one lane per k mod lanes), reduced once at the end. W, the big operand (VGG16's
// fc6 is 411 MB), is read straight from the caller's buffer, once per block of 32 x rows; only x is
// packed (small, and its rows would otherwise be RX streams a multiple of 4 KB apart). Before, more than
// 4 rows went through the packed GEMM, whose pack of a torch-layout W gathered it one float at a time
// (AlexNet's fc6 at batch 32: 44.6 ms, 54 GFLOP/s; now 10.4–11.2 ms), and 1–4 rows used one-W-row dot
// products (VGG16's fc6 at batch 1: 10.6 → 9.4 ms in the same process).
//
// Blocking: K in kKBlock slices, so the tile's RW W rows (12 KB on AVX-512) stay in L1 while the x-row
// groups of the block (8 groups) stream past them from L2; the vector partial sums of a super-block of
// W rows carry over from one K slice to the next. Slices of 512 against 256 and 1024 (in-process A/B,
// 2 threads): 32×25088→4096 25.6 / 27.9 / 35 ms, 32×9216→4096 10.2 / 10.1–10.7 / 10.6–11.6 ms; 48, 96 or
// 192 W rows per super-block made no difference.
#include "cpu/linear.h"

#include <algorithm>

#include "core/allocator.h"
#include "core/threadpool.h"
#include "cpu/isa_variants.h"

// Vector types passed by value between always-inline helpers: the ABI note GCC prints is moot.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace convnets::cpu {
namespace {

constexpr int64_t kKBlock = 512;
constexpr int64_t kGroupsPerBlock = 8;  // x-row groups per block: 32 rows on AVX-512
constexpr int64_t kSuperRows = 96;  // a multiple of every tile's RW

typedef float v16 __attribute__((vector_size(64)));
typedef float v8 __attribute__((vector_size(32)));
typedef float v4 __attribute__((vector_size(16)));

// Register tile per ISA: RX·RW accumulators plus RX x vectors and one W vector fit the register file
// (AVX-512: 24 + 4 + 1 of 32 zmm; AVX2 and SSE: 9 + 3 + 1 of 16) with few loads per FMA (10 per 24).
template <class Vec, int Rx, int Rw>
struct Tile {
  using V = Vec;
  static constexpr int kLanes = int(sizeof(Vec) / sizeof(float)), kRx = Rx, kRw = Rw;
};
typedef Tile<v16, 4, 6> TileAvx512;
typedef Tile<v8, 3, 3> TileAvx2;
typedef Tile<v4, 3, 3> TileGeneric;

// Output features go to the pool in groups of kGroup (a multiple of every tile's RW).
constexpr int64_t kGroup = 12;

template <class V>
CN_ALWAYS_INLINE V loadVec(const float* p) {
  V v;
  __builtin_memcpy(&v, p, sizeof(V));
  return v;
}

// Sum of a vector's lanes as a tree of half-width adds (a lane-by-lane chain was 16 dependent adds per
// output: as long as the whole dot product of K = 1024).
CN_ALWAYS_INLINE float sumLanes(v4 v) { return (v[0] + v[2]) + (v[1] + v[3]); }
CN_ALWAYS_INLINE float sumLanes(v8 v) {
  return sumLanes(v4(__builtin_shufflevector(v, v, 0, 1, 2, 3) + __builtin_shufflevector(v, v, 4, 5, 6, 7)));
}
CN_ALWAYS_INLINE float sumLanes(v16 v) {
  return sumLanes(v8(__builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
                     __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15)));
}

// One register tile: part[r·kRw + c] (+)= Σ over k in [0, kv) of x row r × W row c, lane by lane, for
// the RH rows of one packed x group (xg: vector k of row r at xg[k·RH + r·lanes]) and RW rows of W (row
// stride `in`); kv is a multiple of the lanes, `first` starts the sums from zero. Meanwhile it prefetches
// `npf` rows (stride `in`) of the W slice that comes next, one line per step: W streams from memory in
// slices of a few KB per row, too short for the hardware prefetcher to ramp up on (32×9216→4096, 2
// threads: 11.3 → 10.4 ms).
template <class T, int RH, int RW>
CN_ALWAYS_INLINE void dotTile(const float* xg, const float* w, int64_t in, int64_t kv, bool first,
                              typename T::V* part, const float* pf, int npf) {
  using V = typename T::V;
  constexpr int L = T::kLanes;
  V acc[RH][RW];
#pragma GCC unroll 8
  for (int r = 0; r < RH; ++r)
#pragma GCC unroll 8
    for (int c = 0; c < RW; ++c) acc[r][c] = first ? V{} : part[r * T::kRw + c];
  for (int64_t k = 0; k < kv; k += L) {
    for (int p = 0; p < npf; ++p) __builtin_prefetch(pf + p * in + k, 0, 3);
    V xv[RH];
#pragma GCC unroll 8
    for (int r = 0; r < RH; ++r) xv[r] = loadVec<V>(xg + k * RH + r * L);
#pragma GCC unroll 8
    for (int c = 0; c < RW; ++c) {
      const V wv = loadVec<V>(w + c * in + k);
#pragma GCC unroll 8
      for (int r = 0; r < RH; ++r) acc[r][c] += xv[r] * wv;
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < RH; ++r)
#pragma GCC unroll 8
    for (int c = 0; c < RW; ++c) part[r * T::kRw + c] = acc[r][c];
}

// Tiles of fewer W rows (the end of a range) or x rows (fewer rows than the tile in all): each shape
// instantiated once.
template <class T, int RH, int RW>
CN_ALWAYS_INLINE void dotTileRows(int rh, const float* xg, const float* w, int64_t in, int64_t kv, bool first,
                                  typename T::V* part, const float* pf, int npf) {
  if (rh >= RH) return dotTile<T, RH, RW>(xg, w, in, kv, first, part, pf, npf);
  if constexpr (RH > 1) dotTileRows<T, RH - 1, RW>(rh, xg, w, in, kv, first, part, pf, npf);
}
template <class T, int RW>
CN_ALWAYS_INLINE void dotTileAny(int rh, int rw, const float* xg, const float* w, int64_t in, int64_t kv, bool first,
                                 typename T::V* part, const float* pf, int npf) {
  if (rw >= RW) return dotTileRows<T, T::kRx, RW>(rh, xg, w, in, kv, first, part, pf, npf);
  if constexpr (RW > 1) dotTileAny<T, RW - 1>(rh, rw, xg, w, in, kv, first, part, pf, npf);
}

// Rows of x per packed group: the tile's, or all of them when there are fewer (batch 1 must not pay for
// four rows).
template <class T>
CN_ALWAYS_INLINE int64_t groupRows(int64_t rows) { return std::min<int64_t>(T::kRx, rows); }

// x rows packed in groups of GH = groupRows rows, vector by vector: a tile reads one contiguous stream
// instead of GH rows `in` floats apart. Rows past `rows` (in the last group) are zero.
template <class T>
CN_ALWAYS_INLINE void packXBody(const float* x, int64_t rows, int64_t in, int64_t g0, int64_t g1, float* xp) {
  constexpr int L = T::kLanes;
  const int64_t gh = groupRows<T>(rows), kvAll = in / L * L;
  for (int64_t g = g0; g < g1; ++g)
    for (int64_t r = 0; r < gh; ++r) {
      const int64_t row = g * gh + r;
      float* dst = xp + g * kvAll * gh + r * L;
      for (int64_t k = 0; k < kvAll; k += L) {
        if (row < rows) __builtin_memcpy(dst + k * gh, x + row * in + k, L * sizeof(float));
        else __builtin_memset(dst + k * gh, 0, L * sizeof(float));
      }
    }
}

// Output features [j0, j1) for every x row, in super-blocks of kSuperRows W rows: for each K slice the
// block of packed x (up to 8 groups: 32 rows × kKBlock floats on AVX-512) stays in L2 while the
// super-block's W rows stream past it, each tile's W rows from L1. `part` holds the super-block's vector
// partial sums (RW · rowBlock per tile column).
template <class T>
CN_ALWAYS_INLINE void linearRangeBody(const float* x, const float* xp, const float* w, const float* bias, bool relu,
                                      int64_t rows, int64_t in, int64_t out, int64_t j0, int64_t j1, float* y,
                                      float* partBuf) {
  using V = typename T::V;
  constexpr int RW = T::kRw, L = T::kLanes;
  const int64_t gh = groupRows<T>(rows), rowBlock = gh * kGroupsPerBlock;
  V* part = reinterpret_cast<V*>(partBuf);
  const int64_t kvAll = in / L * L;  // the vectorised part of K; the rest is a scalar tail
  for (int64_t jb = j0; jb < j1; jb += kSuperRows) {
    const int64_t je = std::min(j1, jb + kSuperRows);
    for (int64_t n0 = 0; n0 < rows; n0 += rowBlock) {
      const int64_t nb = std::min(rowBlock, rows - n0), tiles = (nb + gh - 1) / gh;
      // Each of the W slice's tiles prefetches pfRows rows of the next slice.
      const int pfRows = int((RW + tiles - 1) / tiles);
      for (int64_t k0 = 0; k0 < kvAll; k0 += kKBlock) {
        const int64_t kv = std::min(kKBlock, kvAll - k0);
        for (int64_t j = jb; j < je; j += RW) {
          const int rw = int(std::min<int64_t>(RW, je - j));
          // The next W slice: the next tile column, else the super-block's first at the next K slice,
          // else the next super-block's first (its slices are as long as this one's).
          const float* next = j + RW < je ? w + (j + RW) * in + k0
                              : k0 + kKBlock < kvAll ? w + jb * in + k0 + kKBlock
                              : je < j1 ? w + je * in : nullptr;
          const int nextRows = int(std::min<int64_t>(RW, j + RW < je ? je - j - RW : k0 + kKBlock < kvAll ? je - jb : j1 - je));
          V* pj = part + (j - jb) * rowBlock;
          for (int64_t t = 0; t < tiles; ++t) {
            const int p0 = int(std::min<int64_t>(nextRows, t * pfRows)), p1 = int(std::min<int64_t>(nextRows, p0 + pfRows));
            dotTileAny<T, RW>(int(gh), rw, xp + ((n0 + t * gh) * kvAll + k0 * gh), w + j * in + k0, in, kv, k0 == 0,
                              pj + t * gh * RW, next ? next + p0 * in : nullptr, next ? p1 - p0 : 0);
          }
        }
      }
      // Row by row, so that the stores to y and the partial sums read run along memory.
      for (int64_t r = 0; r < nb; ++r) {
        const float* xr = x + (n0 + r) * in;
        float* yr = y + (n0 + r) * out;
        for (int64_t j = jb; j < je; ++j) {
          const float* wj = w + j * in;
          float s = kvAll > 0 ? sumLanes(part[(j - jb) / RW * RW * rowBlock + r * RW + (j - jb) % RW]) : 0.0f;
          for (int64_t k = kvAll; k < in; ++k) s += xr[k] * wj[k];
          if (bias) s += bias[j];
          yr[j] = relu && s < 0.0f ? 0.0f : s;
        }
      }
    }
  }
}

CN_ISA_VARIANTS_T(packX, (const float* x, int64_t rows, int64_t in, int64_t g0, int64_t g1, float* xp),
                  (x, rows, in, g0, g1, xp), TileGeneric, TileAvx2, TileAvx512)
CN_ISA_VARIANTS_T(linearRange,
                  (const float* x, const float* xp, const float* w, const float* bias, bool relu, int64_t rows,
                   int64_t in, int64_t out, int64_t j0, int64_t j1, float* y, float* part),
                  (x, xp, w, bias, relu, rows, in, out, j0, j1, y, part), TileGeneric, TileAvx2, TileAvx512)

}  // namespace

void linear(Isa isa, const float* x, const float* w, const float* bias, bool relu, int64_t rows, int64_t in,
            int64_t out, float* y) {
  if (rows <= 0 || out <= 0) return;
  const bool avx512 = isa == Isa::Avx512, avx2 = isa == Isa::Avx2;
  auto pack = avx512 ? packXAvx512 : avx2 ? packXAvx2 : packXGeneric;
  auto fn = avx512 ? linearRangeAvx512 : avx2 ? linearRangeAvx2 : linearRangeGeneric;
  const int64_t gh = std::min<int64_t>(rows, avx512 ? TileAvx512::kRx : avx2 ? TileAvx2::kRx : TileGeneric::kRx);
  const int lanes = avx512 ? TileAvx512::kLanes : avx2 ? TileAvx2::kLanes : TileGeneric::kLanes;
  const int64_t xGroups = (rows + gh - 1) / gh, kvAll = in / lanes * lanes;
  CpuBuffer xp(size_t(xGroups * gh * kvAll) * sizeof(float));
  parallelFor(xGroups, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, gh * in)),
              [&](int64_t g0, int64_t g1) { pack(x, rows, in, g0, g1, xp.as()); });
  // Groups of kGroup features, ~256 K multiply-adds per chunk at least: enough to hide the region's
  // overhead, small enough to balance the threads (the pool hands out chunks dynamically).
  const int64_t groups = (out + kGroup - 1) / kGroup;
  const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 18) / std::max<int64_t>(1, kGroup * in * rows));
  parallelFor(groups, grain, [&](int64_t g0, int64_t g1) {
    CpuBuffer part(size_t(kSuperRows * gh * kGroupsPerBlock) * 64);  // a 64-byte vector per (W row, x row)
    fn(x, xp.as(), w, bias, relu, rows, in, out, g0 * kGroup, std::min(out, g1 * kGroup), y, part.as());
  });
}

}  // namespace convnets::cpu
