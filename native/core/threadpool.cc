#include "core/threadpool.h"

#include <xmmintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "core/error.h"

namespace convnets {

DenormalsFlushed::DenormalsFlushed() : saved_(_mm_getcsr()) {
  _mm_setcsr(saved_ | 0x8040);  // FTZ (bit 15) | DAZ (bit 6)
}
DenormalsFlushed::~DenormalsFlushed() { _mm_setcsr(saved_); }

namespace {

thread_local bool tInRegion = false;

// How long an idle worker spins before parking on a condition variable. Long enough to bridge the
// gap between two layers of one inference, short enough not to burn a core between requests.
constexpr auto kSpin = std::chrono::microseconds(500);

int defaultThreads() {
  if (const char* env = std::getenv("CONVNETS_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n >= 1 && n <= 1024) return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw ? int(hw) : 1;
}

class Pool {
 public:
  explicit Pool(int threads) { start(threads); }
  ~Pool() { stop(); }

  int threads() const { return threads_; }

  void resize(int threads) {
    Ticket t(*this);
    if (threads == threads_) return;
    stop();
    start(threads);
  }

  void run(int64_t n, int64_t grain, const RangeFn& fn) {
    if (n <= 0) return;
    grain = std::max<int64_t>(grain, 1);
    if (tInRegion || threads_ == 1 || n <= grain) {  // nested, single-threaded or tiny: run here
      DenormalsFlushed ftz;
      fn(0, n);
      return;
    }
    Ticket t(*this);
    DenormalsFlushed ftz;
    const int64_t chunks = std::min<int64_t>((n + grain - 1) / grain, int64_t(threads_) * 4);
    fn_ = &fn;
    n_ = n;
    chunk_ = (n + chunks - 1) / chunks;
    chunks_ = (n + chunk_ - 1) / chunk_;
    error_ = nullptr;
    done_.store(0, std::memory_order_relaxed);
    // Publishing the claim word (generation, chunk count, next chunk 0) with release makes fn_, n_
    // and chunk_ visible to any thread whose claim on it succeeds.
    const uint64_t gen = (generation_.load(std::memory_order_relaxed) + 1) & 0xFFFFFFFFu;
    claim_.store(gen << 32 | uint64_t(chunks_) << 16, std::memory_order_release);
    {
      std::lock_guard<std::mutex> lock(mu_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    work();
    // Wait only for chunks that workers claimed and have not finished. A worker that has not woken
    // up yet claims nothing (the caller took its share), so a descheduled thread on a loaded machine
    // no longer stalls the region. Spin briefly, then yield the core to whoever holds a chunk.
    auto until = std::chrono::steady_clock::now() + kSpin;
    while (done_.load(std::memory_order_acquire) != chunks_) {
      if (std::chrono::steady_clock::now() < until) _mm_pause();
      else std::this_thread::yield();
    }
    fn_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  // FIFO admission of callers: one region at a time, served in arrival order.
  struct Ticket {
    Pool& p;
    explicit Ticket(Pool& pool) : p(pool) {
      std::unique_lock<std::mutex> lock(p.callMu_);
      uint64_t mine = p.nextTicket_++;
      p.callCv_.wait(lock, [&] { return p.serving_ == mine; });
    }
    ~Ticket() {
      std::lock_guard<std::mutex> lock(p.callMu_);
      p.serving_ += 1;
      p.callCv_.notify_all();
    }
  };

  void start(int threads) {
    threads_ = threads;
    quit_ = false;
    // The generation is read here, not in the new thread: a region (or stop) may begin before the
    // thread first runs, and it must still see that as new work.
    uint64_t seen = generation_.load(std::memory_order_acquire);
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, seen] { loop(seen); });
  }
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      quit_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  // Claims chunks (compare-and-swap on the claim word) until none are left; the first exception is
  // kept for the caller. A claim can only succeed for the region now running: the caller publishes a
  // new region only after every chunk of the previous one is done.
  void work() {
    tInRegion = true;
    uint64_t c = claim_.load(std::memory_order_acquire);
    for (;;) {
      const uint64_t next = c & 0xFFFF, count = (c >> 16) & 0xFFFF;
      if (next >= count) break;
      if (!claim_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      const int64_t begin = int64_t(next) * chunk_;
      try {
        (*fn_)(begin, std::min(begin + chunk_, n_));
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu_);
        if (!error_) error_ = std::current_exception();
      }
      done_.fetch_add(1, std::memory_order_acq_rel);
      c = claim_.load(std::memory_order_acquire);
    }
    tInRegion = false;
  }

  void loop(uint64_t seen) {
    _mm_setcsr(_mm_getcsr() | 0x8040);  // flush denormals for this worker's whole life
    for (;;) {
      auto until = std::chrono::steady_clock::now() + kSpin;
      while (generation_.load(std::memory_order_acquire) == seen && std::chrono::steady_clock::now() < until)
        _mm_pause();
      if (generation_.load(std::memory_order_acquire) == seen) {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      }
      seen = generation_.load(std::memory_order_acquire);
      if (quit_) return;
      work();
    }
  }

  int threads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> quit_{false};
  const RangeFn* fn_ = nullptr;
  int64_t n_ = 0, chunk_ = 1, chunks_ = 0;
  // Claim word: generation (high 32 bits) | chunk count (16 bits) | next unclaimed chunk (16 bits).
  std::atomic<uint64_t> claim_{0};
  std::atomic<int64_t> done_{0};  // chunks finished in the current region
  std::exception_ptr error_;
  std::mutex callMu_;
  std::condition_variable callCv_;
  uint64_t nextTicket_ = 0, serving_ = 0;
};

Pool& pool() {
  static Pool* p = new Pool(defaultThreads());  // never destroyed: workers must not be joined at exit
  return *p;
}

}  // namespace

void parallelFor(int64_t n, int64_t grain, const RangeFn& fn) { pool().run(n, grain, fn); }
int getNumThreads() { return pool().threads(); }
void setNumThreads(int n) {
  CN_CHECK(n >= 1 && n <= 1024, "setNumThreads: expected an integer from 1 to 1024, got ", n);
  pool().resize(n);
}

}  // namespace convnets
