// Launch helpers shared by the .cu files: grid sizes for grid-stride loops and small device utilities.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

namespace convnets::cuda {

constexpr int kThreads = 256;

// Blocks for a grid-stride loop over n items with `threads` per block: enough to fill any GPU, capped so
// the grid stays far below the 2^31-1 limit of gridDim.x (the loop covers the rest). n > 0.
inline unsigned gridFor(int64_t n, int threads = kThreads) {
  int64_t blocks = (n + threads - 1) / threads;
  const int64_t cap = int64_t(1) << 20;
  return unsigned(blocks < 1 ? 1 : (blocks > cap ? cap : blocks));
}

// Largest gridDim.y / gridDim.z; launches over more split into chunks.
constexpr int64_t kMaxGridYZ = 65535;

__device__ __forceinline__ float reluf(float v) { return v > 0.0f ? v : 0.0f; }

}  // namespace convnets::cuda
