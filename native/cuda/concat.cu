// Concatenation (kernels.h): the output is [outer, total] and input i fills the column range
// [offset_i, offset_i + cols_i) of every row. Up to 32 inputs go in one launch (their pointers travel in
// the kernel's parameters); blockIdx.y picks the input and a grid-stride loop over x copies its
// outer × cols_i block, with consecutive threads on consecutive columns (coalesced on both sides).
// DenseNet concatenates dozens of inputs per layer, so one launch per input would cost more than the copy.
// The (row, col) of each element is a division: 32-bit when the output has under 2^30 elements, and in
// float4 units when every width and offset is a multiple of 4 (64-bit scalar copies ran at 0.41× PyTorch).
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

// T: float or float4 (then cols, offsets and total are in float4 units); I: the index type.
template <typename T, typename I>
__global__ void concatKernel(ConcatBatch b, int64_t outer, int64_t total, float* __restrict__ y) {
  const int input = blockIdx.y;
  const T* __restrict__ src = reinterpret_cast<const T*>(b.src[input]);
  const I cols = I(b.cols[input]), n = I(outer) * cols, tot = I(total);
  T* dst = reinterpret_cast<T*>(y) + b.offset[input];
  const I stride = I(gridDim.x) * I(blockDim.x);
  for (I i = I(blockIdx.x) * I(blockDim.x) + I(threadIdx.x); i < n; i += stride) {
    const I row = i / cols, col = i - row * cols;
    dst[row * tot + col] = src[i];
  }
}


}  // namespace

void concat(const float* const* srcs, const int64_t* cols, int count, int64_t outer, float* y, cudaStream_t s) {
  int64_t total = 0;
  for (int i = 0; i < count; ++i) total += cols[i];
  if (outer <= 0 || total <= 0) return;
  // float4 units when every input's width, hence every offset and the total, is a multiple of 4 floats
  // and every pointer is 16-byte aligned.
  bool vec = total % 4 == 0 && (reinterpret_cast<uintptr_t>(y) & 15) == 0;
  for (int i = 0; i < count && vec; ++i) vec = cols[i] % 4 == 0 && (reinterpret_cast<uintptr_t>(srcs[i]) & 15) == 0;
  const int64_t unit = vec ? 4 : 1;
  const bool narrow = outer * total < (int64_t(1) << 30);
  int64_t offset = 0;
  for (int first = 0; first < count; first += kMaxInputsPerLaunch) {
    ConcatBatch b{};
    int n = 0;
    int64_t largest = 0;
    for (int i = first; i < count && i < first + kMaxInputsPerLaunch; ++i) {
      if (cols[i] == 0) continue;  // empty inputs contribute nothing
      b.src[n] = srcs[i];
      b.cols[n] = cols[i] / unit;
      b.offset[n] = offset / unit;
      offset += cols[i];
      largest = cols[i] / unit > largest ? cols[i] / unit : largest;
      ++n;
    }
    if (n == 0) continue;
    dim3 grid(gridFor(outer * largest), unsigned(n));
    if (vec && narrow) concatKernel<float4, int32_t><<<grid, kThreads, 0, s>>>(b, outer, total / 4, y);
    else if (vec) concatKernel<float4, int64_t><<<grid, kThreads, 0, s>>>(b, outer, total / 4, y);
    else if (narrow) concatKernel<float, int32_t><<<grid, kThreads, 0, s>>>(b, outer, total, y);
    else concatKernel<float, int64_t><<<grid, kThreads, 0, s>>>(b, outer, total, y);
    CN_CUDA_LAUNCH();
  }
}

}  // namespace convnets::cuda
