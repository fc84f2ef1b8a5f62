// The CUDA registry's entries (dispatch/cuda_conv_registry.cc): each one's prepare and launch over the
// kernels of cuda/conv_*.cu; convRun takes the workspace from the device's caching pool, convTimeMs is
// find's CUDA-event timer.
#include <algorithm>

#include "dispatch/cuda_ops.h"
#include "core/error.h"
#include "cuda/check.h"
#include "cuda/conv_kernels.h"
#include "cuda/stream.h"
#include "dispatch/cuda_bridge/conv_params.h"

namespace convnets::cuda_ops {
namespace {

const float* biasOf(const CudaConvLaunch& a) { return a.bias.defined() ? a.bias.data() : nullptr; }

void launchWinograd(const CudaConvLaunch& a, int m) {
  cuda::conv2dWinograd(a.x.data(), a.prepared.data(), biasOf(a), a.y.data(), conv2dOf(a.d), a.relu, m, a.workspace,
                       a.imagesPerChunk, a.stream);
}

// U = G g Gᵀ as [α², K, C/groups], computed on the device.
Tensor prepareWinograd(const ConvDesc& d, const Tensor& w, int m) {
  const int a = m + 2;
  Tensor u = Tensor::empty({int64_t(a) * a, d.K, d.Cg()}, w.device());
  cuda::DeviceScope sc(w.device().index);
  cuda::winogradWeights(w.data(), u.data(), d.K, d.Cg(), m, sc.stream);
  cuda::afterOp(sc);
  return u;
}

void checkWeight(const ConvDesc& d, const Tensor& w) {
  CN_CHECK(w.defined() && w.device().isCuda(), "conv2d: weight is not on a CUDA device");
  CN_CHECK(w.shape() == d.weightShape(), "conv2d: weight shape ", shapeStr(w.shape()), " does not match ",
           shapeStr(d.weightShape()));
}

void checkRun(const ConvDesc& d, const Tensor& x, const Tensor& prepared, const Tensor& bias, const Tensor& y) {
  CN_CHECK(y.defined() && y.device().isCuda(), "conv2d: output is not on a CUDA device");
  CN_CHECK(x.device() == y.device() && prepared.device() == y.device() &&
               (!bias.defined() || bias.device() == y.device()),
           "conv2d: operands are not all on ", y.device().str());
  CN_CHECK(x.shape() == Shape({d.N, d.C, d.H, d.W}) && y.shape() == d.outputShape() &&
               (!bias.defined() || bias.numel() == d.K),
           "conv2d: tensors do not match the convolution descriptor");
}

// Scratch for one run from the device's caching pool (freed back to the pool after the call; the next
// user is queued behind this run on the same stream, so the reuse is ordered).
Tensor workspaceFor(int64_t bytes, Device device) {
  if (bytes <= 0) return Tensor();
  return Tensor::empty({(bytes + int64_t(sizeof(float)) - 1) / int64_t(sizeof(float))}, device);
}

// A CUDA event, destroyed with its scope.
struct Event {
  cudaEvent_t e = nullptr;
  Event() { CN_CUDA(cudaEventCreate(&e)); }
  ~Event() {
    if (e) cudaEventDestroy(e);  // cannot throw from a destructor; a failure here leaks one event
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
};

}  // namespace

Tensor convPrepareAsStored(const ConvDesc& d, const Tensor& w) {
  checkWeight(d, w);
  return w;  // the GEMM and direct kernels read [K, C/g, R, S] as stored
}
Tensor convPrepareWinograd2(const ConvDesc& d, const Tensor& w) {
  checkWeight(d, w);
  return prepareWinograd(d, w, 2);
}
Tensor convPrepareWinograd4(const ConvDesc& d, const Tensor& w) {
  checkWeight(d, w);
  return prepareWinograd(d, w, 4);
}
// [K][Cg·R·S] rounded to the precision, rows zero-padded to a multiple of 32 (held in a float tensor of the
// same bytes: the kernels read it as 16- or 32-bit words).
Tensor convPrepareTc(const ConvDesc& d, const Tensor& w) {
  checkWeight(d, w);
  const Precision prec = d.precision;
  const cuda::TcPack pk{1, d.K, d.Cg() * d.R * d.S, 0, d.Cg() * d.R * d.S, 1};
  Tensor packed = Tensor::empty({(cuda::tcPackedBytes(pk, prec) + 3) / 4}, w.device());
  cuda::DeviceScope sc(w.device().index);
  cuda::tcPackRows(w.data(), pk, packed.data(), prec, sc.stream);
  cuda::afterOp(sc);
  return packed;
}

void convLaunchDirect(const CudaConvLaunch& a) {
  cuda::conv2dDirect(a.x.data(), a.prepared.data(), biasOf(a), a.y.data(), conv2dOf(a.d), a.relu, a.stream);
}
void convLaunchIm2col(const CudaConvLaunch& a) {
  cuda::conv2dIm2col(a.x.data(), a.prepared.data(), biasOf(a), a.y.data(), conv2dOf(a.d), a.relu, a.workspace,
                     a.imagesPerChunk, a.stream);
}
void convLaunchImplicitGemm(const CudaConvLaunch& a) {
  cuda::conv2dImplicitGemm(a.x.data(), a.prepared.data(), biasOf(a), a.y.data(), conv2dOf(a.d), a.relu, a.stream);
}
void convLaunchGemm1x1(const CudaConvLaunch& a) {
  cuda::conv2dGemm1x1(a.x.data(), a.prepared.data(), biasOf(a), a.y.data(), conv2dOf(a.d), a.relu, a.workspace,
                      a.imagesPerChunk, a.stream);
}
void convLaunchWinograd2(const CudaConvLaunch& a) { launchWinograd(a, 2); }
void convLaunchWinograd4(const CudaConvLaunch& a) { launchWinograd(a, 4); }
void convLaunchTc(const CudaConvLaunch& a) {
  cuda::conv2dImplicitGemmTc(a.x.data(), a.prepared.data(), biasOf(a), a.y.data(), conv2dOf(a.d), a.relu,
                             a.d.precision, a.workspace, a.stream);
}

void convRun(const CudaConvAlgo& a, const ConvDesc& d, const Tensor& x, const Tensor& prepared, const Tensor& bias,
             bool relu, Tensor& y) {
  checkRun(d, x, prepared, bias, y);
  if (y.numel() == 0) return;
  cuda::DeviceScope sc(y.device().index);
  Tensor ws = workspaceFor(cudaConvWorkspaceBytes(a, d), y.device());
  a.launch({d, x, prepared, bias, relu, ws.defined() ? ws.data() : nullptr, cudaConvImagesPerChunk(a, d), y, sc.stream});
  cuda::afterOp(sc);
}

double convTimeMs(const CudaConvAlgo& a, const ConvDesc& d, const Tensor& x, const Tensor& prepared,
                  const Tensor& bias, Tensor& y) {
  checkRun(d, x, prepared, bias, y);
  if (y.numel() == 0) return 0.0;
  cuda::DeviceScope sc(y.device().index);
  Tensor ws = workspaceFor(cudaConvWorkspaceBytes(a, d), y.device());
  const CudaConvLaunch args{d, x, prepared, bias, true, ws.defined() ? ws.data() : nullptr,
                            cudaConvImagesPerChunk(a, d), y, sc.stream};
  a.launch(args);  // warm-up (module load, caches)
  Event start, stop;
  // Best of a few runs: the minimum is the least disturbed by clocks ramping up and other work.
  float best = 1e30f, total = 0.0f;
  for (int rep = 0; rep < 5 && (rep < 2 || total < 200.0f); ++rep) {
    CN_CUDA(cudaEventRecord(start.e, sc.stream));
    a.launch(args);
    CN_CUDA(cudaEventRecord(stop.e, sc.stream));
    CN_CUDA(cudaEventSynchronize(stop.e));
    float ms = 0.0f;
    CN_CUDA(cudaEventElapsedTime(&ms, start.e, stop.e));
    best = std::min(best, ms);
    total += ms;
  }
  return double(best);
}

}  // namespace convnets::cuda_ops
