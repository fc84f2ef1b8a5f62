#include "core/random.h"

#include <cmath>

#include "core/error.h"
#include "core/threadpool.h"

namespace convnets {
namespace {

// splitmix64: a bijective mixer; mix(seed ^ counter) is a good counter-based generator for test data.
inline uint64_t mix(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
// 24 random bits -> [0, 1) exactly representable in float32.
inline float unit(uint64_t bits) { return float(bits >> 40) * (1.0f / 16777216.0f); }

}  // namespace

void fillUniform(Tensor& t, uint64_t seed, float low, float high) {
  CN_CHECK(t.device().isCpu(), "rand: only CPU tensors are filled directly");
  float* p = t.data();
  uint64_t key = mix(seed);
  parallelFor(t.numel(), 1 << 14, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) p[i] = low + (high - low) * unit(mix(key ^ uint64_t(i)));
  });
}

void fillNormal(Tensor& t, uint64_t seed, float mean, float std) {
  CN_CHECK(t.device().isCpu(), "randn: only CPU tensors are filled directly");
  float* p = t.data();
  int64_t n = t.numel();
  uint64_t key = mix(seed);
  parallelFor((n + 1) / 2, 1 << 13, [&](int64_t b, int64_t e) {
    for (int64_t j = b; j < e; ++j) {
      uint64_t r = mix(key ^ uint64_t(j));
      double u1 = (double((r >> 11) & ((1ull << 26) - 1)) + 1.0) / double(1ull << 26);  // (0, 1]
      double u2 = double(r >> 37) / double(1ull << 27);                                 // [0, 1)
      double radius = std::sqrt(-2.0 * std::log(u1));
      p[2 * j] = mean + std * float(radius * std::cos(2.0 * M_PI * u2));
      if (2 * j + 1 < n) p[2 * j + 1] = mean + std * float(radius * std::sin(2.0 * M_PI * u2));
    }
  });
}

}  // namespace convnets
