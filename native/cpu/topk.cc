#include "cpu/topk.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace convnets::cpu {
namespace {

// a ranks before b: NaN first (torch treats NaN as the largest value), then by value, then lower index.
struct Before {
  const float* row;
  int64_t inner;
  bool largest;
  bool operator()(int64_t a, int64_t b) const {
    const float va = row[a * inner], vb = row[b * inner];
    const bool na = std::isnan(va), nb = std::isnan(vb);
    if (na != nb) return largest ? na : nb;
    if (!na && va != vb) return largest ? va > vb : va < vb;
    return a < b;
  }
};

}  // namespace

void argmax(const float* x, float* indices, int64_t outer, int64_t D, int64_t inner) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      Before before{x + o * D * inner + i, inner, true};
      int64_t best = 0;
      for (int64_t d = 1; d < D; ++d) {
        if (before(d, best)) best = d;
      }
      indices[o * inner + i] = float(best);
    }
  }
}

void topk(const float* x, float* values, float* indices, int64_t outer, int64_t D, int64_t inner, int64_t k,
          bool largest, bool sorted) {
  std::vector<int64_t> order(static_cast<size_t>(D));
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const float* row = x + o * D * inner + i;
      for (int64_t d = 0; d < D; ++d) order[size_t(d)] = d;
      Before before{row, inner, largest};
      std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
      if (!sorted) std::sort(order.begin(), order.begin() + k);
      for (int64_t j = 0; j < k; ++j) {
        const int64_t at = (o * k + j) * inner + i;
        values[at] = row[order[size_t(j)] * inner];
        indices[at] = float(order[size_t(j)]);
      }
    }
  }
}

}  // namespace convnets::cpu
