#include "cpu/concat.h"

#include <cstring>

#include "core/threadpool.h"
#include "cpu/grain.h"

namespace convnets::cpu {

void concat(const std::vector<const float*>& srcs, const std::vector<int64_t>& rowLens, int64_t outer, float* y) {
  const int64_t k = int64_t(srcs.size());
  int64_t outRow = 0;
  for (int64_t len : rowLens) outRow += len;
  if (outRow == 0 || outer == 0) return;
  // One task copies one input's slice of one output row (a memcpy); tasks are grouped so a chunk moves
  // about as much as an average row.
  parallelFor(outer * k, grainFor(outRow / k + 1), [&](int64_t b, int64_t e) {
    int64_t o = b / k, i = b % k;
    int64_t offset = 0;
    for (int64_t j = 0; j < i; ++j) offset += rowLens[size_t(j)];
    for (int64_t t = b; t < e; ++t) {
      const int64_t len = rowLens[size_t(i)];
      if (len) std::memcpy(y + o * outRow + offset, srcs[size_t(i)] + o * len, size_t(len) * sizeof(float));
      offset += len;
      if (++i == k) { i = 0; offset = 0; ++o; }
    }
  });
}

}  // namespace convnets::cpu
