// Pooling kernels (torch semantics, kernels.h): one thread per output element in a grid-stride loop;
// consecutive threads take consecutive output columns, so reads and writes are coalesced for stride 1
// and as close as the stride allows otherwise.
#include <cfloat>

#include "cuda/check.h"
#include "cuda/kernels.h"
#include "cuda/launch.cuh"

namespace convnets::cuda {
namespace {

__global__ void maxPoolKernel(const float* __restrict__ x, float* __restrict__ y, Pool2dDesc p, int64_t total) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const int64_t ow = i % p.OW, oh = (i / p.OW) % p.OH, plane = i / (p.OW * p.OH);
    const float* xp = x + plane * p.H * p.W;
    const int64_t h0 = oh * p.sh - p.ph, w0 = ow * p.sw - p.pw;
    float m = -FLT_MAX;
    bool any = false, nan = false;
    for (int64_t r = 0; r < p.kh; ++r) {
      const int64_t h = h0 + r * p.dh;
      if (h < 0 || h >= p.H) continue;
      for (int64_t c = 0; c < p.kw; ++c) {
        const int64_t w = w0 + c * p.dw;
        if (w < 0 || w >= p.W) continue;
        const float v = xp[h * p.W + w];
        nan |= v != v;
        m = any ? fmaxf(m, v) : v;
        any = true;
      }
    }
    // torch propagates NaN; a window with no tap inside the input (not reachable with torch's
    // padding <= kernel/2 rule) gives -inf.
    y[i] = nan ? __int_as_float(0x7fc00000) : (any ? m : -INFINITY);
  }
}

__global__ void avgPoolKernel(const float* __restrict__ x, float* __restrict__ y, Pool2dDesc p, bool countIncludePad,
                              int64_t total) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const int64_t ow = i % p.OW, oh = (i / p.OW) % p.OH, plane = i / (p.OW * p.OH);
    const float* xp = x + plane * p.H * p.W;
    // torch: the window is first clipped to the padded input (matters in ceil mode), that size is the
    // divisor with countIncludePad; then clipped to the input for the sum (and the other divisor).
    int64_t hs = oh * p.sh - p.ph, ws = ow * p.sw - p.pw;
    int64_t he = min(hs + p.kh, p.H + p.ph), we = min(ws + p.kw, p.W + p.pw);
    const int64_t padded = (he - hs) * (we - ws);
    hs = max(hs, int64_t(0));
    ws = max(ws, int64_t(0));
    he = min(he, p.H);
    we = min(we, p.W);
    float sum = 0.0f;
    for (int64_t h = hs; h < he; ++h)
      for (int64_t w = ws; w < we; ++w) sum += xp[h * p.W + w];
    const int64_t count = countIncludePad ? padded : (he - hs) * (we - ws);
    y[i] = count > 0 ? sum / float(count) : 0.0f;
  }
}

__global__ void adaptiveAvgPoolKernel(const float* __restrict__ x, float* __restrict__ y, int64_t H, int64_t W,
                                      int64_t OH, int64_t OW, int64_t total) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const int64_t ow = i % OW, oh = (i / OW) % OH, plane = i / (OW * OH);
    const float* xp = x + plane * H * W;
    const int64_t hs = oh * H / OH, he = ((oh + 1) * H + OH - 1) / OH;
    const int64_t ws = ow * W / OW, we = ((ow + 1) * W + OW - 1) / OW;
    float sum = 0.0f;
    for (int64_t h = hs; h < he; ++h)
      for (int64_t w = ws; w < we; ++w) sum += xp[h * W + w];
    y[i] = sum / float((he - hs) * (we - ws));
  }
}

void checkPool(const Pool2dDesc& p, const char* op) {
  CN_CHECK(p.kh >= 1 && p.kw >= 1 && p.sh >= 1 && p.sw >= 1 && p.dh >= 1 && p.dw >= 1 && p.ph >= 0 && p.pw >= 0,
           op, ": invalid window");
}

}  // namespace

void maxPool2d(const float* x, float* y, const Pool2dDesc& p, cudaStream_t s) {
  checkPool(p, "maxPool2d");
  const int64_t total = p.N * p.C * p.OH * p.OW;
  if (total <= 0) return;
  maxPoolKernel<<<gridFor(total), kThreads, 0, s>>>(x, y, p, total);
  CN_CUDA_LAUNCH();
}

void avgPool2d(const float* x, float* y, const Pool2dDesc& p, bool countIncludePad, cudaStream_t s) {
  checkPool(p, "avgPool2d");
  CN_CHECK(p.dh == 1 && p.dw == 1, "avgPool2d: dilation is not supported");
  const int64_t total = p.N * p.C * p.OH * p.OW;
  if (total <= 0) return;
  avgPoolKernel<<<gridFor(total), kThreads, 0, s>>>(x, y, p, countIncludePad, total);
  CN_CUDA_LAUNCH();
}

void adaptiveAvgPool2d(const float* x, float* y, int64_t planes, int64_t H, int64_t W, int64_t OH, int64_t OW,
                       cudaStream_t s) {
  const int64_t total = planes * OH * OW;
  if (total <= 0) return;
  CN_CHECK(H > 0 && W > 0, "adaptiveAvgPool2d: empty input plane");
  adaptiveAvgPoolKernel<<<gridFor(total), kThreads, 0, s>>>(x, y, H, W, OH, OW, total);
  CN_CUDA_LAUNCH();
}

}  // namespace convnets::cuda
