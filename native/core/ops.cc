#include "core/ops.h"

#include "core/error.h"
#include "cpu/activation.h"

namespace convnets::ops {

Tensor relu(const Tensor& x) {
  CN_CHECK(x.device().isCpu(), "relu: input is on ", x.device().str(), ", which has no kernel yet");
  Tensor y = Tensor::empty(x.shape(), x.device());
  cpu::relu(x.data(), y.data(), x.numel());
  return y;
}

Tensor add(const Tensor& a, const Tensor& b, bool relu) {
  CN_CHECK(a.shape() == b.shape(), "add: shapes differ: ", shapeStr(a.shape()), " and ", shapeStr(b.shape()));
  CN_CHECK(a.device() == b.device(), "add: operands are on different devices: ", a.device().str(), " and ",
           b.device().str());
  CN_CHECK(a.device().isCpu(), "add: input is on ", a.device().str(), ", which has no kernel yet");
  Tensor y = Tensor::empty(a.shape(), a.device());
  cpu::add(a.data(), b.data(), y.data(), a.numel(), relu);
  return y;
}

}  // namespace convnets::ops

// ---- linear / matmul (GEMM, cpu/gemm.h) ----
#include "cpu/gemm.h"

namespace convnets::ops {

Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias, bool relu) {
  CN_CHECK(input.dim() == 2, "linear: expected a 2-D input [N, in_features], got ", shapeStr(input.shape()));
  CN_CHECK(weight.dim() == 2, "linear: expected a 2-D weight [out_features, in_features], got ",
           shapeStr(weight.shape()));
  CN_CHECK(input.size(1) == weight.size(1), "linear: input has ", input.size(1), " features but weight expects ",
           weight.size(1));
  CN_CHECK(!bias.defined() || (bias.dim() == 1 && bias.numel() == weight.size(0)), "linear: bias has shape ",
           shapeStr(bias.shape()), " but weight has ", weight.size(0), " output features");
  CN_CHECK(input.device() == weight.device() && (!bias.defined() || bias.device() == weight.device()),
           "linear: operands are on different devices");
  CN_CHECK(input.device().isCpu(), "linear: input is on ", input.device().str(), ", which has no kernel yet");
  const int64_t N = input.size(0), in = input.size(1), out = weight.size(0);
  Tensor y = Tensor::empty({N, out}, input.device());
  cpu::GemmEpilogue e;
  e.colBias = bias.defined() ? bias.data() : nullptr;
  e.relu = relu;
  // y = x·Wᵀ: B(k, j) = W[j, k], i.e. W read with swapped strides (no transpose copy).
  cpu::sgemm(N, out, in, input.data(), in, 1, weight.data(), 1, in, y.data(), out, e);
  return y;
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  CN_CHECK((a.dim() == 2 && b.dim() == 2) || (a.dim() == 3 && b.dim() == 3),
           "matmul: expected two 2-D or two 3-D tensors, got ", shapeStr(a.shape()), " and ", shapeStr(b.shape()));
  CN_CHECK(a.size(-1) == b.size(-2), "matmul: cannot multiply ", shapeStr(a.shape()), " by ", shapeStr(b.shape()),
           " (inner dimensions ", a.size(-1), " and ", b.size(-2), " differ)");
  CN_CHECK(a.dim() == 2 || a.size(0) == b.size(0), "matmul: batch sizes differ: ", a.size(0), " and ", b.size(0));
  CN_CHECK(a.device() == b.device(), "matmul: operands are on different devices: ", a.device().str(), " and ",
           b.device().str());
  CN_CHECK(a.device().isCpu(), "matmul: input is on ", a.device().str(), ", which has no kernel yet");
  const int64_t batch = a.dim() == 3 ? a.size(0) : 1, M = a.size(-2), K = a.size(-1), N = b.size(-1);
  Tensor y = Tensor::empty(a.dim() == 3 ? Shape{batch, M, N} : Shape{M, N}, a.device());
  for (int64_t i = 0; i < batch; ++i)
    cpu::sgemm(M, N, K, a.data() + i * M * K, K, 1, b.data() + i * K * N, N, 1, y.data() + i * M * N, N);
  return y;
}

}  // namespace convnets::ops
