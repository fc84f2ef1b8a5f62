// The core's own thread pool (no OpenMP). One parallel region runs at a time; callers from several
// threads (concurrent inferences) queue in arrival order (a ticket lock), so concurrent plans share the
// threads and never oversubscribe the cores. Each region uses only as many threads as its work can feed
// (splitRegion): the caller plus the lowest-numbered workers, each woken through its own mailbox, so a
// small region never wakes, nor waits at a barrier for, threads it has no work for.
// Workers spin briefly (bounded) before parking, because waking a sleeping thread costs milliseconds
// on the 2-core CI-class VMs (measured), and never burn a core while idle; the caller waiting for the
// region's last chunk also spins only briefly before sleeping.
// Denormals are flushed to zero in every worker, and in the caller for the duration of a region.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

namespace convnets {

// fn(begin, end) is called on disjoint chunks covering [0, n); chunks are at least `grain` long
// (the last may be shorter when n is not a multiple). Exceptions reach the caller (the first one).
// Called from inside a region, it runs inline on the calling thread.
using RangeFn = std::function<void(int64_t begin, int64_t end)>;

void parallelFor(int64_t n, int64_t grain, const RangeFn& fn);
// Threads a parallel region uses: setNumThreads, else env CONVNETS_NUM_THREADS, else available cores.
int getNumThreads();
void setNumThreads(int n);  // throws when n < 1 or absurdly large

// How a region of n items, in chunks of at least `grain`, is spread over at most `threads` threads:
// `threads` participants (the caller included) claim `chunks` chunks of `chunk` items (the last one
// may be shorter). Exposed for tests and the pool model (bench/pool-model.ts mirrors it).
struct RegionSplit {
  int64_t threads, chunk, chunks;
};
RegionSplit splitRegion(int64_t n, int64_t grain, int threads);

// Records of the parallel regions started while tracing is on (bench/: regions per network, their
// sizes and times). Top-level regions only; nested ones run inline inside their parent's record.
struct RegionRecord {
  int64_t n, grain, threads, chunks;  // threads 1: ran inline (one thread, or n <= grain)
  int64_t ns;     // wall time of the region, on the caller
  int64_t cpuNs;  // CPU time its chunks took, summed over threads (the work done, waits excluded)
};
// on: clears the log and starts recording. serial: every region is split as for getNumThreads() threads
// but the caller runs all its chunks itself (the work a partitioning does, measured without
// oversubscription on a machine with fewer cores than threads).
void poolTrace(bool on, bool serial = false);
std::vector<RegionRecord> poolTraceTake();  // the records so far (the log is cleared)

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
