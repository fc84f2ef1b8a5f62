#include "core/allocator.h"

#include <sys/mman.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "core/cuda_api.h"
#include "core/error.h"

namespace convnets {
namespace {

constexpr size_t kAlign = 64;
// Freed CPU blocks kept for reuse, at most this many bytes in all (oldest sizes go first).
constexpr int64_t kMaxCachedCpuBytes = int64_t(1) << 30;

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

// A small id per thread: which thread freed a cached block.
uint32_t threadTag() {
  static std::atomic<uint32_t> next{0};
  static thread_local const uint32_t tag = next.fetch_add(1, std::memory_order_relaxed);
  return tag;
}

// The one explicit CPU cache: exact-size free lists. Inference repeats the same shapes, so exact
// sizes hit; a bounded total keeps a long-running server from hoarding memory.
//
// Thread affinity: a block goes preferably back to the thread that freed it. Kernel workspaces are taken
// and freed inside pool tasks, and their lines stay in that core's cache; handed to the other core next
// run, every write to them first pulls the lines across. That is expensive on these VMs: Winograd's
// per-task buffers (transformed input, GEMM results: 1.2 MB on 128×28²→128) changed hands between the
// two threads from run to run, and the layer's input transform took 2× longer on 2 threads than on 1.
struct CpuCache {
  struct Block {
    void* p;
    uint32_t tag;  // the thread that freed it
  };
  std::mutex mu;
  std::multimap<size_t, Block> free;  // rounded size -> block
  int64_t cached = 0;
  int64_t held = 0;  // from the system: live and cached blocks, workspaces included
  int64_t liveBuffers = 0;
  int64_t liveBytes = 0;

  void* take(size_t bytes) {
    size_t n = roundUp(bytes ? bytes : 1);
    {
      std::lock_guard<std::mutex> lock(mu);
      auto [lo, hi] = free.equal_range(n);
      if (lo != hi) {
        auto it = lo;
        const uint32_t me = threadTag();
        while (it != hi && it->second.tag != me) ++it;
        if (it == hi) it = lo;  // none of ours: any block of the size
        void* p = it->second.p;
        free.erase(it);
        cached -= int64_t(n);
        return p;
      }
    }
    void* p = allocateBlock(n);
    if (!p) {
      release();  // give cached blocks back and try once more
      p = allocateBlock(n);
      if (!p) fail("out of memory: could not allocate ", bytes, " bytes on the CPU");
    }
    std::lock_guard<std::mutex> lock(mu);
    held += int64_t(n);
    return p;
  }
  void give(void* p, size_t bytes) {
    size_t n = roundUp(bytes ? bytes : 1);
    std::lock_guard<std::mutex> lock(mu);
    if (cached + int64_t(n) > kMaxCachedCpuBytes) {
      std::free(p);
      held -= int64_t(n);
      return;
    }
    free.emplace(n, Block{p, threadTag()});
    cached += int64_t(n);
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& kv : free) {
      std::free(kv.second.p);
      held -= int64_t(kv.first);
    }
    free.clear();
    cached = 0;
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

void emptyCache() {
  cpuCache().release();
#if defined(__GLIBC__)
  // Blocks under the mmap threshold went back to glibc's heap, which keeps the pages; hand the free ones back to
  // the system too, so RSS drops by what was cached (measured: a compiled GoogLeNet's process 220 → ~100 MiB).
  malloc_trim(0);
#endif
  cudart::emptyCache();
}

}  // namespace convnets
