// SGEMM: C = op(A) · op(B) (+ bias) (ReLU), fp32, row-major, batched (kernels.h).
//
// Tiled kernel (the classic CUDA SGEMM design): a block of 256 threads computes a 128×128 tile of C,
// stepping through K 8 at a time. Each step loads a 128×8 panel of op(A) and an 8×128 panel of op(B)
// into shared memory, stored k-major (As[k][m], Bs[k][n]) so the inner loop reads contiguous float4s.
// Each thread owns an 8×8 block of C held in registers: rows {ty*4..+3, 64+ty*4..+3} and columns
// {tx*4..+3, 64+tx*4..+3}; splitting its 8 rows/columns into two halves 64 apart makes a quarter-warp's
// float4 reads of Bs cover 128 contiguous bytes (no bank conflicts), while As reads are broadcasts.
// Shared memory is double-buffered: the next panel is fetched from global memory into registers while
// the current one is multiplied, then stored to the other buffer, so one __syncthreads per step.
// Rows of the shared panels are padded to 132 floats so the transposing stores (A row-major, B
// transposed) hit different banks. Global loads are float4 where the pointer, leading dimension and
// batch stride are multiples of 4 floats and the 4 values lie inside the matrix; otherwise scalar with
// bounds checks (zeros outside), so any M, N, K and leading dims work.
//
// Split K: when the tiles of C (times the batch) are too few to fill the GPU — a fully connected layer
// on a small batch (64×4096 → 1000: 8 tiles), or a late conv layer on one image (512×49 output: 4
// tiles) — K is cut into S slices of whole 8-deep steps. Grid y is the slice; each block writes its raw
// partial tile to a workspace from the device's pool, and a second kernel sums the S partials in a fixed
// order (the result does not depend on timing) and applies bias and ReLU.
//
// Small M (≤ 8 rows, e.g. a classifier on one image) would leave a 128-row tile almost empty and the
// GPU idle; that case is a matrix-vector product bounded by reading B, done by sgemmSmallM instead.
#include <mutex>
#include <vector>

#include "core/cuda_api.h"
#include "cuda/check.h"
#include "cuda/kernels.h"
#include "cuda/launch.cuh"

namespace convnets::cuda {
namespace {

constexpr int BM = 128, BN = 128, BK = 8;
constexpr int LDS = BM + 4;  // padded shared row
constexpr int kGemmThreads = 256;

struct Args {
  int64_t M, N, K;
  const float* A;
  int64_t lda, strideA;
  const float* B;
  int64_t ldb, strideB;
  float* C;
  int64_t ldc, strideC;
  const float* bias;
  int biasMode;  // 0 none, 1 per row, 2 per column
  bool relu;
  int64_t tilesN;
  int64_t batchOffset;
  int64_t kChunk;    // K per slice (grid y): K when not split, else a multiple of BK
  bool partial;      // split K: store raw sums at C + slice·sliceStride, no bias or ReLU
  int64_t sliceStride;
};

__device__ __forceinline__ float epilogue(const Args& a, float v, int64_t m, int64_t n) {
  if (a.biasMode == 1) v += a.bias[m];
  else if (a.biasMode == 2) v += a.bias[n];
  return a.relu ? reluf(v) : v;
}

// One panel of op(A) (128 m × 8 k) or op(B) (8 k × 128 n): 1024 values, 4 per thread. "mn" is m for A,
// n for B. The panel's memory layout decides who loads what, so that each thread's 4 values are
// contiguous in memory (one float4):
//  - k-major (A transposed, B not): memory rows are k; thread loads k row tid/32, mn offsets (tid%32)*4..+3;
//  - mn-major (A not transposed, B transposed): memory rows are mn; thread loads row tid/2, k offsets (tid%2)*4..+3.
// Outside the matrix the values are 0 (they then add nothing to C).
template <bool KMajor, bool VEC>
__device__ __forceinline__ void loadPanel(const float* X, int64_t ld, int64_t MN, int64_t K, int64_t mn0, int64_t k0,
                                          int tid, float r[4]) {
  const int64_t row = KMajor ? k0 + (tid >> 5) : mn0 + (tid >> 1);
  const int64_t col = KMajor ? mn0 + (tid & 31) * 4 : k0 + (tid & 1) * 4;
  const int64_t rows = KMajor ? K : MN, cols = KMajor ? MN : K;
  const float* p = X + row * ld + col;
  if (VEC && row < rows && col + 3 < cols) {
    float4 v = *reinterpret_cast<const float4*>(p);
    r[0] = v.x; r[1] = v.y; r[2] = v.z; r[3] = v.w;
  } else {
#pragma unroll
    for (int i = 0; i < 4; ++i) r[i] = (row < rows && col + i < cols) ? p[i] : 0.0f;
  }
}

// Stores the values of loadPanel into the shared panel Xs[k][mn]: one float4 (k-major) or 4 scalars
// (mn-major, the transposing store).
template <bool KMajor>
__device__ __forceinline__ void storePanel(float (*Xs)[LDS], int tid, const float r[4]) {
  if (KMajor) {
    *reinterpret_cast<float4*>(&Xs[tid >> 5][(tid & 31) * 4]) = make_float4(r[0], r[1], r[2], r[3]);
  } else {
    const int mn = tid >> 1, k = (tid & 1) * 4;
#pragma unroll
    for (int i = 0; i < 4; ++i) Xs[k + i][mn] = r[i];
  }
}

// VA/VB: float4 global loads allowed for A/B; VC: float4 stores for C.
template <bool TA, bool TB, bool VA, bool VB, bool VC>
__global__ void __launch_bounds__(kGemmThreads) sgemmTiled(Args a) {
  __shared__ __align__(16) float As[2][BK][LDS];
  __shared__ __align__(16) float Bs[2][BK][LDS];

  const int tid = threadIdx.x;
  const int tx = tid & 15, ty = tid >> 4;
  const int64_t tile = blockIdx.x;
  const int64_t m0 = (tile / a.tilesN) * BM, n0 = (tile % a.tilesN) * BN;
  const int64_t b = a.batchOffset + blockIdx.z;
  const float* A = a.A + b * a.strideA;
  const float* B = a.B + b * a.strideB;
  float* C = a.C + b * a.strideC + blockIdx.y * a.sliceStride;
  // This block's slice of K: panels past kEnd load as zeros, like those past K.
  const int64_t kBegin = blockIdx.y * a.kChunk;
  const int64_t kEnd = kBegin + a.kChunk < a.K ? kBegin + a.kChunk : a.K;

  float acc[8][8];
#pragma unroll
  for (int i = 0; i < 8; ++i)
#pragma unroll
    for (int j = 0; j < 8; ++j) acc[i][j] = 0.0f;

  const int64_t kTiles = (kEnd - kBegin + BK - 1) / BK;
  if (kTiles > 0) {
    float ra[4], rb[4];
    loadPanel<TA, VA>(A, a.lda, a.M, kEnd, m0, kBegin, tid, ra);
    loadPanel<!TB, VB>(B, a.ldb, a.N, kEnd, n0, kBegin, tid, rb);
    storePanel<TA>(As[0], tid, ra);
    storePanel<!TB>(Bs[0], tid, rb);
    __syncthreads();
    int buf = 0;
    for (int64_t t = 0; t < kTiles; ++t) {
      const bool more = t + 1 < kTiles;
      if (more) {  // fetch the next panel while this one is multiplied
        loadPanel<TA, VA>(A, a.lda, a.M, kEnd, m0, kBegin + (t + 1) * BK, tid, ra);
        loadPanel<!TB, VB>(B, a.ldb, a.N, kEnd, n0, kBegin + (t + 1) * BK, tid, rb);
      }
#pragma unroll
      for (int kk = 0; kk < BK; ++kk) {
        float av[8], bv[8];
        float4 a0 = *reinterpret_cast<const float4*>(&As[buf][kk][ty * 4]);
        float4 a1 = *reinterpret_cast<const float4*>(&As[buf][kk][64 + ty * 4]);
        float4 b0 = *reinterpret_cast<const float4*>(&Bs[buf][kk][tx * 4]);
        float4 b1 = *reinterpret_cast<const float4*>(&Bs[buf][kk][64 + tx * 4]);
        av[0] = a0.x; av[1] = a0.y; av[2] = a0.z; av[3] = a0.w;
        av[4] = a1.x; av[5] = a1.y; av[6] = a1.z; av[7] = a1.w;
        bv[0] = b0.x; bv[1] = b0.y; bv[2] = b0.z; bv[3] = b0.w;
        bv[4] = b1.x; bv[5] = b1.y; bv[6] = b1.z; bv[7] = b1.w;
#pragma unroll
        for (int i = 0; i < 8; ++i)
#pragma unroll
          for (int j = 0; j < 8; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
      }
      if (more) {  // the other buffer was last read before the previous __syncthreads
        storePanel<TA>(As[buf ^ 1], tid, ra);
        storePanel<!TB>(Bs[buf ^ 1], tid, rb);
      }
      __syncthreads();
      buf ^= 1;
    }
  }

  // Epilogue: bias, ReLU, store (float4 when the 4 columns are inside C and aligned).
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    const int64_t m = m0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + (i - 4));
    if (m >= a.M) continue;
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int64_t n = n0 + h * 64 + tx * 4;
      float* p = C + m * a.ldc + n;
      float v[4];
#pragma unroll
      for (int j = 0; j < 4; ++j) v[j] = a.partial ? acc[i][h * 4 + j] : epilogue(a, acc[i][h * 4 + j], m, n + j);
      if (VC && n + 3 < a.N) {
        *reinterpret_cast<float4*>(p) = make_float4(v[0], v[1], v[2], v[3]);
      } else {
#pragma unroll
        for (int j = 0; j < 4; ++j)
          if (n + j < a.N) p[j] = v[j];
      }
    }
  }
}

// Split K, second pass: C[b, m, n] = epilogue(Σ_s ws[s, b, m, n]), the slices summed in order.
__global__ void splitKReduce(Args a, const float* ws, int64_t slices, int64_t total) {
  const int64_t MN = a.M * a.N;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    float v = 0.0f;
    for (int64_t s = 0; s < slices; ++s) v += ws[s * total + i];
    const int64_t b = i / MN, r = i - b * MN, m = r / a.N, n = r - m * a.N;
    a.C[(a.batchOffset + b) * a.strideC + m * a.ldc + n] = epilogue(a, v, m, n);
  }
}

// Small M: one warp per output column n (B transposed: its row n is contiguous along k, so lanes read it
// coalesced) or one thread per column (B not transposed: consecutive threads read consecutive n).
constexpr int kMaxSmallM = 8;

__device__ __forceinline__ float opA(const Args& a, const float* A, bool transA, int64_t m, int64_t k) {
  return transA ? A[k * a.lda + m] : A[m * a.lda + k];
}

// VEC: B's rows and (A not transposed) A's rows are 16-byte aligned, so lanes read float4s: a warp then
// moves 512 contiguous bytes of B per step, and two steps are issued before their FMAs (memory-level
// parallelism: one 128-byte load per warp in flight left an H200 at 1.2 TB/s on VGG's fc6).
template <bool VEC>
__global__ void sgemmSmallMWarp(Args a, bool transA) {
  const int lane = threadIdx.x & 31;
  const int64_t n = int64_t(blockIdx.x) * (blockDim.x / 32) + (threadIdx.x >> 5);
  const int64_t b = a.batchOffset + blockIdx.y;
  if (n >= a.N) return;  // whole warps leave together: no shuffle below misses a lane
  const float* A = a.A + b * a.strideA;
  const float* Brow = a.B + b * a.strideB + n * a.ldb;
  float* C = a.C + b * a.strideC;
  float acc[kMaxSmallM];
#pragma unroll
  for (int m = 0; m < kMaxSmallM; ++m) acc[m] = 0.0f;
  int64_t kTail = 0;
  if (VEC) {
    const int64_t K4 = a.K / 4;
    const float4* B4 = reinterpret_cast<const float4*>(Brow);
    int64_t k4 = lane;
    for (; k4 + 32 < K4; k4 += 64) {
      const float4 u = B4[k4], v = B4[k4 + 32];
#pragma unroll
      for (int m = 0; m < kMaxSmallM; ++m) {
        if (m < a.M) {
          const float4 x = *reinterpret_cast<const float4*>(A + m * a.lda + 4 * k4);
          const float4 y = *reinterpret_cast<const float4*>(A + m * a.lda + 4 * (k4 + 32));
          float s = acc[m];
          s = fmaf(x.x, u.x, s); s = fmaf(x.y, u.y, s); s = fmaf(x.z, u.z, s); s = fmaf(x.w, u.w, s);
          s = fmaf(y.x, v.x, s); s = fmaf(y.y, v.y, s); s = fmaf(y.z, v.z, s); s = fmaf(y.w, v.w, s);
          acc[m] = s;
        }
      }
    }
    for (; k4 < K4; k4 += 32) {
      const float4 u = B4[k4];
#pragma unroll
      for (int m = 0; m < kMaxSmallM; ++m) {
        if (m < a.M) {
          const float4 x = *reinterpret_cast<const float4*>(A + m * a.lda + 4 * k4);
          acc[m] = fmaf(x.w, u.w, fmaf(x.z, u.z, fmaf(x.y, u.y, fmaf(x.x, u.x, acc[m]))));
        }
      }
    }
    kTail = K4 * 4;
  }
  for (int64_t k = kTail + lane; k < a.K; k += 32) {
    float bv = Brow[k];
#pragma unroll
    for (int m = 0; m < kMaxSmallM; ++m)
      if (m < a.M) acc[m] = fmaf(opA(a, A, transA, m, k), bv, acc[m]);
  }
#pragma unroll
  for (int m = 0; m < kMaxSmallM; ++m) {
    float v = acc[m];
    for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
    if (lane == 0 && m < a.M) C[m * a.ldc + n] = epilogue(a, v, m, n);
  }
}

__global__ void sgemmSmallMThread(Args a, bool transA) {
  const int64_t n = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t b = a.batchOffset + blockIdx.y;
  if (n >= a.N) return;
  const float* A = a.A + b * a.strideA;
  const float* B = a.B + b * a.strideB;
  float* C = a.C + b * a.strideC;
  float acc[kMaxSmallM];
#pragma unroll
  for (int m = 0; m < kMaxSmallM; ++m) acc[m] = 0.0f;
  for (int64_t k = 0; k < a.K; ++k) {
    float bv = B[k * a.ldb + n];
#pragma unroll
    for (int m = 0; m < kMaxSmallM; ++m)
      if (m < a.M) acc[m] = fmaf(opA(a, A, transA, m, k), bv, acc[m]);
  }
#pragma unroll
  for (int m = 0; m < kMaxSmallM; ++m)
    if (m < a.M) C[m * a.ldc + n] = epilogue(a, acc[m], m, n);
}

bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

// float4 access to X is safe when X, its leading dimension and its batch stride keep 16-byte alignment.
bool vectorizable(const float* p, int64_t ld, int64_t stride, int64_t batch) {
  return aligned16(p) && ld % 4 == 0 && (batch == 1 || stride % 4 == 0);
}

template <bool TA, bool TB>
void launchTiled(const Args& a, dim3 grid, cudaStream_t s, bool va, bool vb, bool vc) {
  // 8 variants per transpose pair: every combination of float4/scalar for A, B and C.
  const int key = (va ? 4 : 0) | (vb ? 2 : 0) | (vc ? 1 : 0);
  switch (key) {
    case 0: sgemmTiled<TA, TB, false, false, false><<<grid, kGemmThreads, 0, s>>>(a); break;
    case 1: sgemmTiled<TA, TB, false, false, true><<<grid, kGemmThreads, 0, s>>>(a); break;
    case 2: sgemmTiled<TA, TB, false, true, false><<<grid, kGemmThreads, 0, s>>>(a); break;
    case 3: sgemmTiled<TA, TB, false, true, true><<<grid, kGemmThreads, 0, s>>>(a); break;
    case 4: sgemmTiled<TA, TB, true, false, false><<<grid, kGemmThreads, 0, s>>>(a); break;
    case 5: sgemmTiled<TA, TB, true, false, true><<<grid, kGemmThreads, 0, s>>>(a); break;
    case 6: sgemmTiled<TA, TB, true, true, false><<<grid, kGemmThreads, 0, s>>>(a); break;
    default: sgemmTiled<TA, TB, true, true, true><<<grid, kGemmThreads, 0, s>>>(a); break;
  }
  CN_CUDA_LAUNCH();
}

// Multiprocessors of the current device, queried once per device (an explicit cache).
int multiProcessors() {
  static std::mutex mu;
  static std::vector<int> count;
  int device = 0;
  CN_CUDA(cudaGetDevice(&device));
  std::lock_guard<std::mutex> lock(mu);
  if (size_t(device) >= count.size()) count.resize(size_t(device) + 1, 0);
  if (!count[size_t(device)]) CN_CUDA(cudaDeviceGetAttribute(&count[size_t(device)], cudaDevAttrMultiProcessorCount, device));
  return count[size_t(device)];
}

// K slices for a tiled product of `tiles` tiles per batch item: 1 (no split) unless the blocks fill less
// than the GPU's multiprocessors once; then enough slices for about two blocks per multiprocessor, each
// slice at least kMinSliceK deep (shorter ones spend more on the partial tile's store and reload than
// they save), and the partials at most kMaxSplitFloats.
constexpr int64_t kMinSliceK = 256;
constexpr int64_t kMaxSplitFloats = int64_t(16) << 20;
int64_t splitKSlices(int64_t tiles, const Gemm& g) {
  const int64_t blocks = tiles * g.batch, sms = multiProcessors();
  if (blocks >= sms || g.K < 2 * kMinSliceK || g.batch > kMaxGridYZ) return 1;
  int64_t slices = (2 * sms + blocks - 1) / blocks;
  if (slices > g.K / kMinSliceK) slices = g.K / kMinSliceK;
  const int64_t fit = kMaxSplitFloats / (g.batch * g.M * g.N);
  return slices < fit ? slices : fit < 1 ? 1 : fit;
}

// Device memory from the pool for the duration of a launch sequence, handed back when it goes out of
// scope. Safe because every kernel of the library runs on its device's one stream (stream.h): whoever
// gets the block next queues behind the kernels that use it here.
struct PooledBuffer {
  explicit PooledBuffer(size_t n) : bytes(n) {
    CN_CUDA(cudaGetDevice(&device));
    data = static_cast<float*>(cudart::deviceAllocate(bytes, device));
  }
  ~PooledBuffer() { cudart::deviceFree(data, bytes, device); }
  PooledBuffer(const PooledBuffer&) = delete;
  PooledBuffer& operator=(const PooledBuffer&) = delete;
  size_t bytes;
  int device = 0;
  float* data = nullptr;
};

}  // namespace

void sgemm(const Gemm& g, cudaStream_t s) {
  CN_CHECK(g.M >= 0 && g.N >= 0 && g.K >= 0 && g.batch >= 0, "sgemm: negative size");
  if (g.M == 0 || g.N == 0 || g.batch == 0) return;
  CN_CHECK(g.biasMode == Bias::None || g.bias, "sgemm: bias mode set without a bias");
  Args a{g.M, g.N, g.K, g.A, g.lda, g.strideA, g.B, g.ldb, g.strideB, g.C, g.ldc, g.strideC,
         g.bias, g.biasMode == Bias::PerRow ? 1 : g.biasMode == Bias::PerCol ? 2 : 0, g.relu, 0, 0};

  if (g.M <= kMaxSmallM) {
    // float4 rows: B transposed with aligned rows; A not transposed with aligned rows.
    const bool vec = g.transB && !g.transA && vectorizable(g.B, g.ldb, g.strideB, g.batch) &&
                     vectorizable(g.A, g.lda, g.strideA, g.batch);
    CN_CHECK(g.N / 8 < (int64_t(1) << 31) - 1, "sgemm: N = ", g.N, " is too large for one launch");
    for (int64_t b0 = 0; b0 < g.batch; b0 += kMaxGridYZ) {
      a.batchOffset = b0;
      unsigned chunk = unsigned(g.batch - b0 < kMaxGridYZ ? g.batch - b0 : kMaxGridYZ);
      if (g.transB) {
        const int warps = kThreads / 32;
        dim3 grid(unsigned((g.N + warps - 1) / warps), chunk);
        if (vec) sgemmSmallMWarp<true><<<grid, kThreads, 0, s>>>(a, g.transA);
        else sgemmSmallMWarp<false><<<grid, kThreads, 0, s>>>(a, g.transA);
      } else {
        dim3 grid(unsigned((g.N + kThreads - 1) / kThreads), chunk);
        sgemmSmallMThread<<<grid, kThreads, 0, s>>>(a, g.transA);
      }
      CN_CUDA_LAUNCH();
    }
    return;
  }

  const int64_t tilesM = (g.M + BM - 1) / BM, tilesN = (g.N + BN - 1) / BN;
  CN_CHECK(tilesM <= ((int64_t(1) << 31) - 1) / tilesN, "sgemm: ", g.M, "x", g.N, " is too large for one launch");
  a.tilesN = tilesN;
  a.kChunk = g.K;
  const bool va = vectorizable(g.A, g.lda, g.strideA, g.batch);
  const bool vb = vectorizable(g.B, g.ldb, g.strideB, g.batch);
  auto launch = [&](const Args& args, dim3 grid, bool vc) {
    if (!g.transA && !g.transB) launchTiled<false, false>(args, grid, s, va, vb, vc);
    else if (!g.transA && g.transB) launchTiled<false, true>(args, grid, s, va, vb, vc);
    else if (g.transA && !g.transB) launchTiled<true, false>(args, grid, s, va, vb, vc);
    else launchTiled<true, true>(args, grid, s, va, vb, vc);
  };

  const int64_t slices = splitKSlices(tilesM * tilesN, g);
  if (slices > 1) {
    a.kChunk = ((g.K + slices - 1) / slices + BK - 1) / BK * BK;
    const int64_t used = (g.K + a.kChunk - 1) / a.kChunk;  // rounding kChunk up can leave fewer slices
    const int64_t total = g.batch * g.M * g.N;
    PooledBuffer ws(size_t(used * total) * sizeof(float));
    Args part = a;
    part.C = ws.data;
    part.ldc = g.N;
    part.strideC = g.M * g.N;
    part.sliceStride = total;
    part.partial = true;
    launch(part, dim3(unsigned(tilesM * tilesN), unsigned(used), unsigned(g.batch)),
           vectorizable(ws.data, g.N, g.M * g.N, g.batch));
    splitKReduce<<<gridFor(total), kThreads, 0, s>>>(a, ws.data, used, total);
    CN_CUDA_LAUNCH();
    return;  // ws goes back to the pool: later work on this stream runs after these kernels
  }
  const bool vc = vectorizable(g.C, g.ldc, g.strideC, g.batch);
  for (int64_t b0 = 0; b0 < g.batch; b0 += kMaxGridYZ) {
    a.batchOffset = b0;
    launch(a, dim3(unsigned(tilesM * tilesN), 1, unsigned(g.batch - b0 < kMaxGridYZ ? g.batch - b0 : kMaxGridYZ)), vc);
  }
}

}  // namespace convnets::cuda
