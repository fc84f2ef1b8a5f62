#include "cpu/norm.h"

#include "core/threadpool.h"
#include "cpu/grain.h"

namespace convnets::cpu {

void batchNormInference(const float* x, float* y, int64_t N, int64_t C, int64_t inner, const float* scale,
                        const float* shift, bool relu) {
  parallelFor(N * C, grainFor(inner), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      const float a = scale[p % C], s = shift[p % C];
      const float* xp = x + p * inner;
      float* yp = y + p * inner;
      if (relu) {
        for (int64_t i = 0; i < inner; ++i) { float v = xp[i] * a + s; yp[i] = v > 0.0f ? v : 0.0f; }
      } else {
        for (int64_t i = 0; i < inner; ++i) yp[i] = xp[i] * a + s;
      }
    }
  });
}

}  // namespace convnets::cpu
