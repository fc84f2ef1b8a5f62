#include "cpu/activation.h"

#include "core/random.h"
#include "core/threadpool.h"

namespace convnets::cpu {

// Chunks of 16K floats (64 KB) keep each thread's slice in L2 and the region overhead negligible.
constexpr int64_t kGrain = 1 << 14;

void relu(const float* x, float* y, int64_t n) {
  parallelFor(n, kGrain, [=](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
  });
}

void add(const float* a, const float* b, float* y, int64_t n, bool relu) {
  parallelFor(n, kGrain, [=](int64_t s, int64_t e) {
    if (relu) {
      for (int64_t i = s; i < e; ++i) { float v = a[i] + b[i]; y[i] = v > 0.0f ? v : 0.0f; }
    } else {
      for (int64_t i = s; i < e; ++i) y[i] = a[i] + b[i];
    }
  });
}

void dropout(const float* x, float* y, int64_t n, float p, uint64_t seed) {
  const uint64_t key = splitmix64(seed);
  const float scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
  parallelFor(n, kGrain, [=](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) y[i] = unitFloat(splitmix64(key ^ uint64_t(i))) >= p ? x[i] * scale : 0.0f;
  });
}

}  // namespace convnets::cpu
