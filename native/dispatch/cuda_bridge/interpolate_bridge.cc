// cuda_ops::interpolate (dispatch/cuda_ops.h): tap tables and the intermediate image come from the device's
// caching pool (as Tensors, freed when this returns: the pool keeps them for the stream's later work), the
// kernels of interpolate.cu run on the device's stream. Width first, then height, an identity axis skipped,
// exactly as cpu/interpolate.cc does.
#include "dispatch/cuda_ops.h"
#include "core/error.h"
#include "cuda/check.h"
#include "cuda/kernels.h"
#include "cuda/stream.h"

namespace convnets::cuda_ops {
namespace {

// The [a.out, a.taps] table of one axis on the device: indices in the first half, weights in the second.
struct DeviceTable {
  Tensor storage;
  const int32_t* idx() const { return reinterpret_cast<const int32_t*>(storage.data()); }
  const float* w(const InterpAxis& a) const { return storage.data() + a.out * a.taps; }
};

DeviceTable table(const InterpAxis& a, Device device, cudaStream_t s) {
  static_assert(sizeof(int32_t) == sizeof(float), "indices share the float storage");
  DeviceTable t{Tensor::empty({2 * a.out * a.taps}, device)};
  cuda::interpTable(a, reinterpret_cast<int32_t*>(t.storage.data()), t.storage.data() + a.out * a.taps, s);
  return t;
}

}  // namespace

void interpolate(const Tensor& x, const InterpAxis& h, const InterpAxis& w, Tensor& y) {
  CN_CHECK(y.defined() && y.device().isCuda() && x.device() == y.device(), "interpolate: operand on ",
           x.device().str(), " but output on ", y.device().str());
  CN_CHECK(x.dim() == 4 && y.dim() == 4 && x.size(2) == h.in && x.size(3) == w.in && y.size(2) == h.out &&
               y.size(3) == w.out && x.size(0) * x.size(1) == y.size(0) * y.size(1),
           "interpolate: tensors do not match the axes");
  cuda::DeviceScope sc(y.device().index);
  const int64_t planes = x.size(0) * x.size(1);
  const bool doW = !interpIsIdentity(w), doH = !interpIsIdentity(h);
  if (!doW && !doH) {
    CN_CUDA(cudaMemcpyAsync(y.data(), x.data(), size_t(x.numel()) * sizeof(float), cudaMemcpyDeviceToDevice,
                            sc.stream));
    cuda::afterOp(sc);
    return;
  }
  Tensor tmp;
  const float* src = x.data();
  if (doW) {
    const DeviceTable tw = table(w, y.device(), sc.stream);
    float* dst = y.data();
    if (doH) {
      tmp = Tensor::empty({planes, h.in, w.out}, y.device());
      dst = tmp.data();
    }
    cuda::resampleAxis(src, dst, planes * h.in, 1, w, tw.idx(), tw.w(w), sc.stream);
    src = dst;
  }
  if (doH) {
    const DeviceTable th = table(h, y.device(), sc.stream);
    cuda::resampleAxis(src, y.data(), planes, w.out, h, th.idx(), th.w(h), sc.stream);
  }
  cuda::afterOp(sc);
}

}  // namespace convnets::cuda_ops
