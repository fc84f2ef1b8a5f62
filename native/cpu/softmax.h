// Softmax and log-softmax along one dimension of a contiguous tensor viewed as (outer, D, inner).
// Numerically stable: the maximum along the dimension is subtracted before exp.
#pragma once
#include <cstdint>

namespace convnets::cpu {

void softmax(const float* x, float* y, int64_t outer, int64_t D, int64_t inner, bool log);

}  // namespace convnets::cpu
