// The tensor-core GEMM main loop shared by conv_implicit_gemm_tc.cu and gemm_tc.cu, CUTLASS-style in
// three named parts:
//   - a tile shape (TcTile: threadblock BM×BN, k-tiles of 128 bytes per row — 32 TF32 or 64 BF16/FP16
//     elements —, a grid of WM×WN warps, each warp (BM/WM)×(BN/WN) made of m16n8 mma tiles of precision P);
//   - two operand loaders that own the addressing: A (BM rows) and B (BN rows), each turning a k-tile into
//     registers (load) and then into shared memory (store): k-contiguous rows of P::Store, 144 bytes apart
//     (128 + 16 of padding, so the 8 rows an ldmatrix phase reads start in 8 different 4-bank groups);
//   - an epilogue functor that receives each accumulator with its (m, n) and writes it.
// The loop computes Y[m][n] = Σ_k A[m][k] · B[n][k] over k < depth (A and B both k-contiguous): fp32
// accumulators, operands rounded to P when the loaders store them. Fragments come from shared memory by
// ldmatrix (x4: one A 16×k16 tile, or the B fragments of two n8 tiles, per instruction). Pipelining: two
// shared-memory stages; the next k-tile is fetched into registers while the tensor cores work on the
// current stage, then stored into the other stage: one barrier per k-tile.
#pragma once
#include <cstdint>

#include "cuda/mma.cuh"

namespace convnets::cuda::tc {

// Bytes of one row of a k-tile in shared memory (without padding) and the row stride.
constexpr int kTileRowBytes = 128;
constexpr int kRowWords = (kTileRowBytes + 16) / 4;

template <class P, int BM_, int BN_, int WM_, int WN_>
struct TcTile {
  static constexpr int BM = BM_, BN = BN_, WM = WM_, WN = WN_;
  static constexpr int BK = kTileRowBytes / int(sizeof(typename P::Store));  // k per tile: 32 or 64
  static constexpr int kThreads = WM * WN * 32;
  static constexpr int WTM = BM / WM, WTN = BN / WN;  // one warp's tile
  static constexpr int MT = WTM / 16, NT = WTN / 8;   // its mma tiles
  // Shared memory: two stages of A (BM rows) and B (BN rows).
  static constexpr int kStageWords = (BM + BN) * kRowWords;
  static constexpr int kSmemBytes = 2 * kStageWords * 4;
  static_assert(WTM % 16 == 0 && WTN % 16 == 0, "warp tile must be whole mma tiles, n in pairs");
};

// The k a mma.sync consumes is 32 bytes of a row for every precision (8 TF32, 16 BF16/FP16).
constexpr int kMmaKBytes = 32;

// Dynamic shared memory (a tile's two stages exceed the 48 KB of static shared memory for 128×128).
#ifdef CONVNETS_CUDA_EMU
inline uint4 emuDynamicSmem[16384];  // 256 KB; the emulator runs one block at a time
#define TC_DYNAMIC_SMEM(name) uint32_t* name = reinterpret_cast<uint32_t*>(::convnets::cuda::tc::emuDynamicSmem)
#else
#define TC_DYNAMIC_SMEM(name)              \
  extern __shared__ uint4 tcDynamicSmem_[]; \
  uint32_t* name = reinterpret_cast<uint32_t*>(tcDynamicSmem_)
#endif

// ldmatrix.x4: lane l supplies the address of one 16-byte row (rows of matrix i from lanes 8i..8i+7); lane
// T receives, of each matrix i, the 32-bit word T % 4 of row T / 4 in r[i].
#ifdef CONVNETS_CUDA_EMU
inline const uint32_t* emuLdmAddr[32][32];
__device__ __forceinline__ void ldmatrixX4(uint32_t r[4], const uint32_t* rowAddr) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  emuLdmAddr[warp][lane] = rowAddr;
  warpBarriers[warp]->arrive_and_wait();
  for (int i = 0; i < 4; ++i) r[i] = emuLdmAddr[warp][8 * i + lane / 4][lane % 4];
  warpBarriers[warp]->arrive_and_wait();
}
#else
__device__ __forceinline__ void ldmatrixX4(uint32_t r[4], const uint32_t* rowAddr) {
  const unsigned a = unsigned(__cvta_generic_to_shared(rowAddr));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(a));
}
#endif

// A k-tile of packed rows: rows [row0, row0 + ROWS) of a [rows][ld] matrix of P::Store whose rows are
// zero-padded to whole k-tiles (tcPaddedDepth), so every 16-byte chunk is whole and aligned. Rows at or past
// `rows` read as zeros. Thread t copies chunks t, t + threads, …
template <class P, int ROWS, int THREADS>
struct PackedRowsLoader {
  static constexpr int kChunksPerRow = kTileRowBytes / 16;
  static constexpr int kElemsPerChunk = 16 / int(sizeof(typename P::Store));
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
        v = *reinterpret_cast<const uint4*>(base + row * ld + k0 + chunk * kElemsPerChunk);
      regs[i] = v;
    }
  }
  __device__ __forceinline__ void store(uint32_t* smem) const {
#pragma unroll
    for (int i = 0; i < kPerThread; ++i) {
      const int c = int(threadIdx.x) + i * THREADS;
      if (c < kChunks) {
        const int row = c / kChunksPerRow, chunk = c % kChunksPerRow;
        *reinterpret_cast<uint4*>(smem + row * kRowWords + chunk * 4) = regs[i];
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

// The main loop over k-tiles. AL fills the A rows of a stage, BL the B rows; both expose load(k0) and
// store(rows). acc[MT][NT][4] as mma.cuh's C layout. smem: T::kSmemBytes.
template <class T, class P, class AL, class BL>
__device__ __forceinline__ void tcMainLoop(AL& a, BL& b, int64_t depth, uint32_t* smem,
                                           float (&acc)[T::MT][T::NT][4]) {
  const int warp = int(threadIdx.x) >> 5, lane = int(threadIdx.x) & 31;
  const int wm = warp / T::WN, wn = warp % T::WN;
#pragma unroll
  for (int i = 0; i < T::MT; ++i)
#pragma unroll
    for (int j = 0; j < T::NT; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.0f;
  if (depth <= 0) return;
  // ldmatrix row addresses of this lane, relative to a stage: A tile i: row wm·WTM + 16i + lane % 16, 16-byte
  // block lane / 16; B tiles 2j, 2j+1: row wn·WTN + 16j + lane % 8 + 8·(lane / 16), block (lane / 8) % 2.
  const int aRow = wm * T::WTM + (lane & 15), aBlock = lane >> 4;
  const int bRow = T::BM + wn * T::WTN + (lane & 7) + ((lane >> 4) << 3), bBlock = (lane >> 3) & 1;
  a.load(0);
  b.load(0);
  a.store(smem);
  b.store(smem + T::BM * kRowWords);
  __syncthreads();
  int stage = 0;
  for (int64_t k0 = 0; k0 < depth; k0 += T::BK) {
    const bool more = k0 + T::BK < depth;
    if (more) {
      a.load(k0 + T::BK);
      b.load(k0 + T::BK);
    }
    const uint32_t* st = smem + stage * T::kStageWords;
#pragma unroll
    for (int ks = 0; ks < kTileRowBytes / kMmaKBytes; ++ks) {
      uint32_t af[T::MT][4], bf[T::NT][2];
#pragma unroll
      for (int i = 0; i < T::MT; ++i)
        ldmatrixX4(af[i], st + (aRow + 16 * i) * kRowWords + ks * 8 + aBlock * 4);
#pragma unroll
      for (int j = 0; j < T::NT; j += 2) {
        uint32_t r[4];
        ldmatrixX4(r, st + (bRow + 8 * j) * kRowWords + ks * 8 + bBlock * 4);
        bf[j][0] = r[0];
        bf[j][1] = r[1];
        bf[j + 1][0] = r[2];
        bf[j + 1][1] = r[3];
      }
#pragma unroll
      for (int i = 0; i < T::MT; ++i)
#pragma unroll
        for (int j = 0; j < T::NT; ++j) P::mma(acc[i][j], af[i], bf[j]);
    }
    if (more) {
      uint32_t* next = smem + (stage ^ 1) * T::kStageWords;
      a.store(next);
      b.store(next + T::BM * kRowWords);
    }
    __syncthreads();
    stage ^= 1;
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
