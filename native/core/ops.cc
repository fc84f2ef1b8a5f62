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
