// One non-blocking CUDA stream per device, created on first use. Every kernel and copy of the library
// runs on it, so work is ordered per device (which also makes reusing pooled memory safe) and runs
// asynchronously until a device-to-host copy or synchronize() waits for it.
#pragma once
#include <cuda_runtime.h>

namespace convnets::cuda {

// The stream of `device` (creates it on first use; thread-safe). The caller has set the device.
cudaStream_t streamFor(int device);

// While alive, streamFor(device) on this thread returns `stream` instead (a CUDA graph's capture stream: the
// ops of the captured thread are recorded there, while other threads keep using the device's stream).
class StreamOverride {
 public:
  StreamOverride(int device, cudaStream_t stream);
  ~StreamOverride();
  StreamOverride(const StreamOverride&) = delete;
  StreamOverride& operator=(const StreamOverride&) = delete;

 private:
  int prevDevice_;
  cudaStream_t prevStream_;
};

// For an op: makes `device` current on this thread and holds its stream.
struct DeviceScope {
  explicit DeviceScope(int device);
  int device;
  cudaStream_t stream;
};

// When CONVNETS_CUDA_SYNC=1, waits for the stream after each op so an asynchronous kernel fault is
// reported by the op that caused it (debugging aid, like CUDA_LAUNCH_BLOCKING).
void afterOp(const DeviceScope& scope);

}  // namespace convnets::cuda
