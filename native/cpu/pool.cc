#include "cpu/pool.h"

#include <algorithm>
#include <limits>

#include "core/allocator.h"
#include "core/cpu_features.h"
#include "core/threadpool.h"
#include "cpu/grain.h"
#include "cpu/isa_variants.h"
#include "cpu/pool_window.h"

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


// The per-plane loops are compiled once per ISA (isa_variants.h): they run along W, contiguous for
// stride 1, and as SSE2-only generic code they were the slowest steps of GoogLeNet (14 pools: 3.7 ms
// against onnxruntime's 0.6 ms; 192×28² 3×3/1 max: 0.18 ms, avg: 0.50 ms).

// `v != v` makes NaN win and stay (torch returns NaN when any window element is NaN).
CN_ALWAYS_INLINE float takeMax(float v, float m) { return (v > m || v != v) ? v : m; }

// "Same" stride-1 max pooling (k×k, padding k/2, dilation 1: GoogLeNet's 3×3/1 branch pools) on a whole
// plane as one flat array: on 28×28 and smaller planes the row loops below are mostly loop tails. Rows:
// v[i] = max of x[i + dh·W] over the rows inside the plane; columns: y[i] = max of v[i + dw], with the
// k/2 columns at each row end redone exactly, since the flat shift wraps them into the next row.
CN_ALWAYS_INLINE bool samePool(const Pool2dDesc& d) {
  return d.sh == 1 && d.sw == 1 && d.dh == 1 && d.dw == 1 && d.kh == d.kw && d.kh % 2 == 1 && d.ph == d.kh / 2 &&
         d.pw == d.kw / 2 && d.OH == d.H && d.OW == d.W;
}

CN_ALWAYS_INLINE void maxPoolSamePlane(const float* x, float* y, const Pool2dDesc& d, float* v) {
  const int64_t H = d.H, W = d.W, HW = H * W, r = d.kh / 2;
  for (int64_t i = 0; i < HW; ++i) v[i] = x[i];
  for (int64_t dh = 1; dh <= r && dh < H; ++dh) {
    for (int64_t i = 0; i < HW - dh * W; ++i) v[i] = takeMax(x[i + dh * W], v[i]);
    for (int64_t i = dh * W; i < HW; ++i) v[i] = takeMax(x[i - dh * W], v[i]);
  }
  for (int64_t i = 0; i < HW; ++i) y[i] = v[i];
  for (int64_t dw = 1; dw <= r; ++dw) {
    for (int64_t i = 0; i + dw < HW; ++i) y[i] = takeMax(v[i + dw], y[i]);
    for (int64_t i = dw; i < HW; ++i) y[i] = takeMax(v[i - dw], y[i]);
  }
  for (int64_t h = 0; h < H; ++h)
    for (int64_t w = 0; w < W; ++w) {
      if (w >= r && w < W - r) w = W - r;  // interior columns are right; jump to the right edge
      if (w >= W) break;
      float m = -std::numeric_limits<float>::infinity();
      for (int64_t j = std::max<int64_t>(0, w - r); j <= std::min<int64_t>(W - 1, w + r); ++j) m = takeMax(v[h * W + j], m);
      y[h * W + w] = m;
    }
}

// Max is separable: first the max down the window's rows for every input column (contiguous,
// vectorisable), then along each output row across the window's columns. kh + kw reads per output
// column instead of kh·kw. The column maxima live in one row buffer per chunk of planes (a plane
// buffer for samePool).
CN_ALWAYS_INLINE void maxPoolPlanesBody(const float* x, float* y, const Pool2dDesc& d, int64_t b, int64_t e,
                                        float* colMax) {
  const float lowest = -std::numeric_limits<float>::infinity();
  const int64_t inPlane = d.H * d.W, outPlane = d.OH * d.OW;
  for (int64_t p = b; p < e; ++p) {
    const float* xp = x + p * inPlane;
    float* yp = y + p * outPlane;
    if (samePool(d)) {
      maxPoolSamePlane(xp, yp, d, colMax);
      continue;
    }
    for (int64_t oh = 0; oh < d.OH; ++oh) {
      for (int64_t w = 0; w < d.W; ++w) colMax[w] = lowest;
      for (int64_t i = 0; i < d.kh; ++i) {
        const int64_t ih = oh * d.sh - d.ph + i * d.dh;
        if (ih < 0 || ih >= d.H) continue;
        const float* xr = xp + ih * d.W;
        for (int64_t w = 0; w < d.W; ++w) colMax[w] = takeMax(xr[w], colMax[w]);
      }
      float* yr = yp + oh * d.OW;
      for (int64_t ow = 0; ow < d.OW; ++ow) yr[ow] = lowest;
      for (int64_t j = 0; j < d.kw; ++j) {
        const int64_t off = j * d.dw - d.pw;
        const Span s = inBounds(off, d.sw, d.W, d.OW);
        if (d.sw == 1)
          for (int64_t ow = s.lo; ow < s.hi; ++ow) yr[ow] = takeMax(colMax[ow + off], yr[ow]);
        else
          for (int64_t ow = s.lo; ow < s.hi; ++ow) yr[ow] = takeMax(colMax[ow * d.sw + off], yr[ow]);
      }
    }
  }
}
CN_ISA_VARIANTS(maxPoolPlanes, (const float* x, float* y, const Pool2dDesc& d, int64_t b, int64_t e, float* colMax),
                (x, y, d, b, e, colMax))

// 2- and 3-wide stride-2 windows (dilation 1) on AVX-512: each output row from its window's input rows
// directly (pool_row_avx512.cc).
bool rowsS2(const Pool2dDesc& d) { return d.sw == 2 && d.dw == 1 && (d.kw == 2 || d.kw == 3) && d.kh <= 16; }

void maxPoolPlanesS2Avx512(const float* x, float* y, const Pool2dDesc& d, int64_t b, int64_t e, float* scratch) {
  const float* rows[16];
  for (int64_t p = b; p < e; ++p) {
    const float* xp = x + p * d.H * d.W;
    float* yp = y + p * d.OH * d.OW;
    for (int64_t oh = 0; oh < d.OH; ++oh) {
      int n = 0;
      for (int64_t i = 0; i < d.kh; ++i) {
        const int64_t ih = oh * d.sh - d.ph + i * d.dh;
        if (ih >= 0 && ih < d.H) rows[n++] = xp + ih * d.W;
      }
      maxRowS2Avx512(rows, n, d.W, d.kw, d.pw, yp + oh * d.OW, d.OW, scratch);
    }
  }
}

// Average: window sums per output row (rows clipped to the input, columns by spans), then one division
// per output by the window's count. The count is (rows factor) × (column factor); the column factors
// are the same for every row and plane, so they are computed once per chunk into colDiv (0 marks a
// window with no input column), which keeps the per-output work a vector divide.
CN_ALWAYS_INLINE void avgPoolPlanesBody(const float* x, float* y, const Pool2dDesc& d, bool countIncludePad,
                                        int64_t b, int64_t e, float* colDiv) {
  const int64_t inPlane = d.H * d.W, outPlane = d.OH * d.OW;
  // Columns of the window: clipped first to the padded input (the count-include-pad divisor), then to
  // the input itself (what is summed and the other divisor). Same rule for rows below.
  for (int64_t ow = 0; ow < d.OW; ++ow) colDiv[ow] = avgSpan(ow, d.sw, d.pw, d.kw, d.W, countIncludePad).div;
  for (int64_t p = b; p < e; ++p) {
    const float* xp = x + p * inPlane;
    float* yp = y + p * outPlane;
    for (int64_t oh = 0; oh < d.OH; ++oh) {
      float* yr = yp + oh * d.OW;
      for (int64_t ow = 0; ow < d.OW; ++ow) yr[ow] = 0.0f;
      const AvgSpan rows = avgSpan(oh, d.sh, d.ph, d.kh, d.H, countIncludePad);
      for (int64_t ih = rows.lo; ih < rows.hi; ++ih) {
        const float* xr = xp + ih * d.W;
        for (int64_t j = 0; j < d.kw; ++j) {
          const int64_t off = j - d.pw;
          const Span s = inBounds(off, d.sw, d.W, d.OW);
          if (d.sw == 1)
            for (int64_t ow = s.lo; ow < s.hi; ++ow) yr[ow] += xr[ow + off];
          else
            for (int64_t ow = s.lo; ow < s.hi; ++ow) yr[ow] += xr[ow * d.sw + off];
        }
      }
      // A window with no input element averages to 0 (torch).
      for (int64_t ow = 0; ow < d.OW; ++ow) {
        const float div = rows.div * colDiv[ow];
        yr[ow] = div == 0.0f ? 0.0f : yr[ow] / div;
      }
    }
  }
}
CN_ISA_VARIANTS(avgPoolPlanes,
                (const float* x, float* y, const Pool2dDesc& d, bool countIncludePad, int64_t b, int64_t e, float* colDiv),
                (x, y, d, countIncludePad, b, e, colDiv))

}  // namespace

void maxPool2d(const float* x, float* y, const Pool2dDesc& d) {
  const int64_t planes = d.N * d.C, work = d.OH * d.OW * (d.kh + d.kw) + d.H * d.W;
  const Isa isa = activeIsa();
  if (isa == Isa::Avx512 && samePool(d) && d.kh == 3 && d.W >= 2) {
    // GoogLeNet's 3×3/1 branch pools: one pass over each plane, all in registers (the passes of
    // maxPoolSamePlane cost about 2.5 cycles per output on its 7²–28² planes, with scalar row-end fixes).
    const int64_t HW = d.H * d.W, nv = (HW + 15) / 16;
    CpuBuffer masks(size_t(2 * nv) * sizeof(uint16_t));  // the caching allocator: no heap call per run
    uint16_t* interior = masks.as<uint16_t>();
    std::fill(interior, interior + 2 * nv, uint16_t(0));
    for (int64_t i = 0; i < HW; ++i) {
      const int64_t col = i % d.W;
      if (col != 0) interior[2 * (i / 16)] |= uint16_t(1u << (i % 16));
      if (col != d.W - 1) interior[2 * (i / 16) + 1] |= uint16_t(1u << (i % 16));
    }
    parallelFor(planes, grainFor(work), [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) maxPoolSame3Avx512(x + p * HW, y + p * HW, d.H, d.W, interior);
    });
    return;
  }
  if (isa == Isa::Avx512 && rowsS2(d) && !samePool(d)) {
    parallelFor(planes, grainFor(work), [&](int64_t b, int64_t e) {
      CpuBuffer scratch(size_t(d.W) * sizeof(float));
      maxPoolPlanesS2Avx512(x, y, d, b, e, scratch.as<float>());
    });
    return;
  }
  parallelFor(planes, grainFor(work), [&](int64_t b, int64_t e) {
    // The column maxima of a plane (samePool) or of a row.
    CpuBuffer buffer(size_t(samePool(d) ? d.H * d.W : d.W) * sizeof(float));
    float* colMax = buffer.as<float>();
    if (isa == Isa::Avx512) maxPoolPlanesAvx512(x, y, d, b, e, colMax);
    else if (isa == Isa::Avx2) maxPoolPlanesAvx2(x, y, d, b, e, colMax);
    else maxPoolPlanesGeneric(x, y, d, b, e, colMax);
  });
}

void avgPool2d(const float* x, float* y, const Pool2dDesc& d, bool countIncludePad) {
  const int64_t planes = d.N * d.C, work = d.OH * d.OW * d.kh * d.kw;
  const Isa isa = activeIsa();
  parallelFor(planes, grainFor(work), [&](int64_t b, int64_t e) {
    CpuBuffer buffer(size_t(d.OW) * sizeof(float));
    float* colDiv = buffer.as<float>();
    if (isa == Isa::Avx512) avgPoolPlanesAvx512(x, y, d, countIncludePad, b, e, colDiv);
    else if (isa == Isa::Avx2) avgPoolPlanesAvx2(x, y, d, countIncludePad, b, e, colDiv);
    else avgPoolPlanesGeneric(x, y, d, countIncludePad, b, e, colDiv);
  });
}

void adaptiveAvgPool2d(const float* x, float* y, int64_t planes, int64_t H, int64_t W, int64_t OH, int64_t OW) {
  if (OH == H && OW == W) {  // every window is one element (AlexNet's 6×6 → 6×6): x / 1 / 1 is x
    parallelFor(planes, grainFor(H * W), [&](int64_t b, int64_t e) {
      std::copy(x + b * H * W, x + e * H * W, y + b * H * W);
    });
    return;
  }
  // Window bounds once per output row and column: recomputed per output, their four 64-bit divisions were
  // the whole cost (AlexNet's identity 6×6 pool: 95 µs for 9216 outputs).
  CpuBuffer bounds(size_t(2 * (OH + OW)) * sizeof(int64_t));
  int64_t* hb = bounds.as<int64_t>();
  int64_t* wb = hb + 2 * OH;
  for (int64_t o = 0; o < OH; ++o) hb[2 * o] = adaptiveStart(o, H, OH), hb[2 * o + 1] = adaptiveEnd(o, H, OH);
  for (int64_t o = 0; o < OW; ++o) wb[2 * o] = adaptiveStart(o, W, OW), wb[2 * o + 1] = adaptiveEnd(o, W, OW);
  // Each input element is read about once per overlapping window: ~H*W (+ overlaps) per plane.
  forEachPlane(x, y, planes, H * W, OH * OW, H * W + OH * OW, [&](const float* xp, float* yp) {
    for (int64_t oh = 0; oh < OH; ++oh) {
      const int64_t h0 = hb[2 * oh], h1 = hb[2 * oh + 1];
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t w0 = wb[2 * ow], w1 = wb[2 * ow + 1];
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
