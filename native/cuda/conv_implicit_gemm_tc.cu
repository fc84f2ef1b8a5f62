// Implicit-GEMM convolution on tensor cores (conv_kernels.h, TF32 / BF16 / FP16 with fp32 accumulation):
// per group, the GEMM of conv_implicit_gemm.cu
//   Y[m, q] = Σ_k W[m, k] · X̂[k, q],   m < Kg, q < N·OH·OW, k < Cg·R·S,
// with W packed once by tcPackRows (P::Store, rows zero-padded to a multiple of 32) and X̂ gathered from
// the fp32 input through the convolution's index map while a k-tile is loaded, rounded to P as it goes
// to shared memory (tc_mainloop.cuh). The three parts:
//   - A loader: PackedRowsLoader over the packed weights;
//   - B loader: Im2colLoader below — thread t owns output pixel q0 + t % BN (its image and window origin
//     computed once) and KPT consecutive k of each tile (c, r, s stepped, not divided, along them);
//     a warp reads 32 consecutive pixels at one k (coalesced at stride 1);
//   - epilogue: + bias, ReLU, into y[n, g·Kg + m, oh, ow]; or, split over k, raw sums into a workspace
//     [splits][K][N·OH·OW] that tcSplitReduce adds up (with bias and ReLU) in a fixed order.
// Tiles: 128×128 (8 warps of 64×32) when that fills the GPU, else 64×64 (4 warps of 32×32); when even
// those are too few blocks for the SMs and the reduction is deep (batch 1, 7×7 and 14² maps), k is split.
#include "cuda/check.h"
#include "cuda/conv_kernels.h"
#include "cuda/launch.cuh"
#include "cuda/tc_mainloop.cuh"

namespace convnets::cuda {
namespace {

using tc::TcTile;

template <class P, int BN, int THREADS>
struct Im2colLoader {
  static constexpr int kParts = THREADS / BN, KPT = 32 / kParts;
  static_assert(THREADS % BN == 0 && KPT * sizeof(typename P::Store) % 16 == 0, "loader shape");
  const float* xg = nullptr;  // this thread's image, first channel of the group
  int64_t h0 = 0, w0 = 0, H = 0, W = 0, RS = 1, S = 1, dilH = 1, dilW = 1;
  int64_t kOff = 0, kEnd = 0;  // this block's k range (a split of the reduction)
  bool ok = false;
  int col = 0, part = 0;
  float v[KPT];

  __device__ __forceinline__ void init(const float* x, const Conv2d& p, int64_t g, int64_t q0) {
    col = int(threadIdx.x) % BN;
    part = int(threadIdx.x) / BN;
    const int64_t Cg = p.C / p.groups, pixels = p.OH * p.OW, q = q0 + col;
    RS = p.R * p.S;
    S = p.S;
    H = p.H;
    W = p.W;
    dilH = p.dilH;
    dilW = p.dilW;
    kEnd = Cg * RS;
    ok = q < p.N * pixels;
    if (ok) {
      const int64_t n = q / pixels, pix = q % pixels;
      h0 = (pix / p.OW) * p.strideH - p.padTop;
      w0 = (pix % p.OW) * p.strideW - p.padLeft;
      xg = x + (n * p.C + g * Cg) * p.H * p.W;
    }
  }
  __device__ __forceinline__ void load(int64_t k0) {
    const int64_t kb = kOff + k0 + part * KPT;
    int64_t c = kb / RS, rs = kb - c * RS, r = rs / S, s = rs - r * S;
#pragma unroll
    for (int j = 0; j < KPT; ++j) {
      float val = 0.0f;
      if (ok && kb + j < kEnd) {
        const int64_t h = h0 + r * dilH, ww = w0 + s * dilW;
        if (h >= 0 && h < H && ww >= 0 && ww < W) val = xg[(c * H + h) * W + ww];
      }
      v[j] = val;
      if (++s == S) {
        s = 0;
        if (++r * S == RS) {
          r = 0;
          ++c;
        }
      }
    }
  }
  template <int ROW_WORDS>
  __device__ __forceinline__ void store(uint32_t* smem) const {
    tc::storeRounded<P, KPT>(smem + col * ROW_WORDS + part * KPT * int(sizeof(typename P::Store)) / 4, v);
  }
};

// One block: the (m, q) tile of group g0 + blockIdx.z over k-tiles [kBegin, kEnd) of split blockIdx.y /
// mTiles. splits == 1: the finished output; else raw partial sums into ws [split][K][NP].
template <class P, class T>
__global__ void __launch_bounds__(T::kThreads)
    convTcKernel(const float* __restrict__ x, const typename P::Store* __restrict__ w, int64_t ldw,
                 const float* __restrict__ bias, float* __restrict__ y, Conv2d p, bool relu, int64_t g0,
                 int64_t mTiles, int64_t kPerSplit, float* __restrict__ ws) {
  __shared__ __align__(16) uint32_t As[T::BM * T::kRowWords];
  __shared__ __align__(16) uint32_t Bs[T::BN * T::kRowWords];
  const int64_t Cg = p.C / p.groups, Kg = p.K / p.groups, depth = Cg * p.R * p.S;
  const int64_t P_ = p.OH * p.OW, NP = p.N * P_;
  const int64_t g = g0 + blockIdx.z, split = int64_t(blockIdx.y) / mTiles;
  const int64_t m0 = (int64_t(blockIdx.y) % mTiles) * T::BM, q0 = int64_t(blockIdx.x) * T::BN;
  const int64_t kBegin = split * kPerSplit, kEnd = kBegin + kPerSplit < depth ? kBegin + kPerSplit : depth;

  tc::PackedRowsLoader<P, T::BM, T::kThreads> a;
  a.base = w + (g * Kg + m0) * ldw + kBegin;
  a.ld = ldw;
  a.rowsLeft = Kg - m0;
  Im2colLoader<P, T::BN, T::kThreads> b;
  b.init(x, p, g, q0);
  b.kOff = kBegin;  // the main loop counts k from 0 within this split
  b.kEnd = kEnd;    // k past this split's end loads zeros (its A rows are real weights)
  float acc[T::MT][T::NT][4];
  tc::tcMainLoop<T, P>(a, b, kEnd - kBegin, As, Bs, acc);

  if (ws) {
    float* part = ws + (split * p.K + g * Kg) * NP;
    tc::tcForEachAcc<T>(acc, [&](int mi, int ni, float v) {
      const int64_t m = m0 + mi, q = q0 + ni;
      if (m < Kg && q < NP) part[m * NP + q] = v;
    });
    return;
  }
  tc::tcForEachAcc<T>(acc, [&](int mi, int ni, float v) {
    const int64_t m = m0 + mi, q = q0 + ni;
    if (m >= Kg || q >= NP) return;
    const int64_t k = g * Kg + m, n = q / P_, pix = q - n * P_;
    const float o = v + (bias ? bias[k] : 0.0f);
    y[(n * p.K + k) * P_ + pix] = relu ? reluf(o) : o;
  });
}

// y[n, k, pix] = relu?(bias[k] + Σ_s ws[s][k][n·P + pix]), the splits added in order (deterministic).
__global__ void tcSplitReduce(const float* __restrict__ ws, const float* __restrict__ bias, float* __restrict__ y,
                              int64_t K, int64_t NP, int64_t P, int64_t splits, bool relu) {
  const int64_t total = K * NP;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t k = i / NP, q = i - k * NP, n = q / P, pix = q - n * P;
    float s = bias ? bias[k] : 0.0f;
    for (int64_t j = 0; j < splits; ++j) s += ws[j * total + i];
    y[(n * K + k) * P + pix] = relu ? reluf(s) : s;
  }
}

}  // namespace

namespace {

template <class P, class T>
void launchConvTc(const float* x, const void* w, const float* bias, float* y, const Conv2d& p, bool relu,
                  const TcSplit& sp, float* ws, cudaStream_t s) {
  const int64_t Kg = p.K / p.groups, NP = p.N * p.OH * p.OW, depth = (p.C / p.groups) * p.R * p.S;
  const int64_t ldw = tcPaddedDepth(depth);
  const int64_t qTiles = (NP + T::BN - 1) / T::BN, mTiles = (Kg + T::BM - 1) / T::BM;
  CN_CHECK(qTiles <= 0x7fffffff && mTiles * sp.splits <= kMaxGridYZ, "conv2d (implicit_gemm_tc): too large a "
           "convolution (", NP, " output pixels, ", Kg, " channels per group) for one grid");
  const auto* wp = static_cast<const typename P::Store*>(w);
  for (int64_t g0 = 0; g0 < p.groups; g0 += kMaxGridYZ) {
    const int64_t gz = p.groups - g0 < kMaxGridYZ ? p.groups - g0 : kMaxGridYZ;
    const dim3 grid{unsigned(qTiles), unsigned(mTiles * sp.splits), unsigned(gz)};
    convTcKernel<P, T><<<grid, T::kThreads, 0, s>>>(x, wp, ldw, bias, y, p, relu, g0, mTiles, sp.kPerSplit,
                                                    sp.splits > 1 ? ws : nullptr);
    CN_CUDA_LAUNCH();
  }
  if (sp.splits > 1) {
    tcSplitReduce<<<gridFor(p.K * NP), kThreads, 0, s>>>(ws, bias, y, p.K, NP, p.OH * p.OW, sp.splits, relu);
    CN_CUDA_LAUNCH();
  }
}

template <class P>
void convTc(const float* x, const void* w, const float* bias, float* y, const Conv2d& p, bool relu, float* ws,
            cudaStream_t s) {
  const TcSplit sp = tcConvSplit(p);
  if (sp.bigTile)
    launchConvTc<P, TcTile<P, 128, 128, 2, 4>>(x, w, bias, y, p, relu, sp, ws, s);
  else
    launchConvTc<P, TcTile<P, 64, 64, 2, 2>>(x, w, bias, y, p, relu, sp, ws, s);
}

}  // namespace

TcSplit tcConvSplit(const Conv2d& p) {
  return tcSplitFor(p.K / p.groups, p.N * p.OH * p.OW, (p.C / p.groups) * p.R * p.S, p.groups, true);
}

int64_t tcConvWorkspaceBytes(const Conv2d& p) {
  const TcSplit sp = tcConvSplit(p);
  return sp.splits > 1 ? sp.splits * p.K * p.N * p.OH * p.OW * int64_t(sizeof(float)) : 0;
}

void conv2dImplicitGemmTc(const float* x, const void* w, const float* bias, float* y, const Conv2d& p, bool relu,
                          TcPrecision prec, float* ws, cudaStream_t s) {
  CN_CHECK(p.groups >= 1 && p.C % p.groups == 0 && p.K % p.groups == 0, "conv2d (implicit_gemm_tc): channels (",
           p.C, " in, ", p.K, " out) are not divisible by groups (", p.groups, ")");
  if (p.N * p.OH * p.OW <= 0 || p.K <= 0) return;
  switch (prec) {
    case TcPrecision::Tf32: return convTc<tc::Tf32>(x, w, bias, y, p, relu, ws, s);
    case TcPrecision::Bf16: return convTc<tc::Bf16>(x, w, bias, y, p, relu, ws, s);
    case TcPrecision::Fp16: return convTc<tc::Fp16>(x, w, bias, y, p, relu, ws, s);
  }
}

}  // namespace convnets::cuda
