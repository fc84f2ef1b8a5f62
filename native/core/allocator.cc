#include "core/allocator.h"

#include <sys/mman.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/cuda_api.h"
#include "core/error.h"

namespace convnets {
namespace {

constexpr size_t kAlign = 64;
// Freed CPU blocks kept for reuse, at most this many bytes in all (oldest sizes go first).
constexpr int64_t kMaxCachedCpuBytes = int64_t(1) << 30;

// What the cache keeps, and what it gives back (issue 16: a compiled ResNet-50 held 497 MiB of freed weights
// in this cache until the user called emptyCache(), more than onnxruntime's whole footprint).
//
// The cache exists for blocks that are freed and asked for again: activations and workspaces, every run.
// Blocks freed once after living long (a state dict, a module's weights, a disposed plan's prepared weights)
// are not asked for again and should go back to the system. Time is counted in allocations served (the
// allocator's clock, `ticks`), never in wall time, so the policy is deterministic and testable. Three rules:
//
// 1. Steady state (settled()): when a compiled plan has recorded its first run and planned its activation
//    arena, the process has shown a whole run's working set. Blocks born before that run began are the old
//    generation: loading, compiling, the module's weights (some freed during that very run, as the plan lets
//    go of what it no longer needs). The cached ones go back now; blocks born during the run (its workspaces,
//    other threads' eager tensors) stay.
// 2. Old generation, later: a block born before the latest steady-state point and freed after it (the
//    module's weights disposed after a first run, a plan disposed later) goes back on free. Its lifetime
//    spans a whole settle, which no activation or workspace does (each hand-out of a cached block is a birth).
// 3. Idle decay, for processes that never compile (jemalloc's decay, in allocations rather than seconds):
//    a cached block not reused within kIdleAllocations allocations goes back. An eager loop reuses its blocks
//    every forward pass (an output per layer, plus workspaces: far fewer allocations than that window), and
//    memory().cpu.systemAllocations shows it taking nothing new (test/ops/allocator-cache.test.ts).
//
// Rejected: releasing on free by lifetime alone. A state dict lives only as many allocations as it has
// entries (~320 for ResNet-50), no longer than an eager forward's input or output, so no fixed threshold
// tells them apart; the steady-state point does.
constexpr uint64_t kIdleAllocations = uint64_t(1) << 14;
constexpr uint64_t kSweepEvery = 1024;  // rule 3 looks at the cache once per this many allocations
// Blocks under glibc's mmap threshold go back to its heap, which keeps the pages resident: after this many
// bytes went back, malloc_trim hands the free heap pages to the system (not on every free: it walks the heap).
constexpr int64_t kTrimAfterBytes = int64_t(16) << 20;

// Blocks of at least 2 MiB are 2 MiB aligned, whole 2 MiB pages, and asked to be backed by transparent
// huge pages (THP is often in 'madvise' mode). Why: GEMM's packed A block fills half of L2, and with 4 KiB
// pages its physical placement (hence its L2 set conflicts) changed from run to run — 1024³ GEMM measured
// anywhere from 70 % to 81 % of peak across processes; huge pages also spare the TLB on large activations.
constexpr size_t kHugePage = size_t(2) << 20;

size_t roundUp(size_t bytes) {
  size_t n = (bytes + kAlign - 1) / kAlign * kAlign;
  return n >= kHugePage ? (n + kHugePage - 1) / kHugePage * kHugePage : n;
}

void* allocateBlock(size_t n) {
  if (n < kHugePage) return std::aligned_alloc(kAlign, n);
  void* p = std::aligned_alloc(kHugePage, n);
  if (p) madvise(p, n, MADV_HUGEPAGE);  // advice only: failure leaves ordinary pages
  return p;
}

void trimHeap() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

// A small id per thread: which thread freed a cached block.
uint32_t threadTag() {
  static std::atomic<uint32_t> next{0};
  static thread_local const uint32_t tag = next.fetch_add(1, std::memory_order_relaxed);
  return tag;
}

// The one explicit CPU cache: exact-size free lists. Inference repeats the same shapes, so exact
// sizes hit; a bounded total and the rules above keep a long-running server from hoarding memory.
//
// Thread affinity: a block goes preferably back to the thread that freed it. Kernel workspaces are taken
// and freed inside pool tasks, and their lines stay in that core's cache; handed to the other core next
// run, every write to them first pulls the lines across. That is expensive on these VMs: Winograd's
// per-task buffers (transformed input, GEMM results: 1.2 MB on 128×28²→128) changed hands between the
// two threads from run to run, and the layer's input transform took 2× longer on 2 threads than on 1.
struct CpuCache {
  struct Block {
    void* p;
    uint32_t tag;     // the thread that freed it
    uint64_t bornAt;   // ticks when it was last handed out
    uint64_t freedAt;  // ticks when it was freed
  };
  std::mutex mu;
  std::multimap<size_t, Block> free;  // rounded size -> block
  std::unordered_map<void*, uint64_t> born;  // blocks handed out -> ticks when they were
  uint64_t ticks = 0;      // allocations served, hits and misses: the clock of the rules above
  uint64_t oldBefore = 0;  // rule 2: blocks born before this tick go back on free
  int64_t cached = 0;
  int64_t held = 0;  // from the system: live and cached blocks, workspaces included
  int64_t liveBuffers = 0;
  int64_t liveBytes = 0;
  int64_t systemAllocations = 0;  // blocks taken from the system (misses), ever
  int64_t releasedSinceTrim = 0;  // bytes given back since the last malloc_trim

  // Blocks taken out of the books under the lock, freed after it (free() and malloc_trim can be slow).
  struct Released {
    std::vector<void*> blocks;
    bool trim = false;
    void finish() {
      for (void* p : blocks) std::free(p);
      if (trim) trimHeap();
    }
  };
  // Under mu: the cached blocks that `drop` picks go back.
  template <class Pred>
  void releaseLocked(Pred drop, Released& out) {
    for (auto it = free.begin(); it != free.end();) {
      if (drop(it->second)) {
        dropLocked(it->first, it->second.p, out);
        cached -= int64_t(it->first);
        it = free.erase(it);
      } else {
        ++it;
      }
    }
  }
  void dropLocked(size_t n, void* p, Released& out) {
    out.blocks.push_back(p);
    held -= int64_t(n);
    releasedSinceTrim += int64_t(n);
    if (releasedSinceTrim >= kTrimAfterBytes) {
      releasedSinceTrim = 0;
      out.trim = true;
    }
  }

  void* take(size_t bytes) {
    size_t n = roundUp(bytes ? bytes : 1);
    Released released;
    void* p = nullptr;
    uint64_t now;
    {
      std::lock_guard<std::mutex> lock(mu);
      now = ++ticks;
      if (now % kSweepEvery == 0 && now > kIdleAllocations) {
        const uint64_t idleSince = now - kIdleAllocations;
        releaseLocked([&](const Block& b) { return b.freedAt < idleSince; }, released);
      }
      auto [lo, hi] = free.equal_range(n);
      if (lo != hi) {
        auto it = lo;
        const uint32_t me = threadTag();
        while (it != hi && it->second.tag != me) ++it;
        if (it == hi) it = lo;  // none of ours: any block of the size
        p = it->second.p;
        free.erase(it);
        cached -= int64_t(n);
        born[p] = now;
      }
    }
    released.finish();
    if (p) return p;
    p = allocateBlock(n);
    if (!p) {
      release();  // give cached blocks back and try once more
      p = allocateBlock(n);
      if (!p) fail("out of memory: could not allocate ", bytes, " bytes on the CPU");
    }
    std::lock_guard<std::mutex> lock(mu);
    held += int64_t(n);
    systemAllocations += 1;
    born[p] = now;
    return p;
  }
  void give(void* p, size_t bytes) {
    size_t n = roundUp(bytes ? bytes : 1);
    Released released;
    {
      std::lock_guard<std::mutex> lock(mu);
      uint64_t birth = 0;
      auto b = born.find(p);
      if (b != born.end()) {
        birth = b->second;
        born.erase(b);
      }
      if (birth < oldBefore || cached + int64_t(n) > kMaxCachedCpuBytes) {
        dropLocked(n, p, released);
      } else {
        free.emplace(n, Block{p, threadTag(), birth, ticks});
        cached += int64_t(n);
      }
    }
    released.finish();
  }
  // Rule 1 and 2, at a steady-state point; `since`: the tick when the run that showed it began.
  void settled(uint64_t since) {
    // The clock moves on allocations only: blocks freed (or born) at tick `since` came before the run's first
    // allocation (measured: a module disposed right before the first run was freed at exactly `since`).
    const uint64_t cut = since + 1;
    Released released;
    {
      std::lock_guard<std::mutex> lock(mu);
      oldBefore = std::max(oldBefore, cut);
      releaseLocked([&](const Block& b) { return b.bornAt < cut; }, released);
    }
    released.finish();
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& kv : free) {
      std::free(kv.second.p);
      held -= int64_t(kv.first);
    }
    free.clear();
    cached = 0;
    releasedSinceTrim = 0;  // emptyCache() trims the heap itself
  }
};

std::atomic<int64_t>& preparedCounter() {
  static std::atomic<int64_t> bytes{0};
  return bytes;
}

CpuCache& cpuCache() {
  static CpuCache* cache = new CpuCache();  // never destroyed: storages may outlive static destruction
  return *cache;
}

struct CudaCounters {
  std::mutex mu;
  std::map<int, std::pair<int64_t, int64_t>> live;  // device -> (buffers, bytes)
};
CudaCounters& cudaCounters() {
  static CudaCounters* c = new CudaCounters();
  return *c;
}

}  // namespace

// Read at the first allocation: the variable must be set before the addon allocates anything.
bool poisonAllocations() {
  static const bool on = [] {
    const char* v = std::getenv("CONVNETS_POISON");
    return v && *v && std::string(v) != "0";
  }();
  return on;
}

void notePreparedBytes(int64_t delta) { preparedCounter().fetch_add(delta, std::memory_order_relaxed); }

void* cpuAllocate(size_t bytes) {
  void* p = cpuCache().take(bytes);
  if (poisonAllocations()) std::memset(p, 0xFF, bytes);
  return p;
}
void cpuFree(void* p, size_t bytes) { cpuCache().give(p, bytes); }

std::shared_ptr<Storage> Storage::allocate(Device device, size_t bytes) {
  if (device.isCpu()) {
    ArenaLease lease;
    void* arena = arenaAllocate(bytes, lease);
    void* p = arena ? arena : cpuAllocate(bytes);
    auto& c = cpuCache();
    {
      std::lock_guard<std::mutex> lock(c.mu);
      c.liveBuffers += 1;
      c.liveBytes += int64_t(bytes);
    }
    std::shared_ptr<Storage> s(new Storage(device, p, bytes));
    s->lease_ = std::move(lease);
    s->inArena_ = arena != nullptr;
    return s;
  }
  void* p = cudart::deviceAllocate(bytes, device.index);
  auto& c = cudaCounters();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    auto& e = c.live[device.index];
    e.first += 1;
    e.second += int64_t(bytes);
  }
  return std::shared_ptr<Storage>(new Storage(device, p, bytes));
}

Storage::~Storage() {
  attachment_.reset();  // derived data first (it unlinks itself from its cache), then the memory
  if (device_.isCpu()) {
    auto& c = cpuCache();
    {
      std::lock_guard<std::mutex> lock(c.mu);
      c.liveBuffers -= 1;
      c.liveBytes -= int64_t(bytes_);
    }
    arenaRelease(lease_);
    if (!inArena_) cpuFree(data_, bytes_);
    return;
  }
  cudart::deviceFree(data_, bytes_, device_.index);
  auto& c = cudaCounters();
  std::lock_guard<std::mutex> lock(c.mu);
  auto& e = c.live[device_.index];
  e.first -= 1;
  e.second -= int64_t(bytes_);
}

MemoryStats memoryStats(Device device) {
  MemoryStats s;
  if (device.isCpu()) {
    auto& c = cpuCache();
    std::lock_guard<std::mutex> lock(c.mu);
    s.liveBuffers = c.liveBuffers;
    s.liveBytes = c.liveBytes;
    s.cachedBytes = c.cached;
    s.systemAllocations = c.systemAllocations;
    s.preparedBytes = preparedCounter().load(std::memory_order_relaxed);
    return s;
  }
  auto& c = cudaCounters();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.live.find(device.index);
    if (it != c.live.end()) {
      s.liveBuffers = it->second.first;
      s.liveBytes = it->second.second;
    }
  }
  s.cachedBytes = cudart::cachedBytes(device.index);
  return s;
}

int64_t heldBytes() {
  auto& c = cpuCache();
  int64_t cpu;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    cpu = c.held;
  }
  return cpu + cudart::heldBytes();
}

uint64_t cpuAllocationTicks() {
  auto& c = cpuCache();
  std::lock_guard<std::mutex> lock(c.mu);
  return c.ticks;
}

void cpuCacheSettled(uint64_t since) { cpuCache().settled(since); }

void emptyCache() {
  cpuCache().release();
  // Blocks under the mmap threshold went back to glibc's heap, which keeps the pages; hand the free ones back to
  // the system too, so RSS drops by what was cached (measured: a compiled GoogLeNet's process 220 → ~100 MiB).
  trimHeap();
  cudart::emptyCache();
}

}  // namespace convnets
