#include "cpu/peak_flops.h"

#include <algorithm>
#include <chrono>

#include "core/cpu_features.h"
#include "core/threadpool.h"

namespace convnets::cpu {

double peakFlops(int threads) {
  const int before = getNumThreads();
  setNumThreads(threads);
  const Isa isa = activeIsa();
  auto loop = [isa](int64_t iters) {
    if (isa == Isa::Avx512) return fmaLoopAvx512(iters);
    if (isa == Isa::Avx2) return fmaLoopAvx2(iters);
    return 0.0;  // no FMA: the generic path has no meaningful peak
  };
  // Many short rounds, best one kept: on a shared machine a 4 ms round often runs undisturbed where a
  // long one would not.
  const int64_t iters = 4'000'000;  // ~4 ms per thread at AVX-512 speed
  double best = 0;
  for (int rep = 0; rep < 25; ++rep) {
    auto t0 = std::chrono::steady_clock::now();
    // One index per thread; every index runs exactly once, so the total is threads × one loop.
    parallelFor(threads, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) loop(iters);
    });
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, threads * (isa == Isa::Avx512 ? 16.0 : 8.0) * 12 * 2 * double(iters) / s);
  }
  setNumThreads(before);
  return best;
}

}  // namespace convnets::cpu
