// 1×1 convolution as a plain GEMM (conv_kernels.h): with padding 0 a 1×1 kernel reads one input pixel per
// output pixel, so for each image and group y[n, g·Kg.., :] = w[g] (Kg × Cg) · x[n, g·Cg.., :] (Cg × OH·OW).
// Stride 1: x is already that matrix (OH·OW = H·W). Strided (ResNet's downsampling shortcuts): a chunk of
// images is first subsampled into ws [img][C][OH·OW] (x[n, c, oh·sh, ow·sw]), which is then the matrix.
// Dilation does not matter for a 1×1 kernel.
#include "cuda/check.h"
#include "cuda/conv_kernels.h"
#include "cuda/launch.cuh"

namespace convnets::cuda {
namespace {

__global__ void subsampleKernel(const float* __restrict__ x, float* __restrict__ out, Conv2d p, int64_t n0,
                                int64_t total) {
  const int64_t P = p.OH * p.OW;
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step) {
    const int64_t pix = i % P, plane = i / P;  // plane = img·C + c, relative to image n0
    const int64_t oh = pix / p.OW, ow = pix % p.OW;
    out[i] = x[((n0 * p.C + plane) * p.H + oh * p.strideH) * p.W + ow * p.strideW];
  }
}

}  // namespace

void conv2dGemm1x1(const float* x, const float* w, const float* bias, float* y, const Conv2d& p, bool relu, float* ws,
                   int64_t imagesPerChunk, cudaStream_t s) {
  CN_CHECK(p.R == 1 && p.S == 1 && p.padTop == 0 && p.padLeft == 0, "conv2d (gemm_1x1): needs a 1x1 kernel, padding 0");
  const int64_t P = p.OH * p.OW, Cg = p.C / p.groups, Kg = p.K / p.groups;
  if (p.N * p.K * P <= 0) return;
  const bool strided = p.strideH != 1 || p.strideW != 1;
  CN_CHECK(!strided || (ws != nullptr && imagesPerChunk >= 1), "conv2d (gemm_1x1): no workspace for a strided 1x1");
  const int64_t chunk = strided ? imagesPerChunk : p.N;
  for (int64_t n0 = 0; n0 < p.N; n0 += chunk) {
    const int64_t nb = p.N - n0 < chunk ? p.N - n0 : chunk;
    const float* src = x + n0 * p.C * p.H * p.W;
    if (strided) {
      const int64_t total = nb * p.C * P;
      subsampleKernel<<<gridFor(total), kThreads, 0, s>>>(x, ws, p, n0, total);
      CN_CUDA_LAUNCH();
      src = ws;
    }
    GroupedGemm gg;
    gg.groups = p.groups;
    gg.Kg = Kg;
    gg.cols = P;
    gg.depth = Cg;
    gg.batch = nb;
    gg.A = w;
    gg.groupStrideA = Kg * Cg;
    gg.B = src;
    gg.ldb = P;
    gg.groupStrideB = Cg * P;
    gg.strideB = p.C * P;
    gg.C = y + n0 * p.K * P;
    gg.ldc = P;
    gg.groupStrideC = Kg * P;
    gg.strideC = p.K * P;
    gg.bias = bias;
    gg.relu = relu;
    groupedGemm(gg, s);
  }
}

}  // namespace convnets::cuda
