// The CUDA kernels of the library: plain device pointers, sizes and the stream to run on (no Tensor).
// Each function launches asynchronously, checks the launch (CN_CUDA_LAUNCH) and returns; sizes are int64
// and every index inside the kernels is 64-bit where a product of sizes can pass 2^31. Every function
// writes every element of its output and launches nothing when the output is empty. Layout: contiguous,
// row-major (NCHW for images). The callers (ops_bridge.cc) have checked shapes and set the device.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "core/interp_desc.h"
#include "core/pool_desc.h"

namespace convnets::cuda {

// ---- elementwise.cu ---------------------------------------------------------------------------------
void relu(const float* x, float* y, int64_t n, cudaStream_t s);
// y = a + b, then ReLU when `relu` (ResNet's residual join).
void add(const float* a, const float* b, float* y, int64_t n, bool relu, cudaStream_t s);
void fill(float* y, float value, int64_t n, cudaStream_t s);
// Training-mode dropout with the CPU's counter-based mask (core/random.h): element i is kept, scaled by
// 1/(1-p), when unitFloat(splitmix64(splitmix64(seed) ^ i)) >= p; the same seed gives the same mask on
// both devices.
void dropout(const float* x, float* y, int64_t n, float p, uint64_t seed, cudaStream_t s);

// ---- sgemm.cu -------------------------------------------------------------------------------------
enum class Bias { None, PerRow, PerCol };
// For each of `batch` problems b: C_b[M,N] = op(A_b)[M,K] · op(B_b)[K,N] (+ bias) (then ReLU).
// Row-major: op(A)[m,k] = transA ? A[k*lda + m] : A[m*lda + k]; op(B)[k,n] = transB ? B[n*ldb + k] : B[k*ldb + n].
// X_b = X + b*strideX (a stride of 0 broadcasts one matrix). Bias::PerRow adds bias[m], PerCol bias[n].
// Linear layer y = x W^T + b: transB, Bias::PerCol. Any M, N, K (K = 0 gives bias or zeros) and any
// leading dims; float4 loads/stores are used where pointers and leading dims allow.
struct Gemm {
  bool transA = false, transB = false;
  int64_t M = 0, N = 0, K = 0;
  const float* A = nullptr;
  int64_t lda = 0, strideA = 0;
  const float* B = nullptr;
  int64_t ldb = 0, strideB = 0;
  float* C = nullptr;
  int64_t ldc = 0, strideC = 0;
  int64_t batch = 1;
  const float* bias = nullptr;
  Bias biasMode = Bias::None;
  bool relu = false;
};
void sgemm(const Gemm& g, cudaStream_t s);

// ---- pool.cu ----------------------------------------------------------------------------------------
// x [N, C, H, W] -> y [N, C, OH, OW] as described by the shared Pool2dDesc (core/pool_desc.h: output size
// already computed with torch's floor/ceil rule); windows start at o*stride - pad, taps every `dil` pixels.
// Max over the in-bounds taps (NaN propagates, as in torch).
void maxPool2d(const float* x, float* y, const Pool2dDesc& p, cudaStream_t s);
// torch's avg_pool2d: the window is clipped to [-pad, size + pad) for the count when countIncludePad,
// to the input otherwise (dilation must be 1).
void avgPool2d(const float* x, float* y, const Pool2dDesc& p, bool countIncludePad, cudaStream_t s);
// Output cell o covers [floor(o*H/OH), ceil((o+1)*H/OH)).
void adaptiveAvgPool2d(const float* x, float* y, int64_t planes, int64_t H, int64_t W, int64_t OH, int64_t OW,
                       cudaStream_t s);

// ---- lrn.cu -----------------------------------------------------------------------------------------
// torch's local_response_norm over channels: y = x / (k + alpha/size * sum_{c' in window} x_c'^2)^beta,
// window [c - size/2, c + (size-1)/2] clipped to [0, C).
void localResponseNorm(const float* x, float* y, int64_t N, int64_t C, int64_t HW, int64_t size, float alpha,
                       float beta, float k, cudaStream_t s);

// ---- norm.cu ----------------------------------------------------------------------------------------
// Inference batch norm: y = (x - mean[c]) / sqrt(var[c] + eps) * weight[c] + bias[c] (weight/bias may be
// null: 1 and 0), then ReLU when `relu`.
void batchNormInference(const float* x, float* y, int64_t N, int64_t C, int64_t HW, const float* mean,
                        const float* var, const float* weight, const float* bias, float eps, bool relu,
                        cudaStream_t s);

// ---- softmax.cu -------------------------------------------------------------------------------------
// x viewed as [outer, D, inner]; softmax (or log-softmax) along D.
void softmax(const float* x, float* y, int64_t outer, int64_t D, int64_t inner, bool log, cudaStream_t s);

// ---- interpolate.cu ---------------------------------------------------------------------------------
// The taps of every output index of axis `a` (interpTaps, core/interp_desc.h) into idx/w [a.out, a.taps].
void interpTable(const InterpAxis& a, int32_t* idx, float* w, cudaStream_t s);
// y [outer, a.out, inner] = sum over taps k of w[o, k] * x [outer, idx[o, k], inner].
void resampleAxis(const float* x, float* y, int64_t outer, int64_t inner, const InterpAxis& a, const int32_t* idx,
                  const float* w, cudaStream_t s);

// ---- concat.cu --------------------------------------------------------------------------------------
// y [outer, sum(cols_i)] = the inputs [outer, cols_i] side by side (cols_i = size of the cat dim times
// the inner size). srcs/cols are host arrays of `count` entries.
void concat(const float* const* srcs, const int64_t* cols, int count, int64_t outer, float* y, cudaStream_t s);

// ---- conv_direct.cu ---------------------------------------------------------------------------------
// y[n,k,oh,ow] = bias[k] + sum_{c,r,s} x[n, g*Cg + c, oh*sh - padTop + r*dh, ow*sw - padLeft + s*dw] * w[k,c,r,s]
// (zero outside the input; g = k / (K/groups); Cg = C/groups), then ReLU when `relu`. Asymmetric padding
// (e.g. 'same' with an even kernel) is expressed by padTop/padLeft and the output size.
struct Conv2d {
  int64_t N = 0, C = 0, H = 0, W = 0, K = 0, R = 1, S = 1, OH = 0, OW = 0;
  int64_t strideH = 1, strideW = 1, padTop = 0, padLeft = 0, dilH = 1, dilW = 1, groups = 1;
};
void conv2dDirect(const float* x, const float* w, const float* bias, float* y, const Conv2d& p, bool relu,
                  cudaStream_t s);

}  // namespace convnets::cuda
