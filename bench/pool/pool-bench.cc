// Micro-benchmark of the thread pool alone (no kernels): what one parallel region costs at each thread
// count, for the regions a network at batch 1 really issues. Built and run by bench/pool/pool-bench.sh,
// once against the pool in this tree and once against an older one (git ref), so both are measured
// with the same harness on the same machine. Output: one JSON line per case (bench/pool-model.ts reads
// them to calibrate its model).
//   case "empty":   back-to-back regions of 4·T chunks that do nothing (hand-off + claims + barrier)
//   case "4chunks": back-to-back regions of 4 chunks of ~2 µs work (a 7×7 layer's step on T threads)
//   case "parked":  the same 4 chunks after 2 ms idle (workers have parked: the wake-up cost)
//   case "net":     a GoogLeNet-like sequence: regions of 4…256 units of 0.5–8 µs (see mix below)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "core/threadpool.h"

using convnets::parallelFor;
using Clock = std::chrono::steady_clock;

namespace {

volatile float gSink;
double gItersPerUs = 0;

// Compute, not wall time: a descheduled thread must not count as having worked.
void busy(double us) {
  float a = 1.0f, b = 1.0000001f;
  const int64_t iters = int64_t(us * gItersPerUs);
  for (int64_t i = 0; i < iters; ++i) a = a * b + 1e-9f;
  gSink = a;
}

void calibrate() {
  gItersPerUs = 1000;
  double best = 1e30;
  for (int r = 0; r < 5; ++r) {
    auto t0 = Clock::now();
    busy(10000);
    best = std::min(best, std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  gItersPerUs = 1000 * 10000 / best;
}

template <class F>
double medianUs(int reps, F region) {
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    auto t0 = Clock::now();
    region();
    t.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  std::nth_element(t.begin(), t.begin() + t.size() / 2, t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const std::string label = argc > 1 ? argv[1] : "pool";
  std::vector<int> counts = {1, 2, 3, 4, 7, 8, 16, 32, 64};
  if (argc > 2 && label != "calibrate") {
    counts.clear();
    for (int i = 2; i < argc; ++i) counts.push_back(std::atoi(argv[i]));
  }
  // Every binary of one comparison must burn the same work per "µs": calibrate once (argument
  // "calibrate" prints it), pass it to all of them (env POOL_BENCH_ITERS_PER_US).
  calibrate();
  if (label == "calibrate") {
    std::printf("%.3f\n", gItersPerUs);
    return 0;
  }
  if (const char* v = std::getenv("POOL_BENCH_ITERS_PER_US")) gItersPerUs = std::atof(v);
  for (int T : counts) {
    convnets::setNumThreads(T);
    for (int i = 0; i < 200; ++i) parallelFor(4 * T, 1, [](int64_t, int64_t) {});  // warm the workers
    const double empty = medianUs(4000, [&] { parallelFor(4 * T, 1, [](int64_t, int64_t) {}); });
    const double four = medianUs(2000, [&] { parallelFor(4, 1, [](int64_t b, int64_t e) { busy(2.0 * double(e - b)); }); });
    const double parked = medianUs(100, [&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      parallelFor(4, 1, [](int64_t b, int64_t e) { busy(2.0 * double(e - b)); });
    });
    // A network's worth of small steps: per "layer" one region of `units` chunks of `us` each.
    struct Step { int units; double us; };
    const Step mix[] = {{256, 1.0}, {64, 4.0}, {16, 8.0}, {8, 2.0}, {4, 0.5}, {32, 2.0}, {128, 0.5}, {12, 6.0}};
    double serial = 0;
    for (const Step& s : mix) serial += s.units * s.us;
    const double net = medianUs(400, [&] {
      for (const Step& s : mix) parallelFor(s.units, 1, [&](int64_t b, int64_t e) { busy(s.us * double(e - b)); });
    });
    std::printf("{\"pool\":\"%s\",\"threads\":%d,\"cores\":%u,\"emptyUs\":%.3f,\"fourChunksUs\":%.3f,\"parkedUs\":%.3f,"
                "\"netUs\":%.3f,\"netSerialUs\":%.3f}\n",
                label.c_str(), T, std::thread::hardware_concurrency(), empty, four, parked, net, serial);
    std::fflush(stdout);
  }
  return 0;
}
