// A CUDA graph's private memory (cuda/device.cc): while a PrivatePoolScope is alive on a thread, that
// thread's device allocations on the pool's device come from the pool and go back to it, so blocks a
// captured graph writes are never handed to anyone else while the graph lives (PyTorch's graph pools).
// Blocks freed and taken again inside a capture are reused in stream order, which the graph keeps.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <map>
#include <set>

namespace convnets::cuda {

struct PrivatePool {
  int device = 0;
  std::multimap<size_t, void*> free;  // rounded size -> block
  std::set<void*> owned;              // every block the pool took from cudaMalloc or the device cache
};

class PrivatePoolScope {
 public:
  // captureStream: the stream being captured (poison fills then go on it, recorded in the graph), or null.
  PrivatePoolScope(PrivatePool* pool, cudaStream_t captureStream);
  ~PrivatePoolScope();
  PrivatePoolScope(const PrivatePoolScope&) = delete;
  PrivatePoolScope& operator=(const PrivatePoolScope&) = delete;

 private:
  PrivatePool* prevPool_;
  cudaStream_t prevStream_;
};

// Gives the pool's free blocks to the device cache (its other blocks went there when freed outside a scope).
void releasePrivatePool(PrivatePool& pool);

}  // namespace convnets::cuda
