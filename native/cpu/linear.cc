#include "cpu/linear.h"
#include <algorithm>

#include "core/threadpool.h"
#include "cpu/isa_variants.h"

namespace convnets::cpu {
namespace {

typedef float v16 __attribute__((vector_size(64)));

// Output features [j0, j1): each W row is read once and dotted with every x row (4 at most).
CN_ALWAYS_INLINE void dotRowsBody(const float* x, const float* w, const float* bias, bool relu, int64_t rows,
                                  int64_t in, int64_t out, int64_t j0, int64_t j1, float* y) {
  for (int64_t j = j0; j < j1; ++j) {
    const float* wj = w + j * in;
    v16 acc[kLinearFewRows] = {};
    int64_t k = 0;
    for (; k + 16 <= in; k += 16) {
      v16 wv;
      __builtin_memcpy(&wv, wj + k, sizeof(wv));
      for (int64_t r = 0; r < rows; ++r) {
        v16 xv;
        __builtin_memcpy(&xv, x + r * in + k, sizeof(xv));
        acc[r] += xv * wv;
      }
    }
    for (int64_t r = 0; r < rows; ++r) {
      float s = 0.0f;
      for (int l = 0; l < 16; ++l) s += acc[r][l];
      for (int64_t kk = k; kk < in; ++kk) s += x[r * in + kk] * wj[kk];
      if (bias) s += bias[j];
      y[r * out + j] = relu && s < 0.0f ? 0.0f : s;
    }
  }
}

CN_ISA_VARIANTS(dotRows,
                (const float* x, const float* w, const float* bias, bool relu, int64_t rows, int64_t in, int64_t out,
                 int64_t j0, int64_t j1, float* y),
                (x, w, bias, relu, rows, in, out, j0, j1, y))

}  // namespace

void linearFewRows(Isa isa, const float* x, const float* w, const float* bias, bool relu, int64_t rows, int64_t in,
                   int64_t out, float* y) {
  auto fn = isa == Isa::Avx512 ? dotRowsAvx512 : isa == Isa::Avx2 ? dotRowsAvx2 : dotRowsGeneric;
  // ~64 KB of W per chunk: enough to hide the region's overhead, small enough to balance threads.
  const int64_t grain = std::max<int64_t>(1, (16 << 10) / std::max<int64_t>(1, in));
  parallelFor(out, grain, [&](int64_t j0, int64_t j1) { fn(x, w, bias, relu, rows, in, out, j0, j1, y); });
}

}  // namespace convnets::cpu
