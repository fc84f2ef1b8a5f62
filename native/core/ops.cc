#include "core/ops.h"

#include "core/cuda_ops.h"
#include "core/error.h"
#include "cpu/activation.h"

namespace convnets::ops {

Tensor relu(const Tensor& x) {
  Tensor y = Tensor::empty(x.shape(), x.device());
  if (x.device().isCuda()) cuda_ops::relu(x, y);
  else cpu::relu(x.data(), y.data(), x.numel());
  return y;
}

Tensor add(const Tensor& a, const Tensor& b, bool relu) {
  CN_CHECK(a.shape() == b.shape(), "add: shapes differ: ", shapeStr(a.shape()), " and ", shapeStr(b.shape()));
  CN_CHECK(a.device() == b.device(), "add: operands are on different devices: ", a.device().str(), " and ",
           b.device().str());
  Tensor y = Tensor::empty(a.shape(), a.device());
  if (a.device().isCuda()) cuda_ops::add(a, b, relu, y);
  else cpu::add(a.data(), b.data(), y.data(), a.numel(), relu);
  return y;
}

}  // namespace convnets::ops
