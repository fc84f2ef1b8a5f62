// Direct convolution (kernels.h): the plain algorithm, for any stride, padding (asymmetric too), dilation
// and groups, with bias and ReLU fused into the write. It is the GPU reference the faster algorithms
// are checked against, so it favours obviously-correct code over speed, with two cheap wins:
//  - one thread per output pixel, consecutive threads on consecutive output columns: output writes are
//    coalesced and input reads are coalesced for stride 1 (strided otherwise);
//  - each thread computes up to kKB = 4 output channels of one group at once, so every input value it loads
//    is used 4 times; the weights it reads are the same for the whole warp (a broadcast).
#include "cuda/check.h"
#include "cuda/kernels.h"
#include "cuda/launch.cuh"

namespace convnets::cuda {
namespace {

constexpr int kKB = 4;

__global__ void convDirectKernel(const float* __restrict__ x, const float* __restrict__ w,
                                 const float* __restrict__ bias, float* __restrict__ y, Conv2d p, bool relu,
                                 int64_t kBlocksPerGroup, int64_t total) {
  const int64_t Cg = p.C / p.groups, Kg = p.K / p.groups, P = p.OH * p.OW;
  const int64_t kBlocks = kBlocksPerGroup * p.groups;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const int64_t pix = i % P, kb = (i / P) % kBlocks, n = i / (P * kBlocks);
    const int64_t oh = pix / p.OW, ow = pix % p.OW;
    const int64_t g = kb / kBlocksPerGroup;
    const int64_t k0 = g * Kg + (kb % kBlocksPerGroup) * kKB;
    const int kn = int(min(int64_t(kKB), (g + 1) * Kg - k0));  // channels of this block inside the group
    const int64_t h0 = oh * p.strideH - p.padTop, w0 = ow * p.strideW - p.padLeft;
    const float* xg = x + (n * p.C + g * Cg) * p.H * p.W;
    const int64_t wStrideK = Cg * p.R * p.S;
    const float* wk = w + k0 * wStrideK;

    float acc[kKB] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int64_t c = 0; c < Cg; ++c) {
      const float* xc = xg + c * p.H * p.W;
      const float* wc = wk + c * p.R * p.S;
      for (int64_t r = 0; r < p.R; ++r) {
        const int64_t h = h0 + r * p.dilH;
        if (h < 0 || h >= p.H) continue;
        for (int64_t s = 0; s < p.S; ++s) {
          const int64_t ww = w0 + s * p.dilW;
          if (ww < 0 || ww >= p.W) continue;
          const float v = xc[h * p.W + ww];
          const float* wt = wc + r * p.S + s;
#pragma unroll
          for (int j = 0; j < kKB; ++j)
            if (j < kn) acc[j] = fmaf(v, wt[j * wStrideK], acc[j]);
        }
      }
    }
    float* yp = y + (n * p.K + k0) * P + pix;
#pragma unroll
    for (int j = 0; j < kKB; ++j) {
      if (j >= kn) break;
      float v = acc[j] + (bias ? bias[k0 + j] : 0.0f);
      yp[j * P] = relu ? reluf(v) : v;
    }
  }
}

}  // namespace

void conv2dDirect(const float* x, const float* w, const float* bias, float* y, const Conv2d& p, bool relu,
                  cudaStream_t s) {
  CN_CHECK(p.groups >= 1 && p.C % p.groups == 0 && p.K % p.groups == 0, "conv2d: channels (", p.C, " in, ", p.K,
           " out) are not divisible by groups (", p.groups, ")");
  CN_CHECK(p.strideH >= 1 && p.strideW >= 1 && p.dilH >= 1 && p.dilW >= 1 && p.R >= 1 && p.S >= 1,
           "conv2d: invalid stride, dilation or kernel size");
  const int64_t kBlocksPerGroup = (p.K / p.groups + kKB - 1) / kKB;
  const int64_t total = p.N * kBlocksPerGroup * p.groups * p.OH * p.OW;
  if (total <= 0) return;
  convDirectKernel<<<gridFor(total), kThreads, 0, s>>>(x, w, bias, y, p, relu, kBlocksPerGroup, total);
  CN_CUDA_LAUNCH();
}

}  // namespace convnets::cuda
