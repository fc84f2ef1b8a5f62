// torch's interpolate on CUDA (kernels.h): the tap table of each axis is built on the device by
// interpTaps (core/interp_desc.h, the CPU's own formula), then each axis is resampled in one pass. One
// thread per output element, grid-stride; consecutive threads take consecutive elements of the
// contiguous dimension, so the across-rows pass (inner > 1) reads coalesced and the along-rows pass reads
// neighbouring input pixels.
#include "cuda/check.h"
#include "cuda/kernels.h"
#include "cuda/launch.cuh"

namespace convnets::cuda {
namespace {

__global__ void interpTableKernel(InterpAxis a, int32_t* __restrict__ idx, float* __restrict__ w) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t o = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; o < a.out; o += stride)
    interpTaps(a, o, idx + o * a.taps, w + o * a.taps);
}

__global__ void resampleKernel(const float* __restrict__ x, float* __restrict__ y, int64_t outer, int64_t in,
                               int64_t out, int64_t inner, int32_t taps, const int32_t* __restrict__ idx,
                               const float* __restrict__ w) {
  const int64_t total = outer * out * inner, stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
    const int64_t i = e % inner, o = (e / inner) % out, p = e / (inner * out);
    const float* xp = x + p * in * inner + i;
    const int32_t* io = idx + o * taps;
    const float* wo = w + o * taps;
    float s = wo[0] * xp[int64_t(io[0]) * inner];
    for (int32_t k = 1; k < taps; ++k) s += wo[k] * xp[int64_t(io[k]) * inner];
    y[e] = s;
  }
}

}  // namespace

void interpTable(const InterpAxis& a, int32_t* idx, float* w, cudaStream_t s) {
  if (a.out <= 0) return;
  interpTableKernel<<<gridFor(a.out), kThreads, 0, s>>>(a, idx, w);
  CN_CUDA_LAUNCH();
}

void resampleAxis(const float* x, float* y, int64_t outer, int64_t inner, const InterpAxis& a, const int32_t* idx,
                  const float* w, cudaStream_t s) {
  const int64_t total = outer * a.out * inner;
  if (total <= 0) return;
  resampleKernel<<<gridFor(total), kThreads, 0, s>>>(x, y, outer, a.in, a.out, inner, a.taps, idx, w);
  CN_CUDA_LAUNCH();
}

}  // namespace convnets::cuda
