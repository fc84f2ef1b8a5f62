// Implicit-GEMM convolution (conv_kernels.h): per group, the GEMM
//   Y[m, q] = Σ_k W[m, k] · X̂[k, q],   m < Kg (output channel), q < N·OH·OW (image, pixel), k < Cg·R·S,
// where W is the weight [Kg, Cg·R·S] exactly as stored, and X̂ is im2col's column matrix, never written to
// memory: X̂[k = c·R·S + r·S + s, q = n·OH·OW + oh·OW + ow] = x[n, g·Cg + c, oh·sh - padTop + r·dh,
// ow·sw - padLeft + s·dw] (0 outside the input) is computed while loading the tile. No workspace.
//
// Tiling: a block of 256 threads computes a 64 (m) × 64 (q) tile of Y, stepping through k 8 at a time.
// Each step stages a 64×8 panel of W and an 8×64 panel of X̂ in shared memory, k-major (As[k][m],
// Bs[k][q]), and each thread accumulates a 4×4 register block: rows ty·4..+3, columns tx·4..+3, read as
// float4s (a quarter-warp's Bs reads are 64 contiguous bytes: no bank conflicts; As reads broadcast).
// Loads: thread t fetches X̂ column t%64 (rows t/64 and t/64 + 4) — its image and window origin are
// computed once, outside the k loop — so a warp reads 32 consecutive output pixels (coalesced for stride
// 1); and W row t/4, k offsets (t%4)·2..+1. Out-of-range rows/columns load 0 and are not stored.
// Epilogue: bias[g·Kg + m], ReLU, written to y[n, g·Kg + m, oh, ow]. Grid: x over q tiles, y over m tiles,
// z over groups (chunks of 65535).
#include "cuda/check.h"
#include "cuda/conv_kernels.h"
#include "cuda/launch.cuh"

namespace convnets::cuda {
namespace {

constexpr int BM = 64, BQ = 64, BK = 8, kIgThreads = 256;

__global__ void __launch_bounds__(kIgThreads)
    implicitGemmKernel(const float* __restrict__ x, const float* __restrict__ w, const float* __restrict__ bias,
                       float* __restrict__ y, Conv2d p, bool relu, int64_t g0) {
  __shared__ __align__(16) float As[BK][BM];
  __shared__ __align__(16) float Bs[BK][BQ];
  const int64_t Cg = p.C / p.groups, Kg = p.K / p.groups, RS = p.R * p.S, depth = Cg * RS;
  const int64_t P = p.OH * p.OW, NP = p.N * P;
  const int64_t g = g0 + blockIdx.z;
  const int64_t m0 = int64_t(blockIdx.y) * BM, q0 = int64_t(blockIdx.x) * BQ;
  const int t = threadIdx.x;

  // This thread's X̂ column: image, window origin (fixed for the whole k loop).
  const int bq = t & (BQ - 1), bk = t >> 6;  // bk in 0..3: rows bk and bk + 4 of the panel
  const int64_t q = q0 + bq;
  const bool qOk = q < NP;
  int64_t h0 = 0, w0 = 0;
  const float* xg = x;
  if (qOk) {
    const int64_t n = q / P, pix = q % P;
    h0 = (pix / p.OW) * p.strideH - p.padTop;
    w0 = (pix % p.OW) * p.strideW - p.padLeft;
    xg = x + (n * p.C + g * Cg) * p.H * p.W;
  }
  // This thread's W row and k offsets.
  const int am = t >> 2, ak = (t & 3) * 2;
  const int64_t mRow = m0 + am;
  const bool mOk = mRow < Kg;
  const float* wRow = mOk ? w + (g * Kg + mRow) * depth : w;

  const int tx = t & 15, ty = t >> 4;
  float acc[4][4];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j) acc[i][j] = 0.0f;

  for (int64_t k0 = 0; k0 < depth; k0 += BK) {
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      const int64_t k = k0 + ak + j;
      As[ak + j][am] = (mOk && k < depth) ? wRow[k] : 0.0f;
    }
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      const int row = bk + 4 * j;
      const int64_t k = k0 + row;
      float v = 0.0f;
      if (qOk && k < depth) {
        const int64_t c = k / RS, rs = k - c * RS, r = rs / p.S, s = rs - r * p.S;
        const int64_t h = h0 + r * p.dilH, ww = w0 + s * p.dilW;
        if (h >= 0 && h < p.H && ww >= 0 && ww < p.W) v = xg[(c * p.H + h) * p.W + ww];
      }
      Bs[row][bq] = v;
    }
    __syncthreads();
#pragma unroll
    for (int k = 0; k < BK; ++k) {
      const float4 a = *reinterpret_cast<const float4*>(&As[k][ty * 4]);
      const float4 b = *reinterpret_cast<const float4*>(&Bs[k][tx * 4]);
      const float av[4] = {a.x, a.y, a.z, a.w}, bv[4] = {b.x, b.y, b.z, b.w};
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
    }
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int64_t m = m0 + ty * 4 + i;
    if (m >= Kg) break;
    const int64_t k = g * Kg + m;
    const float b = bias ? bias[k] : 0.0f;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int64_t qq = q0 + tx * 4 + j;
      if (qq >= NP) break;
      const int64_t n = qq / P, pix = qq % P;
      const float v = acc[i][j] + b;
      y[(n * p.K + k) * P + pix] = relu ? reluf(v) : v;
    }
  }
}

}  // namespace

void conv2dImplicitGemm(const float* x, const float* w, const float* bias, float* y, const Conv2d& p, bool relu,
                        cudaStream_t s) {
  CN_CHECK(p.groups >= 1 && p.C % p.groups == 0 && p.K % p.groups == 0, "conv2d (implicit_gemm): channels (", p.C,
           " in, ", p.K, " out) are not divisible by groups (", p.groups, ")");
  const int64_t Kg = p.K / p.groups, NP = p.N * p.OH * p.OW;
  if (NP <= 0 || Kg <= 0) return;
  const int64_t qTiles = (NP + BQ - 1) / BQ, mTiles = (Kg + BM - 1) / BM;
  CN_CHECK(qTiles <= 0x7fffffff && mTiles <= kMaxGridYZ, "conv2d (implicit_gemm): too large a convolution (",
           NP, " output pixels, ", Kg, " channels per group) for one grid");
  for (int64_t g0 = 0; g0 < p.groups; g0 += kMaxGridYZ) {
    const int64_t gz = p.groups - g0 < kMaxGridYZ ? p.groups - g0 : kMaxGridYZ;
    const dim3 grid{unsigned(qTiles), unsigned(mTiles), unsigned(gz)};
    implicitGemmKernel<<<grid, kIgThreads, 0, s>>>(x, w, bias, y, p, relu, g0);
    CN_CUDA_LAUNCH();
  }
}

}  // namespace convnets::cuda
