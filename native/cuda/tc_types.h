// The tensor-core kernels' plain argument structs (no CUDA types), shared by conv_kernels.h and the CPU
// emulator of the kernels (scripts/cuda-emu/tc_emu.cc), which cannot include the CUDA runtime.
#pragma once
#include <cstdint>

namespace convnets::cuda {

// What tcPackRows reads: element (b, r, k) of src is src[b·batchStride + r·rowStride + k·colStride].
struct TcPack {
  int64_t batch = 1, rows = 0, cols = 0;
  int64_t batchStride = 0, rowStride = 0, colStride = 1;
};

// gemm_tc.cu: for each b < batch, C[b·strideC + m·sm + n·sn] = relu?(bias[m] + Σ_k A[b][m][k] · B[b][n][k]),
// A [batch][M][pad K] and B [batch][N][pad K] packed by tcPackRows (broadcastA/B: one block shared by every
// b). linear: A = W, B = x, sm = 1, sn = out. matmul: A = a, B = bᵀ, sm = ldc, sn = 1.
struct TcGemm {
  int64_t M = 0, N = 0, K = 0, batch = 1;
  bool broadcastA = false, broadcastB = false;
  float* C = nullptr;
  int64_t strideC = 0, sm = 0, sn = 0;
  const float* bias = nullptr;
  bool relu = false;
};

}  // namespace convnets::cuda
