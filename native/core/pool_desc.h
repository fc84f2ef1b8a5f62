// A 2-D pooling window over an NCHW tensor: sizes, kernel, stride, padding, dilation and the output
// size already computed (torch's formula, see ops.cc). Shared by the CPU and CUDA pooling kernels.
#pragma once
#include <cstdint>

namespace convnets {

struct Pool2dDesc {
  int64_t N = 0, C = 0, H = 0, W = 0;  // input
  int64_t OH = 0, OW = 0;              // output
  int64_t kh = 1, kw = 1;              // kernel
  int64_t sh = 1, sw = 1;              // stride
  int64_t ph = 0, pw = 0;              // padding (both sides)
  int64_t dh = 1, dw = 1;              // dilation (max pooling only; average pooling uses 1)
};

}  // namespace convnets
