#include "core/random.h"

#include <cmath>

#include "core/error.h"
#include "core/threadpool.h"

namespace convnets {

void fillUniform(Tensor& t, uint64_t seed, float low, float high) {
  CN_CHECK(t.device().isCpu(), "rand: only CPU tensors are filled directly");
  float* p = t.data();
  uint64_t key = splitmix64(seed);
  parallelFor(t.numel(), 1 << 14, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) p[i] = low + (high - low) * unitFloat(splitmix64(key ^ uint64_t(i)));
  });
}

void fillNormal(Tensor& t, uint64_t seed, float mean, float std) {
  CN_CHECK(t.device().isCpu(), "randn: only CPU tensors are filled directly");
  float* p = t.data();
  int64_t n = t.numel();
  uint64_t key = splitmix64(seed);
  parallelFor((n + 1) / 2, 1 << 13, [&](int64_t b, int64_t e) {
    for (int64_t j = b; j < e; ++j) {
      uint64_t r = splitmix64(key ^ uint64_t(j));
      double u1 = (double((r >> 11) & ((1ull << 26) - 1)) + 1.0) / double(1ull << 26);  // (0, 1]
      double u2 = double(r >> 37) / double(1ull << 27);                                 // [0, 1)
      double radius = std::sqrt(-2.0 * std::log(u1));
      p[2 * j] = mean + std * float(radius * std::cos(2.0 * M_PI * u2));
      if (2 * j + 1 < n) p[2 * j + 1] = mean + std * float(radius * std::sin(2.0 * M_PI * u2));
    }
  });
}

}  // namespace convnets
