// dispatch/cuda_ops.h's convolution entries on CUDA: the registry's kinds (dispatch/cuda_conv_registry.h) mapped to the
// kernels of conv_*.cu, with the workspace from the device's caching pool and find's CUDA-event timer.
#include <algorithm>

#include "dispatch/cuda_ops.h"
#include "core/error.h"
#include "cuda/check.h"
#include "cuda/conv_kernels.h"
#include "cuda/stream.h"

namespace convnets::cuda_ops {
namespace {

cuda::Conv2d conv2dOf(const ConvDesc& d) {
  cuda::Conv2d p;
  p.N = d.N; p.C = d.C; p.H = d.H; p.W = d.W;
  p.K = d.K; p.R = d.R; p.S = d.S;
  p.OH = d.outH; p.OW = d.outW;
  p.strideH = d.strideH; p.strideW = d.strideW; p.padTop = d.padH; p.padLeft = d.padW;
  p.dilH = d.dilationH; p.dilW = d.dilationW; p.groups = d.groups;
  return p;
}

int winogradTile(CudaConvKind kind) { return kind == CudaConvKind::Winograd2x2_3x3 ? 2 : 4; }
bool isWinograd(CudaConvKind kind) {
  return kind == CudaConvKind::Winograd2x2_3x3 || kind == CudaConvKind::Winograd4x4_3x3;
}

// The kernels of one run, queued on `stream`; ws holds workspaceBytes (or is null when 0).
void launch(CudaConvKind kind, const ConvDesc& d, const Tensor& x, const Tensor& prepared, const Tensor& bias,
            bool relu, float* ws, Tensor& y, cudaStream_t stream) {
  const cuda::Conv2d p = conv2dOf(d);
  const float* b = bias.defined() ? bias.data() : nullptr;
  const int64_t P = d.outH * d.outW;
  switch (kind) {
    case CudaConvKind::Direct:
      cuda::conv2dDirect(x.data(), prepared.data(), b, y.data(), p, relu, stream);
      return;
    case CudaConvKind::Im2col:
      cuda::conv2dIm2col(x.data(), prepared.data(), b, y.data(), p, relu, ws,
                         cudaConvImagesPerChunk(d.N, d.C * d.R * d.S * P * int64_t(sizeof(float))), stream);
      return;
    case CudaConvKind::ImplicitGemm:
      cuda::conv2dImplicitGemm(x.data(), prepared.data(), b, y.data(), p, relu, stream);
      return;
    case CudaConvKind::Gemm1x1:
      cuda::conv2dGemm1x1(x.data(), prepared.data(), b, y.data(), p, relu, ws,
                          cudaConvImagesPerChunk(d.N, d.C * P * int64_t(sizeof(float))), stream);
      return;
    case CudaConvKind::ImplicitGemmTc:
      cuda::conv2dImplicitGemmTc(x.data(), prepared.data(), b, y.data(), p, relu, d.precision, ws,
                                 stream);
      return;
    case CudaConvKind::Winograd2x2_3x3:
    case CudaConvKind::Winograd4x4_3x3: {
      const int m = winogradTile(kind);
      const int64_t perImage = int64_t(m + 2) * (m + 2) * (d.C + d.K) * cudaWinogradTilesPerImage(d, m) *
                               int64_t(sizeof(float));
      cuda::conv2dWinograd(x.data(), prepared.data(), b, y.data(), p, relu, m, ws,
                           cudaConvImagesPerChunk(d.N, perImage), stream);
      return;
    }
  }
  fail("conv2d: unknown CUDA algorithm kind ", int(kind));
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

Tensor convPrepare(CudaConvKind kind, const ConvDesc& d, const Tensor& w) {
  CN_CHECK(w.defined() && w.device().isCuda(), "conv2d: weight is not on a CUDA device");
  CN_CHECK(w.shape() == d.weightShape(), "conv2d: weight shape ", shapeStr(w.shape()), " does not match ",
           shapeStr(d.weightShape()));
  if (kind == CudaConvKind::ImplicitGemmTc) {
    // [K][Cg·R·S] rounded to the precision, rows zero-padded to a multiple of 32 (held in a float tensor of
    // the same bytes: the kernels read it as 16- or 32-bit words).
    const Precision prec = d.precision;
    const cuda::TcPack pk{1, d.K, d.Cg() * d.R * d.S, 0, d.Cg() * d.R * d.S, 1};
    Tensor packed = Tensor::empty({(cuda::tcPackedBytes(pk, prec) + 3) / 4}, w.device());
    cuda::DeviceScope sc(w.device().index);
    cuda::tcPackRows(w.data(), pk, packed.data(), prec, sc.stream);
    cuda::afterOp(sc);
    return packed;
  }
  if (!isWinograd(kind)) return w;  // the GEMM and direct kernels read [K, C/g, R, S] as stored
  const int m = winogradTile(kind), a = m + 2;
  Tensor u = Tensor::empty({int64_t(a) * a, d.K, d.Cg()}, w.device());
  cuda::DeviceScope sc(w.device().index);
  cuda::winogradWeights(w.data(), u.data(), d.K, d.Cg(), m, sc.stream);
  cuda::afterOp(sc);
  return u;
}

void convRun(CudaConvKind kind, const ConvDesc& d, const Tensor& x, const Tensor& prepared, const Tensor& bias,
             bool relu, int64_t workspaceBytes, Tensor& y) {
  checkRun(d, x, prepared, bias, y);
  if (y.numel() == 0) return;
  cuda::DeviceScope sc(y.device().index);
  Tensor ws = workspaceFor(workspaceBytes, y.device());
  launch(kind, d, x, prepared, bias, relu, ws.defined() ? ws.data() : nullptr, y, sc.stream);
  cuda::afterOp(sc);
}

double convTimeMs(CudaConvKind kind, const ConvDesc& d, const Tensor& x, const Tensor& prepared, const Tensor& bias,
                  int64_t workspaceBytes, Tensor& y) {
  checkRun(d, x, prepared, bias, y);
  if (y.numel() == 0) return 0.0;
  cuda::DeviceScope sc(y.device().index);
  Tensor ws = workspaceFor(workspaceBytes, y.device());
  float* wsp = ws.defined() ? ws.data() : nullptr;
  launch(kind, d, x, prepared, bias, true, wsp, y, sc.stream);  // warm-up (module load, caches)
  Event start, stop;
  // Best of a few runs: the minimum is the least disturbed by clocks ramping up and other work.
  float best = 1e30f, total = 0.0f;
  for (int rep = 0; rep < 5 && (rep < 2 || total < 200.0f); ++rep) {
    CN_CUDA(cudaEventRecord(start.e, sc.stream));
    launch(kind, d, x, prepared, bias, true, wsp, y, sc.stream);
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
