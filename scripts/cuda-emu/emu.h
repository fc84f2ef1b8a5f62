// CPU emulation of CUDA kernels, for checking kernel logic on a machine without a GPU (this project's
// build machines): one std::thread per CUDA thread, blocks run one at a time, __shared__ = static (shared by
// the block's threads), __syncthreads = a block barrier, warp shuffles through a per-warp barrier.
// Kernel source is pasted in by scripts/cuda-emu/run.sh (the text between `namespace {` and
// `}  // namespace` of each .cu). It checks indexing and synchronisation logic, not performance, and not
// what only hardware does (memory model subtleties, real warp divergence).
#pragma once
#include <algorithm>
#include <array>
#include <barrier>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <thread>
#include <vector>

struct float4 { float x, y, z, w; };
struct uint4 { uint32_t x, y, z, w; };
inline uint4 make_uint4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) { return {a, b, c, d}; }
inline float4 make_float4(float a, float b, float c, float d) { return {a, b, c, d}; }
struct dim3 { unsigned x = 1, y = 1, z = 1; };
inline thread_local dim3 threadIdx, blockIdx;
inline dim3 blockDim, gridDim;
inline std::barrier<>* blockBarrier;
inline std::vector<std::unique_ptr<std::barrier<>>> warpBarriers;
inline float warpBuf[32][32];
inline void __syncthreads() { blockBarrier->arrive_and_wait(); }
template <class Pick>
float warpExchange(float v, Pick pick) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  warpBuf[warp][lane] = v;
  warpBarriers[warp]->arrive_and_wait();
  const int src = pick(lane);
  const float r = src >= 0 && src < 32 ? warpBuf[warp][src] : v;
  warpBarriers[warp]->arrive_and_wait();
  return r;
}
inline float __shfl_down_sync(unsigned, float v, int off) { return warpExchange(v, [=](int l) { return l + off; }); }
inline float __shfl_xor_sync(unsigned, float v, int off) { return warpExchange(v, [=](int l) { return l ^ off; }); }
inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
inline float reluf(float v) { return v > 0.0f ? v : 0.0f; }
using std::max;
using std::min;
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))
#define __restrict__
#define CN_CHECK(...) do {} while (0)
constexpr int kThreads = 256;

template <class F>
void launch(dim3 grid, int threads, F kernel) {
  gridDim = grid;
  blockDim = dim3{unsigned(threads), 1, 1};
  for (unsigned z = 0; z < grid.z; ++z)
    for (unsigned y = 0; y < grid.y; ++y)
      for (unsigned x = 0; x < grid.x; ++x) {
        std::barrier<> bar(threads);
        blockBarrier = &bar;
        warpBarriers.clear();
        for (int w = 0; w < threads / 32; ++w) warpBarriers.push_back(std::make_unique<std::barrier<>>(32));
        std::vector<std::thread> ts;
        for (int t = 0; t < threads; ++t)
          ts.emplace_back([=] {
            threadIdx = dim3{unsigned(t), 0, 0};
            blockIdx = dim3{x, y, z};
            kernel();
          });
        for (auto& t : ts) t.join();
      }
}


inline std::mt19937 gen(7);
inline std::vector<float> rnd(size_t n, float lo = -1, float hi = 1) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = u(gen);
  return v;
}
