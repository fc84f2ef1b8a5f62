// Elementwise CPU kernels (memory-bound: plain loops the compiler vectorises, split over the pool).
#pragma once
#include <cstdint>

namespace convnets::cpu {

void relu(const float* x, float* y, int64_t n);
void add(const float* a, const float* b, float* y, int64_t n, bool relu);

}  // namespace convnets::cpu
