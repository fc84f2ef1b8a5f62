// CN_CUDA(call): every CUDA runtime call is checked; a failure throws convnets::Error carrying the CUDA
// error name and the call, e.g. "cudaMalloc(...) failed: cudaErrorMemoryAllocation (out of memory)".
// CN_CUDA_LAUNCH(): checks a kernel launch (bad configuration, too many resources) right after it.
// Errors from inside a kernel (e.g. an illegal address) surface at the next synchronising call; those are
// "sticky" (the context is unusable afterwards) and the message says so (check.cc).
#pragma once
#include <cuda_runtime.h>

#include "core/error.h"

namespace convnets::cuda {
// Throws convnets::Error for `err` returned by `call` (clears a non-sticky error first, so the process
// can go on; names a sticky one as such).
[[noreturn]] void cudaFail(cudaError_t err, const char* call);
}  // namespace convnets::cuda

#define CN_CUDA(call)                                                  \
  do {                                                                 \
    cudaError_t cn_err_ = (call);                                      \
    if (cn_err_ != cudaSuccess) ::convnets::cuda::cudaFail(cn_err_, #call); \
  } while (0)

#define CN_CUDA_LAUNCH() CN_CUDA(cudaGetLastError())
