// Turns CUDA errors into convnets::Error messages. Sticky errors (a kernel that faulted) leave the
// CUDA context unusable for the rest of the process: every later call returns the same error, so the
// message says plainly that the process must be restarted, instead of blaming the call that noticed it.
#include "cuda/check.h"

namespace convnets::cuda {
namespace {

bool isSticky(cudaError_t e) {
  switch (e) {
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorAssert:
    case cudaErrorLaunchTimeout:
    case cudaErrorECCUncorrectable:
    case cudaErrorUnknown:
      return true;
    default:
      return false;
  }
}

}  // namespace

void cudaFail(cudaError_t err, const char* call) {
  (void)cudaGetLastError();  // clears a non-sticky error so later calls are not blamed for it
  if (isSticky(err)) {
    fail(call, " failed: ", cudaGetErrorName(err), " (", cudaGetErrorString(err),
         "). This is a sticky CUDA error, usually raised by an earlier kernel that ran asynchronously: the CUDA "
         "context is now unusable and every later CUDA call in this process will fail; restart the process "
         "(set CUDA_LAUNCH_BLOCKING=1 to find the kernel)");
  }
  if (err == cudaErrorMemoryAllocation)
    fail(call, " failed: ", cudaGetErrorName(err), " (out of memory on the CUDA device)");
  fail(call, " failed: ", cudaGetErrorName(err), " (", cudaGetErrorString(err), ")");
}

}  // namespace convnets::cuda
