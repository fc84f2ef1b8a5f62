#include "cpu/pool.h"

#include <algorithm>
#include <limits>

#include "core/allocator.h"
#include "core/threadpool.h"
#include "cpu/grain.h"

namespace convnets::cpu {
namespace {

// The output columns [lo, hi) whose input column ow*stride + off lies inside [0, size). Computing this
// once per kernel tap keeps bounds checks out of the innermost loop (which then runs along W).
struct Span {
  int64_t lo, hi;
};
inline Span inBounds(int64_t off, int64_t stride, int64_t size, int64_t outSize) {
  int64_t lo = off >= 0 ? 0 : (-off + stride - 1) / stride;
  int64_t hi = size - 1 - off < 0 ? 0 : (size - 1 - off) / stride + 1;
  hi = std::min(hi, outSize);
  return {std::min(lo, hi), hi};
}

// Runs fn(xPlane, yPlane) for every N*C plane, split over the pool.
template <class Fn>
void forEachPlane(const float* x, float* y, int64_t planes, int64_t inPlane, int64_t outPlane, int64_t work,
                  const Fn& fn) {
  parallelFor(planes, grainFor(work), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) fn(x + p * inPlane, y + p * outPlane);
  });
}

}  // namespace

void maxPool2d(const float* x, float* y, const Pool2dDesc& d) {
  const float lowest = -std::numeric_limits<float>::infinity();
  // `v != v` makes NaN win and stay (torch returns NaN when any window element is NaN).
  auto take = [](float v, float m) { return (v > m || v != v) ? v : m; };
  // Max is separable: first the max down the window's rows for every input column (contiguous,
  // vectorisable), then along each output row across the window's columns. kh + kw reads per output
  // column instead of kh·kw. The column maxima live in one row buffer per chunk of planes.
  const int64_t planes = d.N * d.C, inPlane = d.H * d.W, outPlane = d.OH * d.OW;
  parallelFor(planes, grainFor(outPlane * (d.kh + d.kw) + inPlane), [&](int64_t b, int64_t e) {
    CpuBuffer buffer(size_t(d.W) * sizeof(float));
    float* colMax = buffer.as<float>();
    for (int64_t p = b; p < e; ++p) {
      const float* xp = x + p * inPlane;
      float* yp = y + p * outPlane;
      for (int64_t oh = 0; oh < d.OH; ++oh) {
        std::fill(colMax, colMax + d.W, lowest);
        for (int64_t i = 0; i < d.kh; ++i) {
          const int64_t ih = oh * d.sh - d.ph + i * d.dh;
          if (ih < 0 || ih >= d.H) continue;
          const float* xr = xp + ih * d.W;
          for (int64_t w = 0; w < d.W; ++w) colMax[w] = take(xr[w], colMax[w]);
        }
        float* yr = yp + oh * d.OW;
        std::fill(yr, yr + d.OW, lowest);
        for (int64_t j = 0; j < d.kw; ++j) {
          const int64_t off = j * d.dw - d.pw;
          const Span s = inBounds(off, d.sw, d.W, d.OW);
          for (int64_t ow = s.lo; ow < s.hi; ++ow) yr[ow] = take(colMax[ow * d.sw + off], yr[ow]);
        }
      }
    }
  });
}

void avgPool2d(const float* x, float* y, const Pool2dDesc& d, bool countIncludePad) {
  forEachPlane(x, y, d.N * d.C, d.H * d.W, d.OH * d.OW, d.OH * d.OW * d.kh * d.kw, [&](const float* xp, float* yp) {
    for (int64_t oh = 0; oh < d.OH; ++oh) {
      float* yr = yp + oh * d.OW;
      std::fill(yr, yr + d.OW, 0.0f);
      // Rows of the window: clipped first to the padded input (the count-include-pad divisor), then to
      // the input itself (what is summed and the other divisor). Same rule for columns below.
      const int64_t h0 = oh * d.sh - d.ph;
      const int64_t h1 = std::min(h0 + d.kh, d.H + d.ph);
      const int64_t padRows = h1 - h0;
      const int64_t rows = std::min(h1, d.H) - std::max<int64_t>(h0, 0);
      for (int64_t ih = std::max<int64_t>(h0, 0); ih < std::min(h1, d.H); ++ih) {
        const float* xr = xp + ih * d.W;
        for (int64_t j = 0; j < d.kw; ++j) {
          const int64_t off = j - d.pw;
          const Span s = inBounds(off, d.sw, d.W, d.OW);
          for (int64_t ow = s.lo; ow < s.hi; ++ow) yr[ow] += xr[ow * d.sw + off];
        }
      }
      for (int64_t ow = 0; ow < d.OW; ++ow) {
        const int64_t w0 = ow * d.sw - d.pw;
        const int64_t w1 = std::min(w0 + d.kw, d.W + d.pw);
        const int64_t cols = std::min(w1, d.W) - std::max<int64_t>(w0, 0);
        if (rows <= 0 || cols <= 0) {  // a window with no input element averages to 0 (torch)
          yr[ow] = 0.0f;
          continue;
        }
        yr[ow] /= float(countIncludePad ? padRows * (w1 - w0) : rows * cols);
      }
    }
  });
}

void adaptiveAvgPool2d(const float* x, float* y, int64_t planes, int64_t H, int64_t W, int64_t OH, int64_t OW) {
  // Each input element is read about once per overlapping window: ~H*W (+ overlaps) per plane.
  forEachPlane(x, y, planes, H * W, OH * OW, H * W + OH * OW, [&](const float* xp, float* yp) {
    for (int64_t oh = 0; oh < OH; ++oh) {
      const int64_t h0 = (oh * H) / OH, h1 = ((oh + 1) * H + OH - 1) / OH;
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t w0 = (ow * W) / OW, w1 = ((ow + 1) * W + OW - 1) / OW;
        float sum = 0.0f;
        for (int64_t ih = h0; ih < h1; ++ih)
          for (int64_t iw = w0; iw < w1; ++iw) sum += xp[ih * W + iw];
        // Divided twice, as torch does, so results match it bit for bit more often.
        yp[oh * OW + ow] = sum / float(h1 - h0) / float(w1 - w0);
      }
    }
  });
}

}  // namespace convnets::cpu
