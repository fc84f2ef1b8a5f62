// The CUDA registry's convolution algorithms (dispatch/cuda_conv_registry.h), one .cu each: plain device pointers,
// the shared Conv2d descriptor of kernels.h and the stream. Each launches asynchronously and checks every
// launch; sizes and indices are 64-bit; bias (K floats or null) and ReLU are fused into the output write;
// groups are supported by all of them (one GEMM per group). Workspaces are given by the caller, sized by
// the registry's workspaceBytes() for the same descriptor, processing `imagesPerChunk` images at a time
// (cudaConvImagesPerChunk), so the kernels and the registry agree on sizes.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "core/precision.h"
#include "cuda/kernels.h"
#include "cuda/tc_types.h"

namespace convnets::cuda {

// conv_im2col.cu: columns [imagesPerChunk][C·R·S][OH·OW] in `ws`, then one batched sgemm per group.
void conv2dIm2col(const float* x, const float* w, const float* bias, float* y, const Conv2d& p, bool relu, float* ws,
                  int64_t imagesPerChunk, cudaStream_t s);

// conv_implicit_gemm.cu: no workspace; a tiled GEMM reading the input through the convolution's index map.
void conv2dImplicitGemm(const float* x, const float* w, const float* bias, float* y, const Conv2d& p, bool relu,
                        cudaStream_t s);

// conv_gemm_1x1.cu: 1×1, padding 0. Stride 1: one batched sgemm per group on the input as it lies
// (ws unused, may be null); strided: subsample a chunk of images into ws [imagesPerChunk][C][OH·OW] first.
void conv2dGemm1x1(const float* x, const float* w, const float* bias, float* y, const Conv2d& p, bool relu, float* ws,
                   int64_t imagesPerChunk, cudaStream_t s);

// conv_winograd.cu: F(m×m, 3×3), m = 2 (α = 4) or 4 (α = 6); 3×3, stride 1, dilation 1.
// u [α², K, C/groups] = G g Gᵀ of w [K, C/groups, 3, 3] (once per layer).
void winogradWeights(const float* w, float* u, int64_t K, int64_t Cg, int m, cudaStream_t s);
// ws: V [α², C, tiles] then M [α², K, tiles] for a chunk of images (tiles = images · tilesPerImage).
void conv2dWinograd(const float* x, const float* u, const float* bias, float* y, const Conv2d& p, bool relu, int m,
                    float* ws, int64_t imagesPerChunk, cudaStream_t s);

// ---- tensor cores (sm_80+; mma.cuh, tc_mainloop.cuh) --------------------------------------------------
// Operands are rounded to the precision (core/precision.h: tf32, bf16 or fp16; fp32 is not a tensor-core
// precision) and multiplied with fp32 accumulation; outputs are fp32.
// Packed operand rows: `batch` blocks of `rows` rows of tcPaddedDepth(cols, tcKTile(prec)) elements of
// tcStoreBytes(prec) (4 for TF32, 2 otherwise).
int64_t tcStoreBytes(Precision prec);
// TcPack and TcGemm: cuda/tc_types.h.
int64_t tcPackedBytes(const TcPack& pk, Precision prec);
void tcPackRows(const float* src, const TcPack& pk, void* dst, Precision prec, cudaStream_t s);

// conv_implicit_gemm_tc.cu: w packed by tcPackRows as [K][Cg·R·S] (rows = K, cols = Cg·R·S); ws holds the
// partial sums of a k split (tcConvSplit: splits · K · N·OH·OW floats when splits > 1; else unused).
TcSplit tcConvSplit(const Conv2d& p, Precision prec);
void conv2dImplicitGemmTc(const float* x, const void* w, const float* bias, float* y, const Conv2d& p, bool relu,
                          Precision prec, float* ws, cudaStream_t s);

// gemm_tc.cu: the product TcGemm describes (tc_types.h).
TcSplit tcGemmSplit(const TcGemm& g, Precision prec);
int64_t tcGemmWorkspaceBytes(const TcGemm& g, Precision prec);
void gemmTc(const void* A, const void* B, const TcGemm& g, Precision prec, float* ws, cudaStream_t s);

// Per-group GEMM over a batch, shared by im2col, gemm_1x1 and Winograd (conv_grouped_gemm.cc): for each group g
// and batch item b, C[g,b] (Kg × cols, rows ldc apart) = A[g,b] (Kg × depth, rows `depth` apart) ·
// B[g,b] (depth × cols, rows ldb apart) (+ bias[g·Kg + row]) (ReLU), where X[g,b] = X + g·groupStrideX +
// b·strideX (strideA = 0 shares the weights across the batch).
struct GroupedGemm {
  int64_t groups = 1, Kg = 0, cols = 0, depth = 0, batch = 1;
  const float* A = nullptr;
  int64_t groupStrideA = 0, strideA = 0;
  const float* B = nullptr;
  int64_t ldb = 0, groupStrideB = 0, strideB = 0;
  float* C = nullptr;
  int64_t ldc = 0, groupStrideC = 0, strideC = 0;
  const float* bias = nullptr;
  bool relu = false;
};
void groupedGemm(const GroupedGemm& g, cudaStream_t s);

}  // namespace convnets::cuda
