// CN_CUDA(call): every CUDA runtime call is checked; a failure throws convnets::Error carrying the CUDA
// error name and the call, e.g. "cudaMalloc(...) failed: cudaErrorMemoryAllocation (out of memory)".
#pragma once
#include <cuda_runtime.h>

#include "core/error.h"

#define CN_CUDA(call)                                                                         \
  do {                                                                                        \
    cudaError_t cn_err_ = (call);                                                             \
    if (cn_err_ != cudaSuccess) {                                                             \
      (void)cudaGetLastError(); /* clear a non-sticky error so the process can go on */       \
      ::convnets::fail(#call, " failed: ", cudaGetErrorName(cn_err_), " (", cudaGetErrorString(cn_err_), ")"); \
    }                                                                                         \
  } while (0)
