// Local response normalisation across channels (torch semantics, kernels.h): one thread per output element,
// consecutive threads on consecutive pixels of one channel plane (coalesced); each sums its window of
// `size` channels (small: 5 in AlexNet), reading the squares again rather than keeping a running sum, so
// every output is computed independently and exactly like the reference.
#include "cuda/check.h"
#include "cuda/kernels.h"
#include "cuda/launch.cuh"

namespace convnets::cuda {
namespace {

__global__ void lrnKernel(const float* __restrict__ x, float* __restrict__ y, int64_t C, int64_t HW, int64_t size,
                          float alphaOverSize, float beta, float k, int64_t total) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  const int64_t before = size / 2, after = (size - 1) / 2;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const int64_t p = i % HW, c = (i / HW) % C, n = i / (HW * C);
    const float* xn = x + n * C * HW + p;
    const int64_t c0 = max(c - before, int64_t(0)), c1 = min(c + after, C - 1);
    float sum = 0.0f;
    for (int64_t j = c0; j <= c1; ++j) {
      const float v = xn[j * HW];
      sum = fmaf(v, v, sum);
    }
    y[i] = x[i] / powf(k + alphaOverSize * sum, beta);
  }
}

}  // namespace

void localResponseNorm(const float* x, float* y, int64_t N, int64_t C, int64_t HW, int64_t size, float alpha,
                       float beta, float k, cudaStream_t s) {
  CN_CHECK(size >= 1, "localResponseNorm: size must be at least 1, got ", size);
  const int64_t total = N * C * HW;
  if (total <= 0) return;
  lrnKernel<<<gridFor(total), kThreads, 0, s>>>(x, y, C, HW, size, alpha / float(size), beta, k, total);
  CN_CUDA_LAUNCH();
}

}  // namespace convnets::cuda
