// Concatenation (kernels.h): the output is [outer, total] and input i fills the column range
// [offset_i, offset_i + cols_i) of every row. Up to 32 inputs go in one launch (their pointers travel in
// the kernel's parameters); blockIdx.y picks the input and a grid-stride loop over x copies its
// outer × cols_i block, with consecutive threads on consecutive columns (coalesced on both sides).
// DenseNet concatenates dozens of inputs per layer, so one launch per input would cost more than the copy.
#include "cuda/check.h"
#include "cuda/kernels.h"
#include "cuda/launch.cuh"

namespace convnets::cuda {
namespace {

constexpr int kMaxInputsPerLaunch = 32;

struct ConcatBatch {
  const float* src[kMaxInputsPerLaunch];
  int64_t cols[kMaxInputsPerLaunch];
  int64_t offset[kMaxInputsPerLaunch];
};

__global__ void concatKernel(ConcatBatch b, int64_t outer, int64_t total, float* __restrict__ y) {
  const int input = blockIdx.y;
  const float* __restrict__ src = b.src[input];
  const int64_t cols = b.cols[input], n = outer * cols;
  float* dst = y + b.offset[input];
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const int64_t row = i / cols, col = i - row * cols;
    dst[row * total + col] = src[i];
  }
}

}  // namespace

void concat(const float* const* srcs, const int64_t* cols, int count, int64_t outer, float* y, cudaStream_t s) {
  int64_t total = 0;
  for (int i = 0; i < count; ++i) total += cols[i];
  if (outer <= 0 || total <= 0) return;
  int64_t offset = 0;
  for (int first = 0; first < count; first += kMaxInputsPerLaunch) {
    ConcatBatch b{};
    int n = 0;
    int64_t largest = 0;
    for (int i = first; i < count && i < first + kMaxInputsPerLaunch; ++i) {
      if (cols[i] == 0) continue;  // empty inputs contribute nothing
      b.src[n] = srcs[i];
      b.cols[n] = cols[i];
      b.offset[n] = offset;
      offset += cols[i];
      largest = cols[i] > largest ? cols[i] : largest;
      ++n;
    }
    if (n == 0) continue;
    dim3 grid(gridFor(outer * largest), unsigned(n));
    concatKernel<<<grid, kThreads, 0, s>>>(b, outer, total, y);
    CN_CUDA_LAUNCH();
  }
}

}  // namespace convnets::cuda
