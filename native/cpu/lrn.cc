#include "cpu/lrn.h"

#include <algorithm>
#include <cmath>

#include "core/threadpool.h"
#include "cpu/grain.h"

namespace convnets::cpu {

void localResponseNorm(const float* x, float* y, int64_t N, int64_t C, int64_t HW, int64_t size, float alpha,
                       float beta, float k) {
  // Work in tiles of kTile pixels of one image: the window sum slides along the channels (add the
  // channel entering, drop the one leaving), so each input is read twice whatever `size` is. The running
  // sums live in a stack array of doubles: sliding in float would drift by rounding.
  constexpr int64_t kTile = 256;
  const int64_t tiles = (HW + kTile - 1) / kTile;
  const int64_t front = size / 2, back = (size - 1) / 2;
  const double scale = double(alpha) / double(size);
  parallelFor(N * tiles, grainFor(kTile * C * 3), [&](int64_t b, int64_t e) {
    double acc[kTile];
    float base[kTile];
    for (int64_t task = b; task < e; ++task) {
      const int64_t n = task / tiles, p0 = (task % tiles) * kTile, len = std::min(kTile, HW - p0);
      const float* xn = x + n * C * HW + p0;
      float* yn = y + n * C * HW + p0;
      std::fill(acc, acc + len, 0.0);
      for (int64_t c = 0; c <= std::min(back, C - 1); ++c) {
        const float* xc = xn + c * HW;
        for (int64_t i = 0; i < len; ++i) acc[i] += double(xc[i]) * xc[i];
      }
      for (int64_t c = 0; c < C; ++c) {
        const float* xc = xn + c * HW;
        float* yc = yn + c * HW;
        // max(…, 0): sliding can leave -1e-30 where the true sum is 0.
        for (int64_t i = 0; i < len; ++i) base[i] = float(double(k) + scale * std::max(acc[i], 0.0));
        if (beta == 0.75f) {
          // AlexNet's and torch's default beta: base^0.75 = √base · √√base, two vectorisable square
          // roots instead of a scalar pow (which cost ~25 ns per element here).
          for (int64_t i = 0; i < len; ++i) {
            const float r = std::sqrt(base[i]);
            yc[i] = xc[i] / (r * std::sqrt(r));
          }
        } else {
          for (int64_t i = 0; i < len; ++i) yc[i] = xc[i] / std::pow(base[i], beta);
        }
        // Slide the window [c - front, c + back] to [c + 1 - front, c + 1 + back].
        if (c + 1 + back < C) {
          const float* xa = xn + (c + 1 + back) * HW;
          for (int64_t i = 0; i < len; ++i) acc[i] += double(xa[i]) * xa[i];
        }
        if (c - front >= 0) {
          const float* xr = xn + (c - front) * HW;
          for (int64_t i = 0; i < len; ++i) acc[i] -= double(xr[i]) * xr[i];
        }
      }
    }
  });
}

}  // namespace convnets::cpu
