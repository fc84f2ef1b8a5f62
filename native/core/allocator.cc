#include "core/allocator.h"

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

size_t roundUp(size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

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
    void* p = std::aligned_alloc(kAlign, n);
    if (!p) {
      release();  // give cached blocks back and try once more
      p = std::aligned_alloc(kAlign, n);
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
