#include "graph/run_queue.h"

#include <pthread.h>
#include <xmmintrin.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace convnets {
namespace {

struct Lane {
  std::deque<std::function<void()>> jobs;
  std::condition_variable cv;
  bool running = false;
};

class RunQueue {
 public:
  void submit(const std::string& name, std::function<void()> job) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& lane = lanes_[name];
    if (!lane) {
      lane = std::make_unique<Lane>();
      Lane* l = lane.get();
      // Detached and never joined, like the core pool's workers: a lane outlives every JS environment.
      std::thread([this, l, name] { loop(*l, name); }).detach();
    }
    lane->jobs.push_back(std::move(job));
    lane->cv.notify_one();
  }

  RunQueueStats stats() {
    std::lock_guard<std::mutex> lock(mu_);
    RunQueueStats s;
    for (auto& [_, lane] : lanes_) {
      s.queued += int64_t(lane->jobs.size());
      s.running += lane->running ? 1 : 0;
      s.lanes += 1;
    }
    return s;
  }

 private:
  void loop(Lane& lane, const std::string& name) {
    pthread_setname_np(pthread_self(), ("cn-run-" + name).substr(0, 15).c_str());
    _mm_setcsr(_mm_getcsr() | 0x8040);  // FTZ | DAZ: this thread runs only our kernels
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      lane.cv.wait(lock, [&] { return !lane.jobs.empty(); });
      std::function<void()> job = std::move(lane.jobs.front());
      lane.jobs.pop_front();
      lane.running = true;
      lock.unlock();
      try {
        job();
      } catch (...) {
        // A job settles its own promise; one that throws past that must not end the lane or the process.
      }
      job = nullptr;  // release what the job captured before waiting again
      lock.lock();
      lane.running = false;
    }
  }

  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Lane>> lanes_;
};

RunQueue& queue() {
  static RunQueue* q = new RunQueue();  // never destroyed: lane threads may still be parked at exit
  return *q;
}

}  // namespace

void submitRun(const std::string& lane, std::function<void()> job) { queue().submit(lane, std::move(job)); }
RunQueueStats runQueueStats() { return queue().stats(); }

}  // namespace convnets
