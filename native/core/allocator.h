// Memory: every buffer is a Storage (RAII). CPU storage is 64-byte aligned and comes from a caching
// allocator, because touching freshly mapped pages is very slow on these machines (measured):
// freed blocks are kept per size and reused, up to a bounded cache. Counters per device make leaks testable.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/arena.h"
#include "core/device.h"

namespace convnets {

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

 private:
  Storage(Device device, void* data, size_t bytes) : device_(device), data_(data), bytes_(bytes) {}
  Device device_;
  void* data_;
  size_t bytes_;
  ArenaLease lease_;         // set when allocated under an ArenaScope (core/arena.h)
  bool inArena_ = false;     // data_ is a block of that arena, not the cache's
};

struct MemoryStats {
  int64_t liveBuffers = 0;  // Storage objects alive
  int64_t liveBytes = 0;    // bytes they hold
  int64_t cachedBytes = 0;  // freed bytes kept by the caching allocator for reuse
  int64_t preparedBytes = 0;  // CPU: weights packed or transformed for an algorithm (CpuBuffer::prepared), alive
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
