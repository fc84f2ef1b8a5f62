// A tensor descriptor: shape, device and shared storage. float32 and contiguous (row-major; NCHW for
// images) — the only layout the library uses, so kernels never need strides.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/allocator.h"
#include "core/device.h"

namespace convnets {

using Shape = std::vector<int64_t>;

int64_t numelOf(const Shape& shape);  // throws on negative dims or int64 overflow
std::string shapeStr(const Shape& shape);  // "[2, 3, 4]"

class Tensor {
 public:
  Tensor() = default;
  // Uninitialised storage of numel(shape) floats on `device`.
  static Tensor empty(const Shape& shape, Device device = {});
  static Tensor zeros(const Shape& shape, Device device = {});
  // A tensor over existing storage holding at least numel(shape) floats (revives a weak reference).
  static Tensor fromStorage(std::shared_ptr<Storage> storage, const Shape& shape);

  const Shape& shape() const { return shape_; }
  int64_t dim() const { return int64_t(shape_.size()); }
  int64_t size(int64_t d) const;  // negative d counts from the end
  int64_t numel() const { return numel_; }
  Device device() const { return storage_ ? storage_->device() : Device{}; }
  bool defined() const { return storage_ != nullptr; }
  float* data() const { return storage_ ? static_cast<float*>(storage_->data()) : nullptr; }
  const std::shared_ptr<Storage>& storage() const { return storage_; }

  // Same storage, new shape (element counts must match).
  Tensor reshape(const Shape& shape) const;
  // Copy to another device (a copy even when the device is the same).
  Tensor to(Device device) const;
  void release() { storage_.reset(); shape_.clear(); numel_ = 0; }

 private:
  Shape shape_;
  int64_t numel_ = 0;
  std::shared_ptr<Storage> storage_;
};

}  // namespace convnets
