// The workspace allocator inside a parallel region: every chunk of the GEMM-conv, implicit-GEMM and
// Winograd regions takes a CpuBuffer and gives it back, through the one mutex of the CPU cache. This
// measures what one take+give costs when the cache's exact-size free list holds the blocks of a region
// of 4·T chunks freed by T other threads (the list the lock holder walks looking for its own block),
// single-threaded: the time every other thread waits per chunk when they contend.
//   bench/pool/alloc-bench.sh
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "core/allocator.h"

using Clock = std::chrono::steady_clock;

int main() {
  const size_t bytes = 96 * 1024;  // a packed column block: 32 columns × 768 deep (one chunk's `cols`)
  for (int T : {2, 4, 8, 16, 32, 64}) {
    convnets::emptyCache();
    // T threads each free 4 blocks of the size (one region's chunks), tagged with their thread.
    std::vector<std::thread> ts;
    for (int t = 0; t < T; ++t)
      ts.emplace_back([&] {
        std::vector<void*> mine;
        for (int i = 0; i < 4; ++i) mine.push_back(convnets::cpuAllocate(bytes));
        for (void* p : mine) convnets::cpuFree(p, bytes);
      });
    for (auto& t : ts) t.join();
    // This thread's own block sits behind all of theirs: the walk a late thread makes.
    convnets::cpuFree(convnets::cpuAllocate(bytes), bytes);
    const int reps = 20000;
    auto t0 = Clock::now();
    for (int r = 0; r < reps; ++r) convnets::cpuFree(convnets::cpuAllocate(bytes), bytes);
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / reps;
    std::printf("{\"threads\":%d,\"listLength\":%d,\"takeGiveNs\":%.1f,\"perRegionSerialUs\":%.2f}\n", T, 4 * T + 1, ns,
                ns * 4 * T / 1e3);
  }
  return 0;
}
