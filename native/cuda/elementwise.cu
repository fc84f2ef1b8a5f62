// Elementwise kernels: memory-bound grid-stride loops. Tensors start at the start of a pooled cudaMalloc
// block (256-byte aligned), so the bulk goes as float4 and a scalar loop finishes the last n % 4.
#include "cuda/check.h"
#include "cuda/kernels.h"
#include "cuda/launch.cuh"

namespace convnets::cuda {
namespace {

bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

__global__ void reluKernel(const float* x, float* y, int64_t n, bool vec) {
  int64_t stride = int64_t(gridDim.x) * blockDim.x;
  int64_t i0 = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  int64_t n4 = vec ? n / 4 : 0;
  for (int64_t i = i0; i < n4; i += stride) {
    float4 v = reinterpret_cast<const float4*>(x)[i];
    v.x = reluf(v.x); v.y = reluf(v.y); v.z = reluf(v.z); v.w = reluf(v.w);
    reinterpret_cast<float4*>(y)[i] = v;
  }
  for (int64_t i = n4 * 4 + i0; i < n; i += stride) y[i] = reluf(x[i]);
}

__global__ void addKernel(const float* a, const float* b, float* y,
                          int64_t n, bool relu, bool vec) {
  int64_t stride = int64_t(gridDim.x) * blockDim.x;
  int64_t i0 = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  int64_t n4 = vec ? n / 4 : 0;
  for (int64_t i = i0; i < n4; i += stride) {
    float4 u = reinterpret_cast<const float4*>(a)[i];
    float4 v = reinterpret_cast<const float4*>(b)[i];
    float4 r = make_float4(u.x + v.x, u.y + v.y, u.z + v.z, u.w + v.w);
    if (relu) { r.x = reluf(r.x); r.y = reluf(r.y); r.z = reluf(r.z); r.w = reluf(r.w); }
    reinterpret_cast<float4*>(y)[i] = r;
  }
  for (int64_t i = n4 * 4 + i0; i < n; i += stride) {
    float r = a[i] + b[i];
    y[i] = relu ? reluf(r) : r;
  }
}

__global__ void fillKernel(float* y, float value, int64_t n) {
  int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) y[i] = value;
}

// The same generator as core/random.h (splitmix64, top 24 bits as a float), usable on the device.
__host__ __device__ __forceinline__ uint64_t mix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

__global__ void dropoutKernel(const float* x, float* y, int64_t n, float p, float scale, uint64_t key) {
  int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const float u = float(mix64(key ^ uint64_t(i)) >> 40) * (1.0f / 16777216.0f);
    y[i] = u >= p ? x[i] * scale : 0.0f;
  }
}

}  // namespace

void relu(const float* x, float* y, int64_t n, cudaStream_t s) {
  if (n <= 0) return;
  bool vec = aligned16(x) && aligned16(y);
  reluKernel<<<gridFor(vec ? (n + 3) / 4 : n), kThreads, 0, s>>>(x, y, n, vec);
  CN_CUDA_LAUNCH();
}

void add(const float* a, const float* b, float* y, int64_t n, bool relu, cudaStream_t s) {
  if (n <= 0) return;
  bool vec = aligned16(a) && aligned16(b) && aligned16(y);
  addKernel<<<gridFor(vec ? (n + 3) / 4 : n), kThreads, 0, s>>>(a, b, y, n, relu, vec);
  CN_CUDA_LAUNCH();
}

void fill(float* y, float value, int64_t n, cudaStream_t s) {
  if (n <= 0) return;
  fillKernel<<<gridFor(n), kThreads, 0, s>>>(y, value, n);
  CN_CUDA_LAUNCH();
}

void dropout(const float* x, float* y, int64_t n, float p, uint64_t seed, cudaStream_t s) {
  if (n <= 0) return;
  const float scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;  // as the CPU kernel computes it
  dropoutKernel<<<gridFor(n), kThreads, 0, s>>>(x, y, n, p, scale, mix64(seed));
  CN_CUDA_LAUNCH();
}

}  // namespace convnets::cuda
