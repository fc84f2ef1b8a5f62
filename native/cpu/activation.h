// Elementwise CPU kernels (memory-bound: plain loops the compiler vectorises, split over the pool).
#pragma once
#include <cstdint>

namespace convnets::cpu {

void relu(const float* x, float* y, int64_t n);
void add(const float* a, const float* b, float* y, int64_t n, bool relu);
// Training-mode dropout: element i is kept when a counter-based uniform draw u(seed, i) >= p, and then
// scaled by 1/(1-p); dropped elements are 0. The mask depends only on (seed, i): any thread count gives
// the same result. p == 1 drops everything.
void dropout(const float* x, float* y, int64_t n, float p, uint64_t seed);

}  // namespace convnets::cpu
