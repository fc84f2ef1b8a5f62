// PIL's 8-bit resampling (cpu/resize_pil.h), following Pillow 9's libImaging/Resample.c step by step:
// precompute_coeffs (double weights, bounds), normalize_coeffs_8bpc (22-bit fixed point), then
// ResampleHorizontal_8bpc over the rows the vertical pass needs and ResampleVertical_8bpc, each output
// rounded by adding half and clipped (clip8).
#include "cpu/resize_pil.h"

#include <cmath>
#include <vector>

#include "core/threadpool.h"
#include "cpu/grain.h"

namespace convnets::cpu {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;

double bilinearFilter(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

double bicubicFilter(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

struct Coeffs {
  int64_t ksize = 0;
  std::vector<int64_t> bounds;  // per output: xmin, count
  std::vector<int32_t> k;       // per output: ksize fixed-point weights
};

Coeffs precompute(int64_t inSize, int64_t outSize, bool bicubic) {
  const double support0 = bicubic ? 2.0 : 1.0;
  const double scale = double(inSize) / double(outSize);
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  const double support = support0 * filterscale;
  Coeffs c;
  c.ksize = int64_t(std::ceil(support)) * 2 + 1;
  c.bounds.resize(size_t(outSize * 2));
  c.k.assign(size_t(outSize * c.ksize), 0);
  std::vector<double> kk(size_t(c.ksize));
  for (int64_t xx = 0; xx < outSize; ++xx) {
    const double center = (double(xx) + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int64_t xmin = int64_t(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int64_t xmax = int64_t(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    if (xmax > c.ksize) xmax = c.ksize;
    double ww = 0.0;
    for (int64_t x = 0; x < xmax; ++x) {
      const double w = bicubic ? bicubicFilter((double(x + xmin) - center + 0.5) * ss)
                               : bilinearFilter((double(x + xmin) - center + 0.5) * ss);
      kk[size_t(x)] = w;
      ww += w;
    }
    for (int64_t x = 0; x < xmax; ++x) {
      if (ww != 0.0) kk[size_t(x)] /= ww;
      const double v = kk[size_t(x)] * double(1 << kPrecisionBits);
      c.k[size_t(xx * c.ksize + x)] = int32_t(v < 0 ? -0.5 + v : 0.5 + v);  // normalize_coeffs_8bpc
    }
    c.bounds[size_t(xx * 2)] = xmin;
    c.bounds[size_t(xx * 2 + 1)] = xmax;
  }
  return c;
}

inline uint8_t clip8(int64_t in) {
  if (in >= (int64_t(1) << kPrecisionBits << 8)) return 255;
  if (in <= 0) return 0;
  return uint8_t(in >> kPrecisionBits);
}

}  // namespace

void resizePil(const uint8_t* src, int64_t H, int64_t W, int64_t C, uint8_t* dst, int64_t OH, int64_t OW,
               bool bicubic) {
  const bool needH = OW != W, needV = OH != H;
  const Coeffs ch = precompute(W, OW, bicubic), cv = precompute(H, OH, bicubic);
  // Rows of the input the vertical pass reads (PIL crops the horizontal pass to them).
  const int64_t first = needV ? cv.bounds[0] : 0;
  const int64_t last = needV ? cv.bounds[size_t(OH * 2 - 2)] + cv.bounds[size_t(OH * 2 - 1)] : H;
  std::vector<uint8_t> tmp;
  const uint8_t* rows = src + first * W * C;  // the input of the vertical pass, starting at row `first`
  int64_t rowsW = W;
  if (needH) {
    const int64_t n = last - first;
    tmp.resize(size_t(n * OW * C));
    parallelFor(n, grainFor(OW * C * ch.ksize), [&](int64_t b, int64_t e) {
      for (int64_t y = b; y < e; ++y) {
        const uint8_t* in = src + (y + first) * W * C;
        uint8_t* out = tmp.data() + y * OW * C;
        for (int64_t xx = 0; xx < OW; ++xx) {
          const int64_t xmin = ch.bounds[size_t(xx * 2)], xmax = ch.bounds[size_t(xx * 2 + 1)];
          const int32_t* k = ch.k.data() + xx * ch.ksize;
          for (int64_t c = 0; c < C; ++c) {
            int64_t ss = int64_t(1) << (kPrecisionBits - 1);
            for (int64_t x = 0; x < xmax; ++x) ss += int64_t(in[(x + xmin) * C + c]) * k[x];
            out[xx * C + c] = clip8(ss);
          }
        }
      }
    });
    rows = tmp.data();
    rowsW = OW;
  }
  if (!needV) {
    const size_t bytes = size_t(OH * OW * C);
    for (size_t i = 0; i < bytes; ++i) dst[i] = rows[i];
    return;
  }
  parallelFor(OH, grainFor(OW * C * cv.ksize), [&](int64_t b, int64_t e) {
    for (int64_t yy = b; yy < e; ++yy) {
      const int64_t ymin = cv.bounds[size_t(yy * 2)] - first, ymax = cv.bounds[size_t(yy * 2 + 1)];
      const int32_t* k = cv.k.data() + yy * cv.ksize;
      uint8_t* out = dst + yy * OW * C;
      for (int64_t i = 0; i < OW * C; ++i) {
        int64_t ss = int64_t(1) << (kPrecisionBits - 1);
        for (int64_t y = 0; y < ymax; ++y) ss += int64_t(rows[(y + ymin) * rowsW * C + i]) * k[y];
        out[i] = clip8(ss);
      }
    }
  });
}

}  // namespace convnets::cpu
