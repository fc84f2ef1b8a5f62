// The core's bridge to the CUDA kernels: device-level ops call these when their operands are on a CUDA
// device (`if (x.device().isCuda()) cuda_ops::relu(x, y)`), so the core needs no #ifdef. Implemented by
// native/cuda/ops_bridge.cc when the addon is built with nvcc, and by core/cuda_off.cc otherwise (each
// then throws "built without CUDA"; unreachable in practice, no tensor can live on CUDA in such a build).
//
// Contract: the caller (dispatch/ops.cc, the algorithm registry) has checked shapes, devices and arguments and
// allocated the output `y` with Tensor::empty(shape, x.device()); the bridge sets the device, queues the
// kernel on the device's stream (asynchronous: reading y back waits for it) and checks the launch.
// Optional tensors (bias, weight) are passed as undefined Tensors.
#pragma once
#include <cstdint>
#include <vector>

#include "dispatch/cuda_conv_registry.h"
#include "core/conv_desc.h"
#include "core/interp_desc.h"
#include "core/pool_desc.h"
#include "core/tensor.h"

namespace convnets::cuda_ops {

void relu(const Tensor& x, Tensor& y);
void add(const Tensor& a, const Tensor& b, bool relu, Tensor& y);
void fill(Tensor& y, float value);
// Training-mode dropout, the same mask as the CPU kernel for the same seed.
void dropout(const Tensor& x, float p, uint64_t seed, Tensor& y);

// x [N, C, H, W] -> y [N, C, OH, OW] as `d` describes (the same descriptor the CPU kernels take).
void maxPool2d(const Tensor& x, const Pool2dDesc& d, Tensor& y);
void avgPool2d(const Tensor& x, const Pool2dDesc& d, bool countIncludePad, Tensor& y);
void adaptiveAvgPool2d(const Tensor& x, Tensor& y);

// x [N, C, ...] (any trailing dims).
void localResponseNorm(const Tensor& x, int64_t size, float alpha, float beta, float k, Tensor& y);
void batchNorm(const Tensor& x, const Tensor& mean, const Tensor& var, const Tensor& weight, const Tensor& bias,
               float eps, bool relu, Tensor& y);

// Along dimension `dim` (already non-negative).
void softmax(const Tensor& x, int64_t dim, bool log, Tensor& y);
void cat(const std::vector<Tensor>& xs, int64_t dim, Tensor& y);
// x [N, C, h.in, w.in] -> y [N, C, h.out, w.out] (cuda/interpolate_bridge.cc).
void interpolate(const Tensor& x, const InterpAxis& h, const InterpAxis& w, Tensor& y);

// y [..., N] = x [..., K] · w[N, K]^T + bias[N] (then ReLU).
void linear(const Tensor& x, const Tensor& w, const Tensor& bias, bool relu, Tensor& y);
// y [..., M, N] = a [..., M, K] · b [..., K, N]; b may be 2-D (shared by every batch) or have a's batch dims.
void matmul(const Tensor& a, const Tensor& b, Tensor& y);

// Tensor cores (precision tf32 / bf16 / fp16; cuda/gemm_tc_bridge.cc): the same ops with rounded operands.
// linearPackTc packs a weight [out, in] once (a compiled plan keeps it); linearPackedTc runs with it.
void linearTc(const Tensor& x, const Tensor& w, const Tensor& bias, bool relu, Precision precision, Tensor& y);
Tensor linearPackTc(const Tensor& w, Precision precision);
void linearPackedTc(const Tensor& x, const Tensor& wPacked, int64_t outFeatures, const Tensor& bias, bool relu,
                    Precision precision, Tensor& y);
void matmulTc(const Tensor& a, const Tensor& b, Precision precision, Tensor& y);

// Direct convolution: x [N, C, H, W], w [K, C/groups, R, S] -> y [N, K, OH, OW] as `d` describes
// (asymmetric 'same' padding included), bias [K] or undefined, ReLU fused.
void conv2dDirect(const ConvDesc& d, const Tensor& x, const Tensor& w, const Tensor& bias, bool relu, Tensor& y);

// ---- the CUDA convolution registry's entries (dispatch/cuda_conv_registry.cc lists them) ---------------
// Prepare: the weights in the layout an entry runs on — `w` itself where none is needed (shares its
// storage), the Winograd-transformed U = G g Gᵀ as [α², K, C/groups], or rows rounded and packed for the
// tensor cores (computed on the device, once per layer).
Tensor convPrepareAsStored(const ConvDesc& d, const Tensor& w);
Tensor convPrepareWinograd2(const ConvDesc& d, const Tensor& w);
Tensor convPrepareWinograd4(const ConvDesc& d, const Tensor& w);
Tensor convPrepareTc(const ConvDesc& d, const Tensor& w);
// Launch: the kernels of one run on a.stream (cuda/conv_kernels.h), bias and ReLU fused.
void convLaunchDirect(const CudaConvLaunch& a);
void convLaunchIm2col(const CudaConvLaunch& a);
void convLaunchImplicitGemm(const CudaConvLaunch& a);
void convLaunchGemm1x1(const CudaConvLaunch& a);
void convLaunchWinograd2(const CudaConvLaunch& a);
void convLaunchWinograd4(const CudaConvLaunch& a);
void convLaunchTc(const CudaConvLaunch& a);

// y [N, K, OH, OW] = conv(x) + bias, ReLU fused, with `a`'s prepared weights; its workspace comes from the
// device's caching pool for the call.
void convRun(const CudaConvAlgo& a, const ConvDesc& d, const Tensor& x, const Tensor& prepared, const Tensor& bias,
             bool relu, Tensor& y);
// Milliseconds of one run (best of a few, after a warm-up), timed with CUDA events on the device's stream.
double convTimeMs(const CudaConvAlgo& a, const ConvDesc& d, const Tensor& x, const Tensor& prepared,
                  const Tensor& bias, Tensor& y);

}  // namespace convnets::cuda_ops
