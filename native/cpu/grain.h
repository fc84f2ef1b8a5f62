// How many items (planes, rows) one parallelFor chunk should hold so that each chunk does enough work
// to hide the region's overhead (~a few µs) without starving the threads when items are big.
// Not for *_avx2.cc / *_avx512.cc files (inline code there could be kept in its AVX-compiled copy).
#pragma once
#include <algorithm>
#include <cstdint>

namespace convnets::cpu {

// Roughly 32K elements touched per chunk.
inline int64_t grainFor(int64_t workPerItem) {
  constexpr int64_t kTarget = int64_t(1) << 15;
  return std::max<int64_t>(1, kTarget / std::max<int64_t>(1, workPerItem));
}

}  // namespace convnets::cpu
