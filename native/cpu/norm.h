// Batch normalisation at inference: y = x * scale[c] + shift[c] (scale and shift precomputed from the
// running statistics by ops::batchNorm), optionally followed by ReLU. x and y are (N, C, inner).
#pragma once
#include <cstdint>

namespace convnets::cpu {

void batchNormInference(const float* x, float* y, int64_t N, int64_t C, int64_t inner, const float* scale,
                        const float* shift, bool relu);

}  // namespace convnets::cpu
