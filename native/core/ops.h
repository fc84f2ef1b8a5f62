// Device-level ops: check shapes, devices and arguments (messages name the op and the argument), then
// dispatch to the CPU kernel (native/cpu/) or the CUDA kernel (native/cuda/).
#pragma once
#include "core/tensor.h"

namespace convnets::ops {

Tensor relu(const Tensor& x);
// a + b, same shape; optionally followed by ReLU (the residual join of ResNet).
Tensor add(const Tensor& a, const Tensor& b, bool relu = false);

}  // namespace convnets::ops

namespace convnets::ops {

// linear(input [N, in], weight [out, in], bias [out]?) = input·weightᵀ + bias, optionally ReLU (torch layout).
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias, bool relu = false);
// matmul: [M, K]·[K, N] → [M, N], or batched [B, M, K]·[B, K, N] → [B, M, N].
Tensor matmul(const Tensor& a, const Tensor& b);

}  // namespace convnets::ops
