// Softmax / log-softmax along one dimension of x viewed as [outer, D, inner] (kernels.h).
// Last dimension (inner == 1): one block per row (grid-stride over rows); the block reduces the row's max
// and then its sum of exp(x - max) through warp shuffles and a small shared array, reading the row from
// global memory three times (it is usually small: a row of logits).
// Other dimensions: one thread per (outer, inner) column, consecutive threads on consecutive inner
// positions, so each of the three passes over D reads coalesced.
#include "cuda/check.h"
#include "cuda/kernels.h"
#include "cuda/launch.cuh"

namespace convnets::cuda {
namespace {

__device__ __forceinline__ float warpMax(float v) {
  for (int off = 16; off > 0; off >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, off));
  return v;
}
__device__ __forceinline__ float warpSum(float v) {
  for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
  return v;
}

// Reduces v over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
template <bool IsMax>
__device__ float blockReduce(float v, float* shared) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = IsMax ? warpMax(v) : warpSum(v);
  __syncthreads();  // `shared` may still be read by the previous reduction
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  float r = lane < warps ? shared[lane] : (IsMax ? -INFINITY : 0.0f);
  r = IsMax ? warpMax(r) : warpSum(r);
  return r;
}

__global__ void softmaxRowKernel(const float* __restrict__ x, float* __restrict__ y, int64_t rows, int64_t D,
                                 bool log) {
  __shared__ float shared[32];
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const float* xr = x + row * D;
    float* yr = y + row * D;
    float m = -INFINITY;
    for (int64_t j = threadIdx.x; j < D; j += blockDim.x) m = fmaxf(m, xr[j]);
    m = blockReduce<true>(m, shared);
    float sum = 0.0f;
    for (int64_t j = threadIdx.x; j < D; j += blockDim.x) sum += expf(xr[j] - m);
    sum = blockReduce<false>(sum, shared);
    if (log) {
      const float lse = logf(sum);
      for (int64_t j = threadIdx.x; j < D; j += blockDim.x) yr[j] = xr[j] - m - lse;
    } else {
      const float inv = 1.0f / sum;
      for (int64_t j = threadIdx.x; j < D; j += blockDim.x) yr[j] = expf(xr[j] - m) * inv;
    }
  }
}

__global__ void softmaxStridedKernel(const float* __restrict__ x, float* __restrict__ y, int64_t outer, int64_t D,
                                     int64_t inner, bool log) {
  const int64_t total = outer * inner, stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const int64_t o = i / inner, in = i % inner;
    const float* xc = x + o * D * inner + in;
    float* yc = y + o * D * inner + in;
    float m = -INFINITY;
    for (int64_t j = 0; j < D; ++j) m = fmaxf(m, xc[j * inner]);
    float sum = 0.0f;
    for (int64_t j = 0; j < D; ++j) sum += expf(xc[j * inner] - m);
    if (log) {
      const float lse = logf(sum);
      for (int64_t j = 0; j < D; ++j) yc[j * inner] = xc[j * inner] - m - lse;
    } else {
      const float inv = 1.0f / sum;
      for (int64_t j = 0; j < D; ++j) yc[j * inner] = expf(xc[j * inner] - m) * inv;
    }
  }
}

}  // namespace

void softmax(const float* x, float* y, int64_t outer, int64_t D, int64_t inner, bool log, cudaStream_t s) {
  if (outer <= 0 || D <= 0 || inner <= 0) return;
  if (inner == 1) {
    softmaxRowKernel<<<gridFor(outer, 1), kThreads, 0, s>>>(x, y, outer, D, log);
  } else {
    softmaxStridedKernel<<<gridFor(outer * inner), kThreads, 0, s>>>(x, y, outer, D, inner, log);
  }
  CN_CUDA_LAUNCH();
}

}  // namespace convnets::cuda
