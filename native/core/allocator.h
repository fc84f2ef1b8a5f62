// Memory: every buffer is a Storage (RAII). CPU storage is 64-byte aligned and comes from a caching
// allocator, because touching freshly mapped pages is very slow on these machines (measured):
// freed blocks are kept per size and reused, up to a bounded cache; blocks unlikely to be asked for again
// (long-lived ones freed once, like loaded weights) go back to the system (rules in allocator.cc). Counters per device make leaks testable.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/arena.h"
#include "core/device.h"

namespace convnets {

// Data a layer above derives from a storage's contents (dispatch/prepared_cache.h hangs its prepared conv
// weights here): destroyed with the storage, so a cache entry can never outlive or leak past its source.
class StorageAttachment {
 public:
  virtual ~StorageAttachment() = default;
};

class Storage {
 public:
  // Allocates `bytes` on `device` (bytes may be 0). Throws convnets::Error on out-of-memory.
  static std::shared_ptr<Storage> allocate(Device device, size_t bytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

  // Write tracking, for caches of data derived from the contents (prepared conv weights). version()
  // changes whenever the contents may have changed: every native path that writes into a storage that
  // already holds values (rather than filling a fresh one) calls noteWrite().
  uint64_t version() const { return version_.load(std::memory_order_acquire); }
  void noteWrite() { version_.fetch_add(1, std::memory_order_acq_rel); }
  // JavaScript can hold live writable views of CPU storage (tensor.data(): a Float32Array over this memory)
  // and write through them with no native code running. While one is alive the version says nothing, so
  // writesTracked() is false and caches must not trust it; when the last one dies (its ArrayBuffer's
  // finalizer) the version moves on, so whatever was derived before or while it lived is stale.
  void viewOpened() {
    hostViews_.fetch_add(1, std::memory_order_acq_rel);
    noteWrite();
  }
  void viewClosed() {
    noteWrite();  // before the count drops: whoever sees no views also sees the new version
    hostViews_.fetch_sub(1, std::memory_order_acq_rel);
  }
  bool writesTracked() const { return hostViews_.load(std::memory_order_acquire) == 0; }

  // One attachment per storage, owned by the one cache that sets it and read or replaced only under that
  // cache's lock; destroyed here, with the storage.
  StorageAttachment* attachment() const { return attachment_.get(); }
  void setAttachment(std::unique_ptr<StorageAttachment> a) { attachment_ = std::move(a); }

 private:
  Storage(Device device, void* data, size_t bytes) : device_(device), data_(data), bytes_(bytes) {}
  Device device_;
  void* data_;
  size_t bytes_;
  ArenaLease lease_;         // set when allocated under an ArenaScope (core/arena.h)
  bool inArena_ = false;     // data_ is a block of that arena, not the cache's
  std::atomic<uint64_t> version_{0};
  std::atomic<int32_t> hostViews_{0};
  std::unique_ptr<StorageAttachment> attachment_;
};

struct MemoryStats {
  int64_t liveBuffers = 0;  // Storage objects alive
  int64_t liveBytes = 0;    // bytes they hold
  int64_t cachedBytes = 0;  // freed bytes kept by the caching allocator for reuse
  int64_t preparedBytes = 0;  // CPU: weights packed or transformed for an algorithm (CpuBuffer::prepared), alive
  int64_t systemAllocations = 0;  // CPU: blocks the cache took from the system (its misses), since the start
};

MemoryStats memoryStats(Device device);
// Returns cached (unused) blocks of every device to the system.
void emptyCache();
// Bytes the caching allocators hold from the system (CPU blocks and device memory, live or cached). This,
// not each tensor's size, is what the binding reports to V8 as external memory: it grows only when the
// caches miss, so a loop that allocates and disposes same-sized tensors never looks like growing memory.
int64_t heldBytes();

// Whether CONVNETS_POISON is set (the test suite sets it): every block the allocators hand out, CPU or
// CUDA, tensor or workspace, is first filled with 0xFF bytes (NaN in every float), so an output element a
// kernel never writes, or a workspace element it reads before writing, shows up as NaN.
bool poisonAllocations();

// The CPU cache's clock: allocations served so far (core/allocator.cc says what it times).
uint64_t cpuAllocationTicks();
// A steady-state point (a compiled plan has recorded its first run, which began at tick `since`): blocks
// born before then go back to the system, the cached ones now and the live ones when freed.
void cpuCacheSettled(uint64_t since);

// Raw CPU blocks for workspaces: same cache, not counted as live tensors.
void* cpuAllocate(size_t bytes);
void cpuFree(void* p, size_t bytes);

// Bytes of prepared weights alive (memoryStats' preparedBytes); CpuBuffer::prepared keeps it.
void notePreparedBytes(int64_t delta);

// RAII scratch buffer (kernel workspaces); comes from the CPU cache, so reusing sizes is cheap.
class CpuBuffer {
 public:
  CpuBuffer() = default;
  explicit CpuBuffer(size_t bytes) : p_(bytes ? cpuAllocate(bytes) : nullptr), bytes_(bytes) {}
  // Prepared weights (a ConvPrepared's packed or transformed copy): counted in memory()'s preparedBytes.
  static CpuBuffer prepared(size_t bytes) {
    CpuBuffer b(bytes);
    b.prepared_ = true;
    notePreparedBytes(int64_t(bytes));
    return b;
  }
  ~CpuBuffer() { reset(); }
  CpuBuffer(CpuBuffer&& o) noexcept : p_(o.p_), bytes_(o.bytes_), prepared_(o.prepared_) {
    o.p_ = nullptr; o.bytes_ = 0; o.prepared_ = false;
  }
  CpuBuffer& operator=(CpuBuffer&& o) noexcept {
    if (this != &o) {
      reset();
      p_ = o.p_; bytes_ = o.bytes_; prepared_ = o.prepared_;
      o.p_ = nullptr; o.bytes_ = 0; o.prepared_ = false;
    }
    return *this;
  }
  CpuBuffer(const CpuBuffer&) = delete;
  CpuBuffer& operator=(const CpuBuffer&) = delete;
  template <class T = float>
  T* as() const { return static_cast<T*>(p_); }
  size_t bytes() const { return bytes_; }
  void reset() {
    if (prepared_) notePreparedBytes(-int64_t(bytes_));
    if (p_) cpuFree(p_, bytes_);
    p_ = nullptr; bytes_ = 0; prepared_ = false;
  }

 private:
  void* p_ = nullptr;
  size_t bytes_ = 0;
  bool prepared_ = false;
};

}  // namespace convnets
