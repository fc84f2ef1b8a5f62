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
// Tiles: 128×128 (8 warps of 64×32) when that fills the GPU (64×128, 8 warps of 32×32, for ≤ 64 output
// channels), else 64×64 (4 warps of 32×32); when even those are too few blocks for the SMs and the
// reduction is deep (batch 1, 7×7 and 14² maps), k is split. 1×1 stride-1 layers gather with float4s.
#include "cuda/check.h"
#include "cuda/conv_kernels.h"
#include "cuda/launch.cuh"
#include "cuda/tc_mainloop.cuh"

namespace convnets::cuda {
namespace {

using tc::TcTile;
using tc::tcPrecisionOf;

// How the B loader gathers X̂: General (any conv), Pointwise (1×1, stride 1, unpadded: X̂[k, q] is
// x[n, k, pixel]), Pointwise4 (the same with H·W a multiple of 4: float4 loads of 4 pixels).
enum class Gather { General, Pointwise, Pointwise4 };

// General / Pointwise: thread t owns output pixel q0 + t % BN and KPT consecutive k of each k-tile. Index arithmetic is 32-bit
// within one image (C·H·W < 2^31 is checked by the launcher); the image's base pointer is 64-bit.
template <class P, int BN, int THREADS, Gather MODE>
struct Im2colLoader {
  static constexpr int kParts = THREADS / BN, KPT = (tc::kTileRowBytes / int(sizeof(typename P::Store))) / kParts;
  static_assert(THREADS % BN == 0 && KPT * sizeof(typename P::Store) % 16 == 0, "loader shape");
  const float* xg = nullptr;  // this thread's image, first channel of the group
  int h0 = 0, w0 = 0, H = 0, W = 0, HW = 0, RS = 1, S = 1, dilH = 1, dilW = 1, pix = 0;
  int kOff = 0, kEnd = 0;  // this block's k range (a split of the reduction)
  bool ok = false;
  int col = 0, part = 0;
  float v[KPT];

  __device__ __forceinline__ void init(const float* x, const Conv2d& p, int64_t g, int64_t q0) {
    col = int(threadIdx.x) % BN;
    part = int(threadIdx.x) / BN;
    const int64_t Cg = p.C / p.groups, pixels = p.OH * p.OW, q = q0 + col;
    RS = int(p.R * p.S);
    S = int(p.S);
    H = int(p.H);
    W = int(p.W);
    HW = int(p.H * p.W);
    dilH = int(p.dilH);
    dilW = int(p.dilW);
    kEnd = int(Cg * RS);
    ok = q < p.N * pixels;
    if (ok) {
      const int64_t n = q / pixels;
      pix = int(q - n * pixels);
      h0 = int((pix / p.OW) * p.strideH - p.padTop);
      w0 = int((pix % p.OW) * p.strideW - p.padLeft);
      xg = x + (n * p.C + g * Cg) * p.H * p.W;
    }
  }
  __device__ __forceinline__ void load(int64_t k0) {
    const int kb = kOff + int(k0) + part * KPT;
    if constexpr (MODE == Gather::Pointwise) {
      const float* src = xg + int64_t(kb) * HW + pix;
#pragma unroll
      for (int j = 0; j < KPT; ++j) v[j] = ok && kb + j < kEnd ? src[int64_t(j) * HW] : 0.0f;
    } else {
      int c = kb / RS, rs = kb - c * RS, r = rs / S, s = rs - r * S;
#pragma unroll
      for (int j = 0; j < KPT; ++j) {
        const int h = h0 + r * dilH, ww = w0 + s * dilW;
        v[j] = ok && kb + j < kEnd && unsigned(h) < unsigned(H) && unsigned(ww) < unsigned(W)
                   ? xg[int64_t(c) * HW + h * W + ww]
                   : 0.0f;
        if (++s == S) {
          s = 0;
          if (++r * S == RS) {
            r = 0;
            ++c;
          }
        }
      }
    }
  }
  __device__ __forceinline__ void store(uint32_t* rows) const {
    tc::storeRounded<P, KPT>(rows + col * tc::kRowWords + part * KPT * int(sizeof(typename P::Store)) / 4, v);
  }
};

// Pointwise4: thread t owns the 4 pixels q0 + 4·(t % (BN/4)) … +3 (one image: H·W is a multiple of 4) and
// KPT = 16 bytes' worth of consecutive k (8 BF16/FP16 or 4 TF32) of each k-tile: KPT float4 loads (a warp
// reads 512 contiguous bytes per load), transposed in registers into one 16-byte row chunk per pixel.
template <class P, int BN, int THREADS>
struct Pointwise4Loader {
  static constexpr int kQuads = BN / 4, kGroups = THREADS / kQuads;
  static constexpr int KPT = (tc::kTileRowBytes / int(sizeof(typename P::Store))) / kGroups;
  static_assert(THREADS % kQuads == 0 && KPT * sizeof(typename P::Store) == 16, "loader shape");
  const float* xg = nullptr;  // this thread's image, first channel of the group, first of its 4 pixels
  int HW = 0, kOff = 0, kEnd = 0, quad = 0, grp = 0;
  bool ok = false;
  float4 v[KPT];

  __device__ __forceinline__ void init(const float* x, const Conv2d& p, int64_t g, int64_t q0) {
    quad = int(threadIdx.x) % kQuads;
    grp = int(threadIdx.x) / kQuads;
    const int64_t Cg = p.C / p.groups, pixels = p.H * p.W, q = q0 + 4 * quad;
    HW = int(pixels);
    kEnd = int(Cg);
    ok = q < p.N * pixels;
    if (ok) {
      const int64_t n = q / pixels;
      xg = x + (n * p.C + g * Cg) * pixels + (q - n * pixels);
    }
  }
  __device__ __forceinline__ void load(int64_t k0) {
    const int kb = kOff + int(k0) + grp * KPT;
#pragma unroll
    for (int j = 0; j < KPT; ++j)
      v[j] = ok && kb + j < kEnd ? *reinterpret_cast<const float4*>(xg + int64_t(kb + j) * HW)
                                 : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
  }
  __device__ __forceinline__ void store(uint32_t* rows) const {
#pragma unroll
    for (int px = 0; px < 4; ++px) {
      float c[KPT];
#pragma unroll
      for (int j = 0; j < KPT; ++j) c[j] = px == 0 ? v[j].x : px == 1 ? v[j].y : px == 2 ? v[j].z : v[j].w;
      tc::storeRounded<P, KPT>(rows + (4 * quad + px) * tc::kRowWords + grp * 4, c);
    }
  }
};

template <class P, int BN, int THREADS, Gather MODE>
struct LoaderFor {
  using type = Im2colLoader<P, BN, THREADS, MODE>;
};
template <class P, int BN, int THREADS>
struct LoaderFor<P, BN, THREADS, Gather::Pointwise4> {
  using type = Pointwise4Loader<P, BN, THREADS>;
};

// One block: the (m, q) tile of group g0 + blockIdx.z over k-tiles [kBegin, kEnd) of split blockIdx.y /
// mTiles. splits == 1: the finished output; else raw partial sums into ws [split][K][NP].
template <class P, class T, Gather MODE>
__global__ void __launch_bounds__(T::kThreads)
    convTcKernel(const float* __restrict__ x, const typename P::Store* __restrict__ w, int64_t ldw,
                 const float* __restrict__ bias, float* __restrict__ y, Conv2d p, bool relu, int64_t g0,
                 int64_t mTiles, int64_t kPerSplit, float* __restrict__ ws) {
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800  // tensor cores: the registry declines older devices
  TC_DYNAMIC_SMEM(smem);
  const int64_t Cg = p.C / p.groups, Kg = p.K / p.groups, depth = Cg * p.R * p.S;
  const int64_t P_ = p.OH * p.OW, NP = p.N * P_;
  const int64_t g = g0 + blockIdx.z, split = int64_t(blockIdx.y) / mTiles;
  const int64_t m0 = (int64_t(blockIdx.y) % mTiles) * T::BM, q0 = int64_t(blockIdx.x) * T::BN;
  const int64_t kBegin = split * kPerSplit, kEnd = kBegin + kPerSplit < depth ? kBegin + kPerSplit : depth;

  tc::PackedRowsLoader<P, T::BM, T::kThreads> a;
  a.base = w + (g * Kg + m0) * ldw + kBegin;
  a.ld = ldw;
  a.rowsLeft = Kg - m0;
  typename LoaderFor<P, T::BN, T::kThreads, MODE>::type b;
  b.init(x, p, g, q0);
  b.kOff = int(kBegin);  // the main loop counts k from 0 within this split
  b.kEnd = int(kEnd);    // k past this split's end loads zeros (its A rows are real weights)
  float acc[T::MT][T::NT][4];
  tc::tcMainLoop<T, P>(a, b, kEnd - kBegin, smem, acc);

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
#endif
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

template <class P, class T, Gather MODE>
void launchConvTc(const float* x, const void* w, const float* bias, float* y, const Conv2d& p, bool relu,
                  const TcSplit& sp, float* ws, cudaStream_t s) {
  const int64_t Kg = p.K / p.groups, NP = p.N * p.OH * p.OW, depth = (p.C / p.groups) * p.R * p.S;
  const int64_t ldw = tcPaddedDepth(depth, T::BK);
  const int64_t qTiles = (NP + T::BN - 1) / T::BN, mTiles = (Kg + T::BM - 1) / T::BM;
  CN_CHECK(qTiles <= 0x7fffffff && mTiles * sp.splits <= kMaxGridYZ && p.C * p.H * p.W < (int64_t(1) << 31) &&
               depth < (int64_t(1) << 31),
           "conv2d (implicit_gemm_tc): too large a convolution (", NP, " output pixels, ", Kg,
           " channels per group, ", p.C * p.H * p.W, " input elements per image) for its 32-bit indexing");
  const auto* wp = static_cast<const typename P::Store*>(w);
  auto kernel = convTcKernel<P, T, MODE>;
  CN_CUDA(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, T::kSmemBytes));
  for (int64_t g0 = 0; g0 < p.groups; g0 += kMaxGridYZ) {
    const int64_t gz = p.groups - g0 < kMaxGridYZ ? p.groups - g0 : kMaxGridYZ;
    const dim3 grid{unsigned(qTiles), unsigned(mTiles * sp.splits), unsigned(gz)};
    kernel<<<grid, T::kThreads, T::kSmemBytes, s>>>(x, wp, ldw, bias, y, p, relu, g0, mTiles, sp.kPerSplit,
                                                     sp.splits > 1 ? ws : nullptr);
    CN_CUDA_LAUNCH();
  }
  if (sp.splits > 1) {
    tcSplitReduce<<<gridFor(p.K * NP), kThreads, 0, s>>>(ws, bias, y, p.K, NP, p.OH * p.OW, sp.splits, relu);
    CN_CUDA_LAUNCH();
  }
}

template <class P, class T>
void launchConvTcFor(const float* x, const void* w, const float* bias, float* y, const Conv2d& p, bool relu,
                     const TcSplit& sp, float* ws, cudaStream_t s) {
  const bool pointwise = p.R == 1 && p.S == 1 && p.strideH == 1 && p.strideW == 1 && p.padTop == 0 &&
                         p.padLeft == 0 && p.OH == p.H && p.OW == p.W;
  if (pointwise && (p.H * p.W) % 4 == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0)
    launchConvTc<P, T, Gather::Pointwise4>(x, w, bias, y, p, relu, sp, ws, s);
  else if (pointwise)
    launchConvTc<P, T, Gather::Pointwise>(x, w, bias, y, p, relu, sp, ws, s);
  else
    launchConvTc<P, T, Gather::General>(x, w, bias, y, p, relu, sp, ws, s);
}

template <class P>
void convTc(const float* x, const void* w, const float* bias, float* y, const Conv2d& p, bool relu, float* ws,
            cudaStream_t s) {
  const TcSplit sp = tcConvSplit(p, tcPrecisionOf<P>());
  switch (sp.tile) {
    case TcSplit::k128x128: return launchConvTcFor<P, TcTile<P, 128, 128, 2, 4>>(x, w, bias, y, p, relu, sp, ws, s);
    case TcSplit::k64x128: return launchConvTcFor<P, TcTile<P, 64, 128, 2, 4>>(x, w, bias, y, p, relu, sp, ws, s);
    case TcSplit::k64x64: break;
  }
  launchConvTcFor<P, TcTile<P, 64, 64, 2, 2>>(x, w, bias, y, p, relu, sp, ws, s);
}

}  // namespace

TcSplit tcConvSplit(const Conv2d& p, Precision prec) {
  return tcSplitFor(p.K / p.groups, p.N * p.OH * p.OW, (p.C / p.groups) * p.R * p.S, p.groups, true, tcKTile(prec));
}

void conv2dImplicitGemmTc(const float* x, const void* w, const float* bias, float* y, const Conv2d& p, bool relu,
                          Precision prec, float* ws, cudaStream_t s) {
  CN_CHECK(p.groups >= 1 && p.C % p.groups == 0 && p.K % p.groups == 0, "conv2d (implicit_gemm_tc): channels (",
           p.C, " in, ", p.K, " out) are not divisible by groups (", p.groups, ")");
  if (p.N * p.OH * p.OW <= 0 || p.K <= 0) return;
  switch (prec) {
    case Precision::Tf32: return convTc<tc::Tf32>(x, w, bias, y, p, relu, ws, s);
    case Precision::Bf16: return convTc<tc::Bf16>(x, w, bias, y, p, relu, ws, s);
    case Precision::Fp16: return convTc<tc::Fp16>(x, w, bias, y, p, relu, ws, s);
    case Precision::Fp32: break;
  }
  fail("conv2d (implicit_gemm_tc): needs precision 'tf32', 'bf16' or 'fp16'");
}

}  // namespace convnets::cuda
