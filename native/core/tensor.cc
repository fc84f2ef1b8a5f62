#include "core/tensor.h"

#include <cstring>
#include <limits>
#include <sstream>

#include "core/cuda_api.h"
#include "core/error.h"

namespace convnets {

int64_t numelOf(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    CN_CHECK(d >= 0, "shape ", shapeStr(shape), " has a negative dimension");
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / 4 / d)
      fail("shape ", shapeStr(shape), " has too many elements");
    n *= d;
  }
  return n;
}

std::string shapeStr(const Shape& shape) {
  std::ostringstream s;
  s << '[';
  for (size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
  s << ']';
  return s.str();
}

Tensor Tensor::empty(const Shape& shape, Device device) {
  Tensor t;
  t.numel_ = numelOf(shape);
  t.shape_ = shape;
  t.storage_ = Storage::allocate(device, size_t(t.numel_) * sizeof(float));
  return t;
}

Tensor Tensor::zeros(const Shape& shape, Device device) {
  Tensor t = empty(shape, device);
  if (device.isCpu()) {
    std::memset(t.data(), 0, size_t(t.numel_) * sizeof(float));
  } else if (t.numel_) {
    cudart::zeroFill(t.data(), size_t(t.numel_) * sizeof(float), device.index);
  }
  return t;
}

Tensor Tensor::fromStorage(std::shared_ptr<Storage> storage, const Shape& shape) {
  Tensor t;
  t.numel_ = numelOf(shape);
  CN_CHECK(storage && storage->bytes() >= size_t(t.numel_) * sizeof(float), "fromStorage: storage too small for ",
           shapeStr(shape));
  t.shape_ = shape;
  t.storage_ = std::move(storage);
  return t;
}

int64_t Tensor::size(int64_t d) const {
  int64_t n = dim();
  if (d < 0) d += n;
  CN_CHECK(d >= 0 && d < n, "dimension ", d, " is out of range for a tensor of shape ", shapeStr(shape_));
  return shape_[size_t(d)];
}

Tensor Tensor::reshape(const Shape& shape) const {
  int64_t n = numelOf(shape);
  CN_CHECK(n == numel_, "reshape: cannot view a tensor of shape ", shapeStr(shape_), " (", numel_,
           " elements) as ", shapeStr(shape), " (", n, " elements)");
  Tensor t = *this;
  t.shape_ = shape;
  return t;
}

Tensor Tensor::to(Device target) const {
  CN_CHECK(defined(), "to: the tensor was disposed");
  Tensor t = empty(shape_, target);
  size_t bytes = size_t(numel_) * sizeof(float);
  if (bytes == 0) return t;
  Device src = device();
  if (src.isCpu() && target.isCpu()) {
    std::memcpy(t.data(), data(), bytes);
  } else if (src.isCpu()) {
    cudart::copyHostToDevice(t.data(), data(), bytes, target.index);
  } else if (target.isCpu()) {
    cudart::copyDeviceToHost(t.data(), data(), bytes, src.index);
  } else {
    CN_CHECK(src.index == target.index, "to: copies between two CUDA devices are not supported (",
             src.str(), " -> ", target.str(), ")");
    cudart::copyDeviceToDevice(t.data(), data(), bytes, src.index);
  }
  return t;
}

}  // namespace convnets
