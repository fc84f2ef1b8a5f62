#include "cpu/signal.h"

#include <algorithm>

#include "core/threadpool.h"
#include "cpu/grain.h"

namespace convnets::cpu {

void correlate1d(const double* a, int64_t na, const double* v, int64_t nv, int64_t lag0, double* out, int64_t nOut) {
  parallelFor(nOut, grainFor(nv), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t s = t + lag0;  // a index under v[0]
      const int64_t j0 = std::max<int64_t>(0, -s), j1 = std::min(nv, na - s);
      double sum = 0.0;
      for (int64_t j = j0; j < j1; ++j) sum += a[s + j] * v[j];
      out[t] = sum;
    }
  });
}

void correlate2d(const double* a, int64_t ah, int64_t aw, const double* v, int64_t vh, int64_t vw, int64_t r0,
                 int64_t c0, double* out, int64_t oh, int64_t ow) {
  // One output row per task; for each kernel tap, the span of output columns whose input column is
  // inside `a` is computed once, so the innermost loop runs along the row without bounds checks.
  parallelFor(oh, grainFor(ow * vh * vw), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      double* o = out + r * ow;
      std::fill(o, o + ow, 0.0);
      for (int64_t i = 0; i < vh; ++i) {
        const int64_t ar = r + r0 + i;
        if (ar < 0 || ar >= ah) continue;
        const double* arow = a + ar * aw;
        for (int64_t j = 0; j < vw; ++j) {
          const int64_t off = c0 + j;  // a column = c + off
          const int64_t c1 = std::min(ow, aw - off);
          const double k = v[i * vw + j];
          for (int64_t c = std::max<int64_t>(0, -off); c < c1; ++c) o[c] += arow[c + off] * k;
        }
      }
    }
  });
}

}  // namespace convnets::cpu
