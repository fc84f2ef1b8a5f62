// The library's own threads for served runs (plan.run): one FIFO lane per device, each served by one
// thread started on first use. Served inference never occupies libuv's thread pool (which the host's
// fs, dns and zlib share): a Napi::AsyncWorker there held one of its 4 threads per waiting run, and a
// server's fs.readFile went from 6 ms to 672 ms with 16 runs in flight (issue 18).
//
// One thread per lane, not several: a CPU inference already spreads each parallel region over every
// thread of the core's pool (threadpool.h), and concurrent regions queue on its ticket lock, so a second
// runner thread adds no throughput; it only interleaves two runs and delays both. FIFO order is the
// fairness rule: runs start in the order they were submitted. A CUDA lane keeps its device's runs in
// stream order and leaves the CPU lane free. Plain C++: nothing here touches N-API.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

namespace convnets {

// Runs `job` on the lane's thread after every job submitted to that lane before it. The job must not
// throw; if it does anyway, the exception is dropped and the lane carries on with the next job.
void submitRun(const std::string& lane, std::function<void()> job);

struct RunQueueStats {
  int64_t queued = 0;   // submitted, not started, over all lanes
  int64_t running = 0;  // started, not finished
  int64_t lanes = 0;    // lanes (threads) started so far
};
RunQueueStats runQueueStats();

}  // namespace convnets
