#include "core/threadpool.h"

#include <time.h>
#include <xmmintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/error.h"

namespace convnets {

DenormalsFlushed::DenormalsFlushed() : saved_(_mm_getcsr()) {
  _mm_setcsr(saved_ | 0x8040);  // FTZ (bit 15) | DAZ (bit 6)
}
DenormalsFlushed::~DenormalsFlushed() { _mm_setcsr(saved_); }

RegionSplit splitRegion(int64_t n, int64_t grain, int threads) {
  grain = std::max<int64_t>(grain, 1);
  // Units: the most chunks of at least `grain` items. Up to 4 chunks per thread, claimed dynamically:
  // a thread slowed down (preempted, a cold cache) hands its later chunks to the others.
  const int64_t units = std::max<int64_t>(1, n / grain);
  const int64_t p0 = std::min<int64_t>(std::max(threads, 1), units);
  const int64_t chunk = (n + std::min(units, p0 * 4) - 1) / std::min(units, p0 * 4);
  const int64_t chunks = (n + chunk - 1) / chunk;
  // Fewest threads that finish in the same number of rounds, each with at least one chunk: 20 chunks
  // on 16 threads take two rounds either way, so 10 threads do it, not 16 (six threads woken, and
  // waited for at the barrier, for nothing).
  const int64_t p = std::min(p0, chunks), rounds = (chunks + p - 1) / p;
  return {(chunks + rounds - 1) / rounds, chunk, chunks};
}

namespace {

thread_local bool tInRegion = false;

// How long an idle worker (and a caller waiting for the region's last chunk) spins before sleeping.
// Long enough to bridge the gap between two layers of one inference, short enough not to burn a core
// between requests. Workers a region does not need are not woken, so they park after this window.
constexpr auto kSpin = std::chrono::microseconds(500);

int64_t threadCpuNs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

int defaultThreads() {
  if (const char* env = std::getenv("CONVNETS_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n >= 1 && n <= 1024) return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw ? int(hw) : 1;
}

// Spins on `ready` for at most kSpin (reading the clock every 64 pauses), true when it became true.
// After the first kHotSpin it yields the core between checks: the next region usually comes within
// microseconds, and later in the window a spinner that shares a core (more threads than cores, another
// process, the other hyperthread) must not take it from a thread that is doing a region's work. On 2
// cores with 8 threads, pure spinning made a GoogLeNet-like step sequence 2× slower than yielding.
constexpr auto kHotSpin = std::chrono::microseconds(50);
template <class Ready>
bool spinFor(Ready ready) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 1;; ++i) {
    if (ready()) return true;
    _mm_pause();
    if (i % 64 == 0) {
      const auto spun = std::chrono::steady_clock::now() - start;
      if (spun >= kSpin) return ready();
      if (spun >= kHotSpin) std::this_thread::yield();
    }
  }
}

// One worker's mailbox, on its own cache lines: a region is posted to exactly the workers it uses, and
// each spins on its own line (not on one word shared by every thread).
struct alignas(64) Mailbox {
  std::atomic<uint64_t> posted{0};  // generation of the last region (or stop) posted to this worker
  std::atomic<bool> parked{false};
  std::mutex mu;
  std::condition_variable cv;

  // Dekker-style handshake with wait(): the poster stores `posted` then reads `parked`, the worker
  // stores `parked` then reads `posted` (all seq_cst), so at least one of them sees the other.
  void post(uint64_t gen) {
    posted.store(gen);
    if (parked.load()) {
      std::lock_guard<std::mutex> lock(mu);
      cv.notify_one();
    }
  }
  uint64_t wait(uint64_t seen) {
    if (!spinFor([&] { return posted.load(std::memory_order_acquire) != seen; })) {
      std::unique_lock<std::mutex> lock(mu);
      parked.store(true);
      cv.wait(lock, [&] { return posted.load() != seen; });
      parked.store(false);
    }
    return posted.load(std::memory_order_acquire);
  }
};

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
    if (tInRegion) {  // nested: run here, inside the parent's chunk
      fn(0, n);
      return;
    }
    const bool tracing = tracing_.load(std::memory_order_relaxed);
    const auto t0 = tracing ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    RegionSplit s{1, n, 1};
    if (threads_ > 1 && n > grain) s = splitRegion(n, grain, threads_);
    if (s.threads == 1) {  // one thread or too little work: run here (regions inside it may still fan out)
      DenormalsFlushed ftz;
      const int64_t c0 = tracing ? threadCpuNs() : 0;
      fn(0, n);
      if (tracing) cpuNs_.store(threadCpuNs() - c0, std::memory_order_relaxed);
    } else {
      Ticket t(*this);
      DenormalsFlushed ftz;
      s = splitRegion(n, grain, threads_);  // threads_ may have changed while this caller queued
      region(n, s, fn);
    }
    if (tracing) {
      const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
      std::lock_guard<std::mutex> lock(traceMu_);
      if (tracing_.load(std::memory_order_relaxed))
        trace_.push_back({n, grain, s.threads, s.chunks, ns, cpuNs_.load(std::memory_order_relaxed)});
    }
  }

  void trace(bool on, bool serial) {
    Ticket t(*this);  // not in the middle of a region
    std::lock_guard<std::mutex> lock(traceMu_);
    trace_.clear();
    tracing_.store(on);
    serial_ = on && serial;
  }
  std::vector<RegionRecord> takeTrace() {
    std::lock_guard<std::mutex> lock(traceMu_);
    std::vector<RegionRecord> out;
    out.swap(trace_);
    return out;
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

  // Runs one region on the caller and workers 0 … s.threads − 2 (the lowest-numbered ones: small
  // regions keep reusing the same few warm workers while the others park).
  void region(int64_t n, const RegionSplit& s, const RangeFn& fn) {
    fn_ = &fn;
    n_ = n;
    chunk_ = s.chunk;
    chunks_ = s.chunks;
    error_ = nullptr;
    done_.store(0, std::memory_order_relaxed);
    cpuNs_.store(0, std::memory_order_relaxed);
    const uint64_t gen = ++generation_;
    // Publishing the claim word (generation, chunk count, next chunk 0) with release makes fn_, n_
    // and chunk_ visible to any thread whose claim on it succeeds.
    claim_.store((gen & 0xFFFFFFFFu) << 32 | uint64_t(chunks_) << 16, std::memory_order_release);
    for (int64_t i = 0; i + 1 < s.threads && !serial_; ++i) mail_[size_t(i)]->post(gen);
    if (serial_) {  // traced, serial: the caller's CPU time is the region's work (one clock read pair)
      const int64_t c0 = threadCpuNs();
      work(gen);
      cpuNs_.store(threadCpuNs() - c0, std::memory_order_relaxed);
    } else {
      work(gen);
    }
    // Wait only for chunks that workers claimed and have not finished. A worker that has not woken
    // up yet claims nothing (the caller took its share), so a descheduled thread on a loaded machine
    // does not stall the region; when it wakes, the generation in the claim word tells it the region
    // is over. Spin briefly, then sleep until the last chunk's finisher wakes us.
    if (!spinFor([&] { return done_.load(std::memory_order_acquire) == chunks_; })) {
      std::unique_lock<std::mutex> lock(doneMu_);
      callerParked_.store(true);
      doneCv_.wait(lock, [&] { return done_.load() == chunks_; });
      callerParked_.store(false);
    }
    fn_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

  void start(int threads) {
    threads_ = threads;
    quit_ = false;
    for (int i = 1; i < threads; ++i) mail_.push_back(std::make_unique<Mailbox>());
    // The generation is read here, not in the new thread: a region (or stop) may be posted before
    // the thread first runs, and it must still see that as new work.
    const uint64_t seen = generation_;
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i, seen] { loop(*mail_[size_t(i - 1)], seen); });
  }
  void stop() {
    quit_ = true;
    const uint64_t gen = ++generation_;
    for (auto& m : mail_) m->post(gen);
    for (auto& w : workers_) w.join();
    workers_.clear();
    mail_.clear();
  }

  // Claims chunks (compare-and-swap on the claim word) of region `gen` until none are left; the first
  // exception is kept for the caller. A claim can only succeed for the region now running: the caller
  // publishes a new region only after every chunk of the previous one is done.
  void work(uint64_t gen) {
    tInRegion = true;
    uint64_t c = claim_.load(std::memory_order_acquire);
    for (;;) {
      const uint64_t next = c & 0xFFFF, count = (c >> 16) & 0xFFFF;
      if ((c >> 32) != (gen & 0xFFFFFFFFu) || next >= count) break;  // over, or another region's word
      if (!claim_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      const int64_t begin = int64_t(next) * chunk_;
      const bool tracing = tracing_.load(std::memory_order_relaxed) && !serial_;
      const int64_t c0 = tracing ? threadCpuNs() : 0;
      try {
        (*fn_)(begin, std::min(begin + chunk_, n_));
      } catch (...) {
        std::lock_guard<std::mutex> lock(errorMu_);
        if (!error_) error_ = std::current_exception();
      }
      if (tracing) cpuNs_.fetch_add(threadCpuNs() - c0, std::memory_order_relaxed);
      if (done_.fetch_add(1) + 1 == chunks_ && callerParked_.load()) {
        std::lock_guard<std::mutex> lock(doneMu_);
        doneCv_.notify_one();
      }
      c = claim_.load(std::memory_order_acquire);
    }
    tInRegion = false;
  }

  void loop(Mailbox& m, uint64_t seen) {
    _mm_setcsr(_mm_getcsr() | 0x8040);  // flush denormals for this worker's whole life
    for (;;) {
      seen = m.wait(seen);
      if (quit_) return;
      work(seen);
    }
  }

  int threads_ = 1;
  std::vector<std::thread> workers_;
  std::vector<std::unique_ptr<Mailbox>> mail_;  // mail_[i]: worker i's
  uint64_t generation_ = 0;                      // regions posted (only the caller holding the ticket writes it)
  std::atomic<bool> quit_{false};
  const RangeFn* fn_ = nullptr;
  int64_t n_ = 0, chunk_ = 1, chunks_ = 0;
  // Claim word: generation (high 32 bits) | chunk count (16 bits) | next unclaimed chunk (16 bits).
  alignas(64) std::atomic<uint64_t> claim_{0};
  alignas(64) std::atomic<int64_t> done_{0};  // chunks finished in the current region
  std::atomic<bool> callerParked_{false};
  std::mutex doneMu_;
  std::condition_variable doneCv_;
  std::mutex errorMu_;
  std::exception_ptr error_;
  std::mutex callMu_;
  std::condition_variable callCv_;
  uint64_t nextTicket_ = 0, serving_ = 0;
  std::atomic<bool> tracing_{false};
  std::atomic<int64_t> cpuNs_{0};  // traced: CPU time of the current region's chunks
  std::atomic<bool> serial_{false};  // traced: the caller runs every chunk (poolTrace)
  std::mutex traceMu_;
  std::vector<RegionRecord> trace_;
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
void poolTrace(bool on, bool serial) { pool().trace(on, serial); }
std::vector<RegionRecord> poolTraceTake() { return pool().takeTrace(); }

}  // namespace convnets
