#include "core/allocator.h"

#include <sys/mman.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
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

// The one explicit CPU cache: exact-size free lists. Inference repeats the same shapes, so exact
// sizes hit; a bounded total keeps a long-running server from hoarding memory.
struct CpuCache {
  std::mutex mu;
  std::multimap<size_t, void*> free;  // rounded size -> block
  int64_t cached = 0;
  int64_t liveBuffers = 0;
  int64_t liveBytes = 0;

  void* take(size_t bytes) {
    size_t n = roundUp(bytes ? bytes : 1);
    {
      std::lock_guard<std::mutex> lock(mu);
      auto it = free.find(n);
      if (it != free.end()) {
        void* p = it->second;
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
    return p;
  }
  void give(void* p, size_t bytes) {
    size_t n = roundUp(bytes ? bytes : 1);
    std::lock_guard<std::mutex> lock(mu);
    if (cached + int64_t(n) > kMaxCachedCpuBytes) {
      std::free(p);
      return;
    }
    free.emplace(n, p);
    cached += int64_t(n);
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& kv : free) std::free(kv.second);
    free.clear();
    cached = 0;
  }
};

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

void* cpuAllocate(size_t bytes) { return cpuCache().take(bytes); }
void cpuFree(void* p, size_t bytes) { cpuCache().give(p, bytes); }

std::shared_ptr<Storage> Storage::allocate(Device device, size_t bytes) {
  if (device.isCpu()) {
    void* p = cpuAllocate(bytes);
    auto& c = cpuCache();
    {
      std::lock_guard<std::mutex> lock(c.mu);
      c.liveBuffers += 1;
      c.liveBytes += int64_t(bytes);
    }
    return std::shared_ptr<Storage>(new Storage(device, p, bytes));
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
  if (device_.isCpu()) {
    auto& c = cpuCache();
    {
      std::lock_guard<std::mutex> lock(c.mu);
      c.liveBuffers -= 1;
      c.liveBytes -= int64_t(bytes_);
    }
    cpuFree(data_, bytes_);
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

void emptyCache() {
  cpuCache().release();
  cudart::emptyCache();
}

}  // namespace convnets
