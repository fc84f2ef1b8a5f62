#include "cpu/peak_flops.h"

#include <xmmintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>

#include "core/cpu_features.h"
#include "core/threadpool.h"

namespace convnets::cpu {

namespace {

// The generic ISA's yardstick: SSE2 (baseline x86-64, no FMA) multiply then add, 12 independent chains
// of 4 lanes (2 FLOPs per lane per step).
double mulAddLoopSse(int64_t iters) {
  __m128 acc[12];
#pragma GCC unroll 12
  for (int i = 0; i < 12; ++i) acc[i] = _mm_set1_ps(float(i) * 1e-3f);
  const __m128 a = _mm_set1_ps(0.999999f), b = _mm_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it)
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = _mm_add_ps(_mm_mul_ps(acc[i], a), b);
  __m128 s = acc[0];
#pragma GCC unroll 12
  for (int i = 1; i < 12; ++i) s = _mm_add_ps(s, acc[i]);
  volatile float sink = _mm_cvtss_f32(s);
  (void)sink;
  return double(iters) * 12 * 4 * 2;
}

}  // namespace

double peakFlops(int threads) {
  const int before = getNumThreads();
  setNumThreads(threads);
  const Isa isa = activeIsa();
  auto loop = [isa](int64_t iters) {
    if (isa == Isa::Avx512) return fmaLoopAvx512(iters);
    if (isa == Isa::Avx2) return fmaLoopAvx2(iters);
    return mulAddLoopSse(iters);
  };
  // Many short rounds, best one kept: on a shared machine a 4 ms round often runs undisturbed where a
  // long one would not.
  const int64_t iters = 4'000'000;  // ~4 ms per thread at AVX-512 speed
  double best = 0;
  for (int rep = 0; rep < 25; ++rep) {
    std::atomic<double> flops{0};
    auto t0 = std::chrono::steady_clock::now();
    // One index per thread; every index runs exactly once, so the total is threads × one loop.
    parallelFor(threads, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const double f = loop(iters);
        double cur = flops.load();
        while (!flops.compare_exchange_weak(cur, cur + f)) {}
      }
    });
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, flops.load() / s);
  }
  setNumThreads(before);
  return best;
}

}  // namespace convnets::cpu
