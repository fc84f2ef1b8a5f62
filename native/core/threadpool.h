// The core's own thread pool (no OpenMP). One parallel region runs at a time and uses every thread;
// callers from several threads (concurrent inferences) queue in arrival order (a ticket lock).
// Workers spin briefly (bounded) before parking, because waking a sleeping thread costs
// milliseconds on the 2-core CI-class VMs (measured), and never burn a core while idle.
// Denormals are flushed to zero in every worker, and in the caller for the duration of a region.
#pragma once
#include <cstdint>
#include <functional>

namespace convnets {

// fn(begin, end) is called on disjoint chunks covering [0, n); chunks are at least `grain` long.
using RangeFn = std::function<void(int64_t begin, int64_t end)>;

void parallelFor(int64_t n, int64_t grain, const RangeFn& fn);
// Threads a parallel region uses: setNumThreads, else env CONVNETS_NUM_THREADS, else available cores.
int getNumThreads();
void setNumThreads(int n);  // throws when n < 1 or absurdly large

// Sets FTZ/DAZ on this thread and restores the previous mode on destruction (the Node main thread
// must keep IEEE semantics for JavaScript numbers outside our kernels).
class DenormalsFlushed {
 public:
  DenormalsFlushed();
  ~DenormalsFlushed();
  DenormalsFlushed(const DenormalsFlushed&) = delete;
  DenormalsFlushed& operator=(const DenormalsFlushed&) = delete;

 private:
  unsigned saved_;
};

}  // namespace convnets
