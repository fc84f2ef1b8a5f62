// CUDA entry points for an addon built without nvcc: each reports that CUDA is not compiled in.
#include "core/cuda_api.h"
#include "core/error.h"

namespace convnets::cudart {
namespace {
// CMakeLists.txt records why: CONVNETS_CUDA=0, or no nvcc found.
#ifndef CONVNETS_NO_CUDA_REASON
#define CONVNETS_NO_CUDA_REASON "CUDA was not enabled when the addon was compiled"
#endif
const char* kNoCuda = "convnets was built without CUDA support (" CONVNETS_NO_CUDA_REASON ")";
[[noreturn]] void noCuda(const char* what) { fail(what, ": ", kNoCuda); }
}  // namespace

Availability availability() { return {false, kNoCuda}; }
bool compiledWithCuda() { return false; }
int deviceCount() { return 0; }
DeviceInfo deviceInfo(int) { noCuda("cuda.deviceInfo"); }
void* deviceAllocate(size_t, int) { noCuda("cuda allocation"); }
void deviceFree(void*, size_t, int) {}
int64_t cachedBytes(int) { return 0; }
int64_t heldBytes() { return 0; }
void emptyCache() {}
void copyHostToDevice(void*, const void*, size_t, int) { noCuda("copy to cuda"); }
void copyDeviceToHost(void*, const void*, size_t, int) { noCuda("copy from cuda"); }
void copyDeviceToDevice(void*, const void*, size_t, int) { noCuda("cuda copy"); }
void zeroFill(void*, size_t, int) { noCuda("cuda zero fill"); }
void injectFaultForTest(int) { noCuda("cudaInjectFault"); }
void synchronize(int) { noCuda("cuda synchronize"); }
std::unique_ptr<Graph> newGraph(int) { noCuda("cuda graph"); }

}  // namespace convnets::cudart
