// The tensor-core GEMM main loop shared by conv_implicit_gemm_tc.cu and gemm_tc.cu, CUTLASS-style in
// three named parts:
//   - a tile shape (TcTile: threadblock BM×BN×32, a grid of WM×WN warps, each warp (BM/WM)×(BN/WN) made
//     of m16n8 mma tiles of precision P, mma.cuh);
//   - two operand loaders that own the addressing: A (BM rows × 32 k) and B (BN columns × 32 k), each
//     turning a k-tile into registers (load) and then into shared memory (store), k-contiguous rows of
//     P::Store with 16 bytes of padding (row strides of 20 or 36 words: the fragment reads of a warp —
//     8 rows × 4 consecutive words — hit 32 different banks);
//   - an epilogue functor that receives each accumulator with its (m, n) and writes it.
// The loop computes Y[m][n] = Σ_k A[m][k] · B[n][k] over k < depth (A and B both k-contiguous): fp32
// accumulators, operands rounded to P when they are stored in shared memory. Pipelining: the next
// k-tile is fetched into registers while the tensor cores work on the current one (one shared buffer,
// two barriers per tile).
#pragma once
#include <cstdint>

#include "cuda/mma.cuh"

namespace convnets::cuda::tc {

template <class P, int BM_, int BN_, int WM_, int WN_>
struct TcTile {
  static constexpr int BM = BM_, BN = BN_, WM = WM_, WN = WN_, BK = 32;
  static constexpr int kThreads = WM * WN * 32;
  static constexpr int WTM = BM / WM, WTN = BN / WN;  // one warp's tile
  static constexpr int MT = WTM / 16, NT = WTN / 8;   // its mma tiles
  // Row stride in 32-bit words: 32 elements + 16 bytes of padding.
  static constexpr int kRowWords = (BK * int(sizeof(typename P::Store)) + 16) / 4;
  static constexpr int kRowChunks = BK * int(sizeof(typename P::Store)) / 16;  // uint4 per row of a k-tile
  static_assert(WTM % 16 == 0 && WTN % 8 == 0, "warp tile must be whole mma tiles");
};

// A k-tile of packed rows: rows [row0, row0 + ROWS) of a [rows][ld] matrix of P::Store whose ld is a
// multiple of 32 (zero-padded past depth), so every 16-byte chunk is whole and aligned. Rows at or past
// `rows` read as zeros. Thread t copies chunks t, t + threads, …
template <class P, int ROWS, int THREADS>
struct PackedRowsLoader {
  static constexpr int kChunksPerRow = 32 * int(sizeof(typename P::Store)) / 16;
  static constexpr int kChunks = ROWS * kChunksPerRow;
  static constexpr int kPerThread = (kChunks + THREADS - 1) / THREADS;
  const typename P::Store* base;  // row row0, k 0
  int64_t ld, rowsLeft;           // rowsLeft = rows - row0
  uint4 regs[kPerThread];

  __device__ __forceinline__ void load(int64_t k0) {
#pragma unroll
    for (int i = 0; i < kPerThread; ++i) {
      const int c = int(threadIdx.x) + i * THREADS;
      const int row = c / kChunksPerRow, chunk = c % kChunksPerRow;
      uint4 v = make_uint4(0, 0, 0, 0);
      if (c < kChunks && row < rowsLeft)
        v = *reinterpret_cast<const uint4*>(base + row * ld + k0 + chunk * (16 / int(sizeof(typename P::Store))));
      regs[i] = v;
    }
  }
  template <int ROW_WORDS>
  __device__ __forceinline__ void store(uint32_t* smem) const {
#pragma unroll
    for (int i = 0; i < kPerThread; ++i) {
      const int c = int(threadIdx.x) + i * THREADS;
      if (c < kChunks) {
        const int row = c / kChunksPerRow, chunk = c % kChunksPerRow;
        *reinterpret_cast<uint4*>(smem + row * ROW_WORDS + chunk * 4) = regs[i];
      }
    }
  }
};

// Packs KPT fp32 values (k-consecutive) into 32-bit words of P::Store and writes them as uint4s.
template <class P, int KPT>
__device__ __forceinline__ void storeRounded(uint32_t* dst, const float (&v)[KPT]) {
  constexpr int kWords = KPT * int(sizeof(typename P::Store)) / 4;
  uint32_t w[kWords];
  if constexpr (sizeof(typename P::Store) == 4) {
#pragma unroll
    for (int i = 0; i < KPT; ++i) w[i] = P::round(v[i]);
  } else {
#pragma unroll
    for (int i = 0; i < kWords; ++i) w[i] = uint32_t(P::round(v[2 * i])) | (uint32_t(P::round(v[2 * i + 1])) << 16);
  }
#pragma unroll
  for (int i = 0; i < kWords; i += 4)
    *reinterpret_cast<uint4*>(dst + i) = make_uint4(w[i], w[i + 1], w[i + 2], w[i + 3]);
}

// The main loop over k-tiles. AL fills As (BM rows), BL fills Bs (BN rows); both expose
// load(k0) / store<ROW_WORDS>(smem). acc[MT][NT][4] as mma.cuh's C layout.
template <class T, class P, class AL, class BL>
__device__ __forceinline__ void tcMainLoop(AL& a, BL& b, int64_t depth, uint32_t* As, uint32_t* Bs,
                                           float (&acc)[T::MT][T::NT][4]) {
  const int warp = int(threadIdx.x) >> 5, lane = int(threadIdx.x) & 31, gid = lane >> 2, tig = lane & 3;
  const int wm = warp / T::WN, wn = warp % T::WN;
#pragma unroll
  for (int i = 0; i < T::MT; ++i)
#pragma unroll
    for (int j = 0; j < T::NT; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.0f;
  if (depth <= 0) return;
  a.load(0);
  b.load(0);
  a.template store<T::kRowWords>(As);
  b.template store<T::kRowWords>(Bs);
  __syncthreads();
  constexpr int kWordsPerK = P::kK / P::kPerWord;  // words one mma consumes along k (4 TF32 words... 8 halves)
  for (int64_t k0 = 0; k0 < depth; k0 += T::BK) {
    const bool more = k0 + T::BK < depth;
    if (more) {
      a.load(k0 + T::BK);
      b.load(k0 + T::BK);
    }
#pragma unroll
    for (int ks = 0; ks < T::BK / P::kK; ++ks) {
      const int w0 = ks * kWordsPerK + tig;
      uint32_t af[T::MT][4], bf[T::NT][2];
#pragma unroll
      for (int i = 0; i < T::MT; ++i) {
        const uint32_t* r0 = As + (wm * T::WTM + i * 16 + gid) * T::kRowWords;
        const uint32_t* r1 = r0 + 8 * T::kRowWords;
        af[i][0] = r0[w0];
        af[i][1] = r1[w0];
        af[i][2] = r0[w0 + 4];
        af[i][3] = r1[w0 + 4];
      }
#pragma unroll
      for (int j = 0; j < T::NT; ++j) {
        const uint32_t* r = Bs + (wn * T::WTN + j * 8 + gid) * T::kRowWords;
        bf[j][0] = r[w0];
        bf[j][1] = r[w0 + 4];
      }
#pragma unroll
      for (int i = 0; i < T::MT; ++i)
#pragma unroll
        for (int j = 0; j < T::NT; ++j) P::mma(acc[i][j], af[i], bf[j]);
    }
    __syncthreads();
    if (more) {
      a.template store<T::kRowWords>(As);
      b.template store<T::kRowWords>(Bs);
      __syncthreads();
    }
  }
}

// Calls epi(m, n, value) for every accumulator of this thread, m and n relative to the block's tile.
template <class T, class Epi>
__device__ __forceinline__ void tcForEachAcc(const float (&acc)[T::MT][T::NT][4], Epi&& epi) {
  const int warp = int(threadIdx.x) >> 5, lane = int(threadIdx.x) & 31, gid = lane >> 2, tig = lane & 3;
  const int wm = warp / T::WN, wn = warp % T::WN;
#pragma unroll
  for (int i = 0; i < T::MT; ++i)
#pragma unroll
    for (int j = 0; j < T::NT; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int m = wm * T::WTM + i * 16 + gid + (e >= 2 ? 8 : 0);
        const int n = wn * T::WTN + j * 8 + 2 * tig + (e & 1);
        epi(m, n, acc[i][j][e]);
      }
}

}  // namespace convnets::cuda::tc
