// CUDA runtime glue: availability, device queries, copies and the device-memory pool.
// Linked with the static CUDA runtime: the addon needs only the driver (libcuda.so.1), which the
// runtime opens itself. The probe looks for that library first (without it cudaGetDeviceCount says
// cudaErrorInsufficientDriver, which would read as "driver too old"), then asks the runtime; every
// entry then reports core/cuda_reason.h's explanation.
#include <cuda_runtime.h>
#include <dlfcn.h>

#include <cstdlib>

#include <map>
#include <mutex>
#include <vector>

#include "core/allocator.h"
#include "core/cuda_api.h"
#include "core/cuda_reason.h"
#include "cuda/check.h"
#include "cuda/graph_pool.h"
#include "cuda/stream.h"

namespace convnets::cudart {
namespace {

struct Probe {
  Availability a;
  int count = 0;
};

const Probe& probe() {
  static const Probe p = [] {
    ProbeResult r;
    r.runtimeVersion = CUDART_VERSION;
    if (const char* v = std::getenv("CUDA_VISIBLE_DEVICES")) r.visibleDevicesSet = true, r.visibleDevices = v;
    // The runtime opens the same library; this handle only keeps it loaded.
    r.driverLibraryFound = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL) != nullptr;
    int n = 0;
    if (r.driverLibraryFound) {
      cudaDriverGetVersion(&r.driverVersion);
      cudaError_t e = cudaGetDeviceCount(&n);
      if (e != cudaSuccess) {
        (void)cudaGetLastError();
        r.error = e == cudaErrorInsufficientDriver ? ProbeResult::kInsufficientDriver
                  : e == cudaErrorNoDevice         ? ProbeResult::kNoDevice
                                                   : ProbeResult::kOther;
        r.errorText = std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
        n = 0;
      }
    }
    r.deviceCount = n;
    Probe out;
    out.a.reason = explainUnavailable(r);
    out.a.available = out.a.reason.empty();
    out.count = out.a.available ? n : 0;
    return out;
  }();
  return p;
}

void requireDevice(int device, const char* what) {
  const Probe& p = probe();
  CN_CHECK(p.a.available, what, ": CUDA is not available: ", p.a.reason);
  CN_CHECK(device >= 0 && device < p.count, what, ": CUDA device ", device, " does not exist");
  CN_CUDA(cudaSetDevice(device));
}

// Caching pool: exact-size free lists per device (inference repeats shapes). On cudaMalloc failure
// the cache is released and the allocation retried once before reporting out-of-memory.
struct Pool {
  std::mutex mu;
  std::map<int, std::multimap<size_t, void*>> free;
  std::map<int, int64_t> cached;
  int64_t held = 0;  // from cudaMalloc, all devices
};
Pool& pool() {
  static Pool* p = new Pool();
  return *p;
}
size_t roundUp(size_t b) { return (b + 511) / 512 * 512; }

void releaseDevice(Pool& p, int device) {
  cudaSetDevice(device);
  for (auto& kv : p.free[device]) {
    cudaFree(kv.second);
    p.held -= int64_t(kv.first);
  }
  p.free[device].clear();
  p.cached[device] = 0;
}

}  // namespace

Availability availability() { return probe().a; }
bool compiledWithCuda() { return true; }
int deviceCount() { return probe().count; }

DeviceInfo deviceInfo(int device) {
  requireDevice(device, "cuda.deviceInfo");
  cudaDeviceProp prop{};
  CN_CUDA(cudaGetDeviceProperties(&prop, device));
  return {prop.name, prop.major, prop.minor, int64_t(prop.totalGlobalMem), prop.multiProcessorCount};
}

static void* deviceAllocateBlock(size_t bytes, int device);

// This thread's graph pool (cuda/graph_pool.h), if a scope is open.
static thread_local cuda::PrivatePool* tlsPool = nullptr;
static thread_local cudaStream_t tlsCaptureStream = nullptr;

// CONVNETS_POISON (allocator.h): the block is filled with 0xFF bytes (NaNs) before it is handed out. The
// device is synchronised around the fill, so no kernel still running on any stream (one that used the
// block before it was freed) sees it, and the fill is done before any stream uses the block again.
static void poison(void* ptr, size_t n, int device) {
  int prev = 0;
  CN_CUDA(cudaGetDevice(&prev));
  CN_CUDA(cudaSetDevice(device));
  CN_CUDA(cudaDeviceSynchronize());
  CN_CUDA(cudaMemset(ptr, 0xFF, n));
  CN_CUDA(cudaDeviceSynchronize());
  CN_CUDA(cudaSetDevice(prev));
}

void* deviceAllocate(size_t bytes, int device) {
  void* ptr = deviceAllocateBlock(bytes, device);
  if (poisonAllocations()) {
    // Inside a capture nothing may synchronise: the fill is recorded into the graph instead (it then runs
    // on every replay, in stream order, before the block's first writer).
    if (tlsPool && tlsCaptureStream && tlsPool->device == device)
      CN_CUDA(cudaMemsetAsync(ptr, 0xFF, bytes, tlsCaptureStream));
    else
      poison(ptr, bytes, device);
  }
  return ptr;
}

static void* deviceAllocateBlock(size_t bytes, int device) {
  requireDevice(device, "cuda allocation");
  size_t n = roundUp(bytes ? bytes : 1);
  Pool& p = pool();
  cuda::PrivatePool* priv = tlsPool && tlsPool->device == device ? tlsPool : nullptr;
  if (priv) {
    auto it = priv->free.find(n);
    if (it != priv->free.end()) {
      void* ptr = it->second;
      priv->free.erase(it);
      return ptr;
    }
  }
  std::lock_guard<std::mutex> lock(p.mu);
  auto& fl = p.free[device];
  if (priv) {
    // A new block for the graph: from the device cache when one fits, else cudaMalloc (allowed in a
    // relaxed-mode capture); owned by the graph from now on.
    void* ptr = nullptr;
    auto it = fl.find(n);
    if (it != fl.end()) {
      ptr = it->second;
      fl.erase(it);
      p.cached[device] -= int64_t(n);
    } else {
      cudaError_t e = cudaMalloc(&ptr, n);
      if (e != cudaSuccess) {
        (void)cudaGetLastError();
        fail("out of memory on cuda:", device, ": could not allocate ", bytes, " bytes for a CUDA graph (",
             cudaGetErrorName(e), ")");
      }
      p.held += int64_t(n);
    }
    priv->owned.insert(ptr);
    return ptr;
  }
  auto it = fl.find(n);
  if (it != fl.end()) {
    void* ptr = it->second;
    fl.erase(it);
    p.cached[device] -= int64_t(n);
    return ptr;
  }
  void* ptr = nullptr;
  cudaError_t e = cudaMalloc(&ptr, n);
  if (e == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();
    releaseDevice(p, device);
    e = cudaMalloc(&ptr, n);
    if (e == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      fail("out of memory on cuda:", device, ": could not allocate ", bytes, " bytes (", cudaGetErrorName(e), ")");
    }
  }
  if (e != cudaSuccess) cuda::cudaFail(e, "cudaMalloc");  // e.g. a sticky error from an earlier kernel
  p.held += int64_t(n);
  return ptr;
}

void deviceFree(void* ptr, size_t bytes, int device) {
  if (!ptr) return;
  if (tlsPool && tlsPool->device == device && tlsPool->owned.count(ptr)) {
    tlsPool->free.emplace(roundUp(bytes ? bytes : 1), ptr);
    return;
  }
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mu);
  size_t n = roundUp(bytes ? bytes : 1);
  p.free[device].emplace(n, ptr);
  p.cached[device] += int64_t(n);
}

}  // namespace convnets::cudart

namespace convnets::cuda {

PrivatePoolScope::PrivatePoolScope(PrivatePool* pool, cudaStream_t captureStream)
    : prevPool_(cudart::tlsPool), prevStream_(cudart::tlsCaptureStream) {
  cudart::tlsPool = pool;
  cudart::tlsCaptureStream = captureStream;
}
PrivatePoolScope::~PrivatePoolScope() {
  cudart::tlsPool = prevPool_;
  cudart::tlsCaptureStream = prevStream_;
}

void releasePrivatePool(PrivatePool& pp) {
  cudart::Pool& p = cudart::pool();
  std::lock_guard<std::mutex> lock(p.mu);
  for (auto& kv : pp.free) {
    p.free[pp.device].emplace(kv.first, kv.second);
    p.cached[pp.device] += int64_t(kv.first);
  }
  pp.free.clear();
  pp.owned.clear();
}

}  // namespace convnets::cuda

namespace convnets::cudart {

int64_t cachedBytes(int device) {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mu);
  return p.cached[device];
}

int64_t heldBytes() {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mu);
  return p.held;
}

void emptyCache() {
  if (!probe().a.available) return;
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mu);
  for (auto& kv : p.free) releaseDevice(p, kv.first);
}

// Copies run on the device's stream, so they are ordered with the kernels. Host-to-device waits for the
// copy: the source is pageable host memory the caller may free or reuse as soon as we return.
void copyHostToDevice(void* dst, const void* src, size_t bytes, int device) {
  requireDevice(device, "copy to cuda");
  cudaStream_t s = cuda::streamFor(device);
  CN_CUDA(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, s));
  CN_CUDA(cudaStreamSynchronize(s));
}

// Reading back is where asynchronous work ends: wait for everything queued on the stream.
void copyDeviceToHost(void* dst, const void* src, size_t bytes, int device) {
  requireDevice(device, "copy from cuda");
  cudaStream_t s = cuda::streamFor(device);
  CN_CUDA(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, s));
  CN_CUDA(cudaStreamSynchronize(s));
}

void copyDeviceToDevice(void* dst, const void* src, size_t bytes, int device) {
  requireDevice(device, "cuda copy");
  CN_CUDA(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, cuda::streamFor(device)));
}

void zeroFill(void* dst, size_t bytes, int device) {
  requireDevice(device, "cuda zero fill");
  CN_CUDA(cudaMemsetAsync(dst, 0, bytes, cuda::streamFor(device)));
}

void synchronize(int device) {
  requireDevice(device, "cuda.synchronize");
  CN_CUDA(cudaStreamSynchronize(cuda::streamFor(device)));
}

}  // namespace convnets::cudart
