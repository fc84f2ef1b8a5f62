// Pooling kernels (torch semantics, kernels.h): one thread per output element in a grid-stride loop;
// consecutive threads take consecutive output columns, so reads and writes are coalesced for stride 1
// and as close as the stride allows otherwise. Index type I: 32-bit whenever input and output have
// fewer than 2^30 elements — the per-element divisions that find (plane, oh, ow) are the kernels' main
// cost, and 64-bit ones are several times slower (max pool on [32,64,112,112]: 0.70× PyTorch's time).
#include <cfloat>

#include "cuda/check.h"
#include "cuda/kernels.h"
#include "cuda/launch.cuh"

namespace convnets::cuda {
namespace {

template <typename I>
__global__ void maxPoolKernel(const float* __restrict__ x, float* __restrict__ y, Pool2dDesc p, int64_t total) {
  const I OW = I(p.OW), OH = I(p.OH), H = I(p.H), W = I(p.W), kh = I(p.kh), kw = I(p.kw);
  const I stride = I(gridDim.x) * I(blockDim.x);
  for (I i = I(blockIdx.x) * I(blockDim.x) + I(threadIdx.x); i < I(total); i += stride) {
    const I q = i / OW, ow = i - q * OW, plane = q / OH, oh = q - plane * OH;
    const float* xp = x + plane * H * W;
    const I h0 = oh * I(p.sh) - I(p.ph), w0 = ow * I(p.sw) - I(p.pw);
    float m = -FLT_MAX;
    bool any = false, nan = false;
    for (I r = 0; r < kh; ++r) {
      const I h = h0 + r * I(p.dh);
      if (h < 0 || h >= H) continue;
      for (I c = 0; c < kw; ++c) {
        const I w = w0 + c * I(p.dw);
        if (w < 0 || w >= W) continue;
        const float v = xp[h * W + w];
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

template <typename I>
__global__ void avgPoolKernel(const float* __restrict__ x, float* __restrict__ y, Pool2dDesc p, bool countIncludePad,
                              int64_t total) {
  const I OW = I(p.OW), OH = I(p.OH), H = I(p.H), W = I(p.W);
  const I stride = I(gridDim.x) * I(blockDim.x);
  for (I i = I(blockIdx.x) * I(blockDim.x) + I(threadIdx.x); i < I(total); i += stride) {
    const I q = i / OW, ow = i - q * OW, plane = q / OH, oh = q - plane * OH;
    const float* xp = x + plane * H * W;
    // torch: the window is first clipped to the padded input (matters in ceil mode), that size is the
    // divisor with countIncludePad; then clipped to the input for the sum (and the other divisor).
    I hs = oh * I(p.sh) - I(p.ph), ws = ow * I(p.sw) - I(p.pw);
    I he = min(hs + I(p.kh), H + I(p.ph)), we = min(ws + I(p.kw), W + I(p.pw));
    const I padded = (he - hs) * (we - ws);
    hs = max(hs, I(0));
    ws = max(ws, I(0));
    he = min(he, H);
    we = min(we, W);
    float sum = 0.0f;
    for (I h = hs; h < he; ++h)
      for (I w = ws; w < we; ++w) sum += xp[h * W + w];
    const I count = countIncludePad ? padded : (he - hs) * (we - ws);
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

// 32-bit indexing is exact when the input, the output and any window position (padding and dilation
// included) stay far below 2^31.
bool fits32(const Pool2dDesc& p) {
  const int64_t lim = int64_t(1) << 30;
  return p.N * p.C * p.H * p.W < lim && p.N * p.C * p.OH * p.OW < lim && p.H + p.ph + p.kh * p.dh < lim &&
         p.W + p.pw + p.kw * p.dw < lim && p.OH * p.sh < lim && p.OW * p.sw < lim;
}

}  // namespace

void maxPool2d(const float* x, float* y, const Pool2dDesc& p, cudaStream_t s) {
  checkPool(p, "maxPool2d");
  const int64_t total = p.N * p.C * p.OH * p.OW;
  if (total <= 0) return;
  if (fits32(p)) maxPoolKernel<int32_t><<<gridFor(total), kThreads, 0, s>>>(x, y, p, total);
  else maxPoolKernel<int64_t><<<gridFor(total), kThreads, 0, s>>>(x, y, p, total);
  CN_CUDA_LAUNCH();
}

void avgPool2d(const float* x, float* y, const Pool2dDesc& p, bool countIncludePad, cudaStream_t s) {
  checkPool(p, "avgPool2d");
  CN_CHECK(p.dh == 1 && p.dw == 1, "avgPool2d: dilation is not supported");
  const int64_t total = p.N * p.C * p.OH * p.OW;
  if (total <= 0) return;
  if (fits32(p)) avgPoolKernel<int32_t><<<gridFor(total), kThreads, 0, s>>>(x, y, p, countIncludePad, total);
  else avgPoolKernel<int64_t><<<gridFor(total), kThreads, 0, s>>>(x, y, p, countIncludePad, total);
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
