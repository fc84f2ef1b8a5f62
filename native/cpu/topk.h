// argmax and top-k along one dimension of a contiguous tensor viewed as (outer, D, inner). Indices are
// written as floats (exact while D <= 2^24, which ops::topk checks). Order: larger first (smaller first
// when !largest); NaN counts as larger than any number, as in torch; ties go to the lower index.
#pragma once
#include <cstdint>

namespace convnets::cpu {

void argmax(const float* x, float* indices, int64_t outer, int64_t D, int64_t inner);
// values / indices: (outer, k, inner). sorted: best first; else the k chosen in ascending index order.
void topk(const float* x, float* values, float* indices, int64_t outer, int64_t D, int64_t inner, int64_t k,
          bool largest, bool sorted);

}  // namespace convnets::cpu
