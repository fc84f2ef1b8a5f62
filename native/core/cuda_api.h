// The core's view of the CUDA backend. Implemented by native/cuda/ when the addon is built with nvcc,
// and by core/cuda_off.cc otherwise (every call then reports that CUDA was not compiled in).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace convnets::cudart {

struct Availability {
  bool available = false;
  std::string reason;  // why not, when !available (e.g. "no CUDA driver found (cudaErrorInsufficientDriver)")
};
Availability availability();
bool compiledWithCuda();
int deviceCount();  // 0 when unavailable

struct DeviceInfo {
  std::string name;
  int major = 0, minor = 0;
  int64_t totalMemory = 0;
  int multiProcessors = 0;
};
DeviceInfo deviceInfo(int device);

// Device memory from a caching pool (plain cudaMalloc, never managed memory).
void* deviceAllocate(size_t bytes, int device);
void deviceFree(void* p, size_t bytes, int device);
int64_t cachedBytes(int device);
// Device memory the pool holds from cudaMalloc on every device, live or cached.
int64_t heldBytes();
void emptyCache();

void copyHostToDevice(void* dst, const void* src, size_t bytes, int device);
void copyDeviceToHost(void* dst, const void* src, size_t bytes, int device);
// Copies and fills are queued on the device's stream (native/cuda/stream.h); copyDeviceToHost and
// synchronize wait for everything queued before them.
void copyDeviceToDevice(void* dst, const void* src, size_t bytes, int device);
void zeroFill(void* dst, size_t bytes, int device);
void synchronize(int device);

// A CUDA graph (native/cuda/graph.cc): work captured once from this thread, replayed on the device's stream.
class Graph {
 public:
  virtual ~Graph() = default;
  // Runs fn with this thread's allocations on the device taken from the graph's private pool (blocks that
  // stay with the graph until it is destroyed: its fixed input and output buffers).
  virtual void allocate(const std::function<void()>& fn) = 0;
  // Runs fn with this thread's kernels and copies on the device recorded into the graph (not executed) and
  // its allocations from the private pool, then instantiates the graph. Throws what failed (e.g. fn
  // synchronised or read memory back); the graph is then unusable.
  virtual void capture(const std::function<void()>& fn) = 0;
  // Queues one replay on the device's stream.
  virtual void launch() = 0;
};
std::unique_ptr<Graph> newGraph(int device);

// Test hook: launches a kernel that faults (illegal address), leaving the CUDA context unusable; the
// next CUDA call reports the sticky error. For tests in a child process only.
void injectFaultForTest(int device);

}  // namespace convnets::cudart
