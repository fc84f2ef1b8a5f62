// A test hook: a kernel that writes to an address that is not mapped, so tests can check that the
// resulting sticky error (the CUDA context is lost) is reported clearly by the next CUDA call. Only ever
// run in a child process: the process cannot use CUDA afterwards.
#include "core/cuda_api.h"
#include "cuda/check.h"
#include "cuda/stream.h"

namespace convnets {
namespace {

__global__ void writeThrough(float* p) { *p = 1.0f; }

}  // namespace

void cudart::injectFaultForTest(int device) {
  CN_CHECK(availability().available, "cudaInjectFault: CUDA is not available: ", availability().reason);
  cuda::DeviceScope sc(device);
  // The address comes from the host so the compiler cannot see it is invalid.
  writeThrough<<<1, 1, 0, sc.stream>>>(reinterpret_cast<float*>(uintptr_t(64)));
  CN_CUDA_LAUNCH();
}

}  // namespace convnets
