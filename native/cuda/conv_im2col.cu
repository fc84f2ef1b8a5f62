// im2col + GEMM (conv_kernels.h): the input patches of a chunk of images are unrolled into columns
// col[img][c·R·S + r·S + s][oh·OW + ow] = x[n, c, oh·sh - padTop + r·dh, ow·sw - padLeft + s·dw] (0 outside),
// then for each group y[n, g·Kg.., :] = w[g] (Kg × Cg·R·S) · col[img][g·Cg·R·S.., :] (+ bias, ReLU in the
// GEMM's epilogue). Any stride, padding, dilation and groups. Memory-hungry (R·S copies of the input),
// hence the chunking: the workspace holds cudaConvImagesPerChunk images.
#include "cuda/check.h"
#include "cuda/conv_kernels.h"
#include "cuda/launch.cuh"

namespace convnets::cuda {
namespace {

// One thread per column element; consecutive threads write consecutive output pixels (coalesced writes;
// reads are coalesced for stride 1).
__global__ void im2colKernel(const float* __restrict__ x, float* __restrict__ col, Conv2d p, int64_t n0,
                             int64_t total) {
  const int64_t P = p.OH * p.OW, RS = p.R * p.S, CRS = p.C * RS;
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step) {
    const int64_t pix = i % P, row = (i / P) % CRS, img = i / (P * CRS);
    const int64_t c = row / RS, rs = row % RS, r = rs / p.S, s = rs % p.S;
    const int64_t oh = pix / p.OW, ow = pix % p.OW;
    const int64_t h = oh * p.strideH - p.padTop + r * p.dilH, w = ow * p.strideW - p.padLeft + s * p.dilW;
    float v = 0.0f;
    if (h >= 0 && h < p.H && w >= 0 && w < p.W) v = x[(((n0 + img) * p.C + c) * p.H + h) * p.W + w];
    col[i] = v;
  }
}

}  // namespace

void conv2dIm2col(const float* x, const float* w, const float* bias, float* y, const Conv2d& p, bool relu, float* ws,
                  int64_t imagesPerChunk, cudaStream_t s) {
  CN_CHECK(imagesPerChunk >= 1 && ws != nullptr, "conv2d (im2col): no workspace");
  const int64_t P = p.OH * p.OW, Cg = p.C / p.groups, Kg = p.K / p.groups, CgRS = Cg * p.R * p.S;
  if (p.N * p.K * P <= 0) return;
  for (int64_t n0 = 0; n0 < p.N; n0 += imagesPerChunk) {
    const int64_t nb = p.N - n0 < imagesPerChunk ? p.N - n0 : imagesPerChunk;
    const int64_t total = nb * p.C * p.R * p.S * P;
    if (total > 0) {
      im2colKernel<<<gridFor(total), kThreads, 0, s>>>(x, ws, p, n0, total);
      CN_CUDA_LAUNCH();
    }
    GroupedGemm gg;
    gg.groups = p.groups;
    gg.Kg = Kg;
    gg.cols = P;
    gg.depth = CgRS;
    gg.batch = nb;
    gg.A = w;
    gg.groupStrideA = Kg * CgRS;
    gg.strideA = 0;
    gg.B = ws;
    gg.ldb = P;
    gg.groupStrideB = CgRS * P;
    gg.strideB = p.C * p.R * p.S * P;
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
