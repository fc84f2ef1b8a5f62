// GEMM on tensor cores (conv_kernels.h; TF32 / BF16 / FP16, fp32 accumulation) for linear and matmul,
// and the packing both tensor-core algorithms share:
//   tcPackRows: dst[b][r][k] = round_P(src[b·bs + r·rs + k·ks]), rows zero-padded to a multiple of 32 —
//     weights once per layer (linear, conv: [K][Cg·R·S]), activations per call (linear's x, matmul's a
//     as rows and b transposed);
//   gemmTc: C[b][m·sm + n·sn] = relu?(bias[m] + Σ_k A[b][m][k] · B[b][n][k]) with A and B packed: the
//     main loop of tc_mainloop.cuh with PackedRowsLoader on both sides, 64×64 tiles (linear and matmul
//     here are thin: N is the batch), k split when the blocks are fewer than the SMs (AlexNet's and VGG's
//     classifiers: 4096×9216 at batch 1-32), the partial sums added in split order by tcGemmReduce.
#include "cuda/check.h"
#include "cuda/conv_kernels.h"
#include "cuda/launch.cuh"
#include "cuda/tc_mainloop.cuh"

namespace convnets::cuda {
namespace {

using tc::TcTile;
using tc::tcPrecisionOf;

// dst[b][r][k] = round(src[b·bs + r·rs + k·ks]) for k < cols, 0 up to ld (whole k-tiles).
template <class P>
__global__ void tcPackRowsKernel(const float* __restrict__ src, TcPack pk, typename P::Store* __restrict__ dst,
                                 int64_t ld) {
  const int64_t perBatch = pk.rows * ld, total = pk.batch * perBatch;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t b = i / perBatch, rk = i - b * perBatch, r = rk / ld, k = rk - r * ld;
    dst[i] = P::round(k < pk.cols ? src[b * pk.batchStride + r * pk.rowStride + k * pk.colStride] : 0.0f);
  }
}

// One block: the (m, n) tile of batch item blockIdx.z over k-tiles [kBegin, kEnd) of split blockIdx.y / mTiles.
template <class P, class T>
__global__ void __launch_bounds__(T::kThreads)
    gemmTcKernel(const typename P::Store* __restrict__ A, const typename P::Store* __restrict__ B, TcGemm g,
                 int64_t mTiles, int64_t kPerSplit, float* __restrict__ ws) {
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800  // tensor cores: the registry declines older devices
  TC_DYNAMIC_SMEM(smem);
  const int64_t ld = (g.K + T::BK - 1) / T::BK * T::BK, bz = blockIdx.z, split = int64_t(blockIdx.y) / mTiles;
  const int64_t m0 = (int64_t(blockIdx.y) % mTiles) * T::BM, n0 = int64_t(blockIdx.x) * T::BN;
  const int64_t kBegin = split * kPerSplit, kEnd = kBegin + kPerSplit < g.K ? kBegin + kPerSplit : g.K;
  tc::PackedRowsLoader<P, T::BM, T::kThreads> a;
  a.base = A + bz * g.M * ld * (g.broadcastA ? 0 : 1) + m0 * ld + kBegin;
  a.ld = ld;
  a.rowsLeft = g.M - m0;
  tc::PackedRowsLoader<P, T::BN, T::kThreads> b;
  b.base = B + bz * g.N * ld * (g.broadcastB ? 0 : 1) + n0 * ld + kBegin;
  b.ld = ld;
  b.rowsLeft = g.N - n0;
  float acc[T::MT][T::NT][4];
  // Both operands are zero past K in their padding, so a split's last tile needs no masking.
  tc::tcMainLoop<T, P>(a, b, kEnd - kBegin, smem, acc);
  if (ws) {
    float* part = ws + (split * g.batch + bz) * g.M * g.N;
    tc::tcForEachAcc<T>(acc, [&](int mi, int ni, float v) {
      const int64_t m = m0 + mi, n = n0 + ni;
      if (m < g.M && n < g.N) part[m * g.N + n] = v;
    });
    return;
  }
  float* C = g.C + bz * g.strideC;
  tc::tcForEachAcc<T>(acc, [&](int mi, int ni, float v) {
    const int64_t m = m0 + mi, n = n0 + ni;
    if (m >= g.M || n >= g.N) return;
    const float o = v + (g.bias ? g.bias[m] : 0.0f);
    C[m * g.sm + n * g.sn] = g.relu ? reluf(o) : o;
  });
#endif
}

// C[b][m·sm + n·sn] = relu?(bias[m] + Σ_s ws[s][b][m][n]), splits added in order.
__global__ void tcGemmReduce(const float* __restrict__ ws, TcGemm g, int64_t splits) {
  const int64_t per = g.M * g.N, total = g.batch * per;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t b = i / per, mn = i - b * per, m = mn / g.N, n = mn - m * g.N;
    float s = g.bias ? g.bias[m] : 0.0f;
    for (int64_t j = 0; j < splits; ++j) s += ws[j * total + i];
    g.C[b * g.strideC + m * g.sm + n * g.sn] = g.relu ? reluf(s) : s;
  }
}

}  // namespace

namespace {

template <class P>
void packRows(const float* src, const TcPack& pk, void* dst, cudaStream_t s) {
  const int64_t ld = tcPaddedDepth(pk.cols, tcKTile(tcPrecisionOf<P>())), total = pk.batch * pk.rows * ld;
  if (total == 0) return;
  tcPackRowsKernel<P><<<gridFor(total), kThreads, 0, s>>>(src, pk, static_cast<typename P::Store*>(dst), ld);
  CN_CUDA_LAUNCH();
}

template <class P>
void gemmTcT(const void* A, const void* B, const TcGemm& g, float* ws, cudaStream_t s) {
  using T = TcTile<P, 64, 64, 2, 2>;
  const TcSplit sp = tcGemmSplit(g, tcPrecisionOf<P>());
  const int64_t nTiles = (g.N + T::BN - 1) / T::BN, mTiles = (g.M + T::BM - 1) / T::BM;
  CN_CHECK(nTiles <= 0x7fffffff && mTiles * sp.splits <= kMaxGridYZ && g.batch <= kMaxGridYZ,
           "gemm (tensor cores): too large a product (", g.M, "x", g.N, ", batch ", g.batch, ") for one grid");
  const dim3 grid{unsigned(nTiles), unsigned(mTiles * sp.splits), unsigned(g.batch)};
  CN_CUDA(cudaFuncSetAttribute(gemmTcKernel<P, T>, cudaFuncAttributeMaxDynamicSharedMemorySize, T::kSmemBytes));
  gemmTcKernel<P, T><<<grid, T::kThreads, T::kSmemBytes, s>>>(static_cast<const typename P::Store*>(A),
                                                   static_cast<const typename P::Store*>(B), g, mTiles, sp.kPerSplit,
                                                   sp.splits > 1 ? ws : nullptr);
  CN_CUDA_LAUNCH();
  if (sp.splits > 1) {
    tcGemmReduce<<<gridFor(g.batch * g.M * g.N), kThreads, 0, s>>>(ws, g, sp.splits);
    CN_CUDA_LAUNCH();
  }
}

}  // namespace

int64_t tcStoreBytes(Precision prec) { return prec == Precision::Tf32 ? 4 : 2; }
int64_t tcPackedBytes(const TcPack& pk, Precision prec) {
  return pk.batch * pk.rows * tcPaddedDepth(pk.cols, tcKTile(prec)) * tcStoreBytes(prec);
}

TcSplit tcGemmSplit(const TcGemm& g, Precision prec) { return tcSplitFor(g.M, g.N, g.K, g.batch, false, tcKTile(prec)); }

int64_t tcGemmWorkspaceBytes(const TcGemm& g, Precision prec) {
  const TcSplit sp = tcGemmSplit(g, prec);
  return sp.splits > 1 ? sp.splits * g.batch * g.M * g.N * int64_t(sizeof(float)) : 0;
}

void tcPackRows(const float* src, const TcPack& pk, void* dst, Precision prec, cudaStream_t s) {
  switch (prec) {
    case Precision::Tf32: return packRows<tc::Tf32>(src, pk, dst, s);
    case Precision::Bf16: return packRows<tc::Bf16>(src, pk, dst, s);
    case Precision::Fp16: return packRows<tc::Fp16>(src, pk, dst, s);
    case Precision::Fp32: break;
  }
  fail("tensor cores: packing needs precision 'tf32', 'bf16' or 'fp16'");
}

void gemmTc(const void* A, const void* B, const TcGemm& g, Precision prec, float* ws, cudaStream_t s) {
  if (g.M <= 0 || g.N <= 0 || g.batch <= 0) return;
  switch (prec) {
    case Precision::Tf32: return gemmTcT<tc::Tf32>(A, B, g, ws, s);
    case Precision::Bf16: return gemmTcT<tc::Bf16>(A, B, g, ws, s);
    case Precision::Fp16: return gemmTcT<tc::Fp16>(A, B, g, ws, s);
    case Precision::Fp32: break;
  }
  fail("tensor cores: gemm needs precision 'tf32', 'bf16' or 'fp16'");
}

}  // namespace convnets::cuda
