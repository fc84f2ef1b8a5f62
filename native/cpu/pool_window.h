// torch's pooling window arithmetic along one axis, shared by the NCHW kernels (pool.cc) and the
// channel-blocked ones (blocked_pool.cc), so both layouts divide by the same counts and read the same spans.
#pragma once
#include <algorithm>
#include <cstdint>

#include "cpu/isa_variants.h"

namespace convnets::cpu {

// An average pool window of output o along one axis: the in-bounds inputs [lo, hi) and its divisor factor.
// The window is clipped first to the padded input (the count-include-pad divisor, so ceil-mode windows that
// run past the padding divide by their clipped size), then to the input itself (what is summed and the other
// divisor). A window with no in-bounds input has factor 0: it averages to 0 (torch).
struct AvgSpan {
  int64_t lo, hi;
  float div;
};
CN_ALWAYS_INLINE AvgSpan avgSpan(int64_t o, int64_t stride, int64_t pad, int64_t k, int64_t size,
                                 bool countIncludePad) {
  const int64_t a = o * stride - pad;
  const int64_t b = std::min(a + k, size + pad);
  const int64_t lo = std::max<int64_t>(a, 0), hi = std::min(b, size);
  const int64_t n = hi - lo;
  return {lo, std::max(lo, hi), n <= 0 ? 0.0f : float(countIncludePad ? b - a : n)};
}

// Adaptive average pooling: output o of `out` averages inputs [floor(o·in/out), ceil((o+1)·in/out)) (torch).
CN_ALWAYS_INLINE int64_t adaptiveStart(int64_t o, int64_t in, int64_t out) { return (o * in) / out; }
CN_ALWAYS_INLINE int64_t adaptiveEnd(int64_t o, int64_t in, int64_t out) { return ((o + 1) * in + out - 1) / out; }

}  // namespace convnets::cpu
