// Concatenation of contiguous tensors along one dimension. With the tensors viewed as (outer, D_i*inner),
// output row o is the rows o of every input laid end to end.
#pragma once
#include <cstdint>
#include <vector>

namespace convnets::cpu {

// srcs[i] holds outer × rowLens[i] floats; y holds outer × Σ rowLens.
void concat(const std::vector<const float*>& srcs, const std::vector<int64_t>& rowLens, int64_t outer, float* y);

}  // namespace convnets::cpu
