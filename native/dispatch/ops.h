// Device-level ops: check shapes, devices and arguments (messages name the op and the argument), then
// dispatch to the CPU kernel (native/cpu/) or the CUDA kernel (native/cuda/).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/precision.h"
#include "core/tensor.h"

namespace convnets::ops {

Tensor relu(const Tensor& x);
// a + b, same shape; optionally followed by ReLU (the residual join of ResNet).
Tensor add(const Tensor& a, const Tensor& b, bool relu = false);

// ---- layer ops (torch.nn.functional semantics, NCHW float32) ----------------------------------------

using Pair = std::array<int64_t, 2>;  // {h, w}

// torch's pooling output size: floor((in + 2p - d(k-1) - 1 + (ceilMode ? s-1 : 0)) / s) + 1, and in ceil
// mode one less when the last window would start past the input and its left padding. May be <= 0.
int64_t poolOutputSize(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceilMode);
// The output shape maxPool2d / avgPool2d (op) would give, after the same checks (summary() uses it).
Shape poolOutputShape(const char* op, const Shape& x, Pair kernel, Pair stride, Pair padding, Pair dilation,
                      bool ceilMode);
Tensor maxPool2d(const Tensor& x, Pair kernel, Pair stride, Pair padding, Pair dilation, bool ceilMode);
Tensor avgPool2d(const Tensor& x, Pair kernel, Pair stride, Pair padding, bool ceilMode, bool countIncludePad);
Tensor adaptiveAvgPool2d(const Tensor& x, Pair outputSize);
// CPU: the window × window average pool (stride = window, no padding, floor mode) of the channel
// concatenation of `parts` (one part: a plain input), each channel first mapped by v·scale[c] + shift[c]
// (then ReLU when relu) when scale is non-empty. What compile() runs in front of a 1×1 conv it moved a
// pool across (plan_lowering.cc, poolBeforePointwiseConv).
Tensor affineAvgPool(const std::vector<Tensor>& parts, const std::vector<float>& scale,
                     const std::vector<float>& shift, bool relu, Pair window);
Tensor localResponseNorm(const Tensor& x, int64_t size, double alpha, double beta, double k);
// Inference batch norm from running statistics; weight and bias may be undefined (1 and 0).
Tensor batchNorm(const Tensor& x, const Tensor& runningMean, const Tensor& runningVar, const Tensor& weight,
                 const Tensor& bias, double eps, bool relu);
// Training-mode dropout (the caller copies instead when not training).
Tensor dropout(const Tensor& x, double p, uint64_t seed);
Tensor softmax(const Tensor& x, int64_t dim);
Tensor logSoftmax(const Tensor& x, int64_t dim);
Tensor cat(const std::vector<Tensor>& xs, int64_t dim);
// Index of the largest value along dim (NaN counts as largest; ties: the first), as float32.
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim);
// The k largest (smallest when !largest) values along dim and their indices (float32); sorted: best first,
// else in index order. CUDA inputs are computed on the host and the results copied back.
std::pair<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim, bool largest, bool sorted);
// torch's interpolate on NCHW (core/ops_interpolate.cc): mode "nearest" | "nearest-exact" | "bilinear" |
// "bicubic"; scaleFactor {h, w} > 0 when the caller's scale factors set the sampling grid (0: from sizes).
Tensor interpolate(const Tensor& x, Pair size, const std::string& mode, bool alignCorners, bool antialias,
                   std::array<double, 2> scaleFactor);
// The [h, w] window at (top, left) of every plane of an NCHW tensor; pixels outside the input are 0
// (torchvision's center_crop pads). CPU only.
Tensor crop2d(const Tensor& x, int64_t top, int64_t left, int64_t h, int64_t w);
// PIL's Image.resize of interleaved 8-bit pixels (H × W × C, `bytes` long), bit for bit (cpu/resize_pil.h).
std::vector<uint8_t> resizeImagePil(const uint8_t* px, int64_t bytes, int64_t h, int64_t w, int64_t c, int64_t oh,
                                    int64_t ow, bool bicubic);

// ---- the maths of convolution on plain float64 arrays ------------------------------------------------

enum class SignalMode { Full, Same, Valid };
SignalMode parseSignalMode(const std::string& mode, const char* op);  // "full" | "same" | "valid"

// numpy.convolve(a, v, mode) when !correlate, numpy.correlate(a, v, mode) when correlate.
std::vector<double> convolve1d(const double* a, int64_t na, const double* v, int64_t nv, SignalMode mode,
                               bool correlate);

struct Array2d {
  std::vector<double> data;  // row-major
  int64_t rows = 0, cols = 0;
};
struct Array2dView {
  const double* data;
  int64_t rows, cols;
};
// scipy.signal.convolve2d(in1, in2, mode) / correlate2d(in1, in2, mode), boundary 'fill' with 0.
Array2d convolve2d(Array2dView in1, Array2dView in2, SignalMode mode, bool correlate);

}  // namespace convnets::ops

namespace convnets::ops {

// linear(input [N, in], weight [out, in], bias [out]?) = input·weightᵀ + bias, optionally ReLU (torch layout).
// precision other than fp32: CUDA tensor cores (core/precision.h); the CPU refuses it.
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias, bool relu = false,
              Precision precision = Precision::Fp32);
// A linear layer whose weight was packed once for the tensor cores (linearPack, CUDA, precision not fp32).
Tensor linearPack(const Tensor& weight, Precision precision);
Tensor linearPacked(const Tensor& input, const Tensor& packedWeight, const Shape& weightShape, const Tensor& bias,
                    bool relu, Precision precision);
// matmul: [M, K]·[K, N] → [M, N], or batched [B, M, K]·[B, K, N] → [B, M, N].
Tensor matmul(const Tensor& a, const Tensor& b, Precision precision = Precision::Fp32);

}  // namespace convnets::ops
