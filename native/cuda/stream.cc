#include "cuda/stream.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "cuda/check.h"

namespace convnets::cuda {
namespace {

// Owns one stream; destroying it (at process exit) ignores errors because the CUDA runtime may already
// be shutting down.
class Stream {
 public:
  explicit Stream(int device) {
    CN_CUDA(cudaSetDevice(device));
    CN_CUDA(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking));
  }
  ~Stream() {
    if (s_) (void)cudaStreamDestroy(s_);
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return s_; }

 private:
  cudaStream_t s_ = nullptr;
};

struct Streams {
  std::mutex mu;
  std::vector<std::unique_ptr<Stream>> perDevice;
};

Streams& streams() {
  static Streams s;
  return s;
}

bool syncEachOp() {
  static const bool on = [] {
    const char* v = std::getenv("CONVNETS_CUDA_SYNC");
    return v && std::strcmp(v, "0") != 0 && *v;
  }();
  return on;
}

thread_local int tlsOverrideDevice = -1;
thread_local cudaStream_t tlsOverrideStream = nullptr;

}  // namespace

StreamOverride::StreamOverride(int device, cudaStream_t stream)
    : prevDevice_(tlsOverrideDevice), prevStream_(tlsOverrideStream) {
  tlsOverrideDevice = device;
  tlsOverrideStream = stream;
}
StreamOverride::~StreamOverride() {
  tlsOverrideDevice = prevDevice_;
  tlsOverrideStream = prevStream_;
}

cudaStream_t streamFor(int device) {
  if (device == tlsOverrideDevice) return tlsOverrideStream;
  Streams& s = streams();
  std::lock_guard<std::mutex> lock(s.mu);
  if (size_t(device) >= s.perDevice.size()) s.perDevice.resize(size_t(device) + 1);
  auto& slot = s.perDevice[size_t(device)];
  if (!slot) slot = std::make_unique<Stream>(device);
  return slot->get();
}

DeviceScope::DeviceScope(int d) : device(d) {
  CN_CUDA(cudaSetDevice(d));
  stream = streamFor(d);
}

void afterOp(const DeviceScope& scope) {
  if (syncEachOp()) CN_CUDA(cudaStreamSynchronize(scope.stream));
}

}  // namespace convnets::cuda
