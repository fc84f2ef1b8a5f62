#include "cpu/softmax.h"

#include <algorithm>
#include <cmath>

#include "core/threadpool.h"
#include "cpu/grain.h"

namespace convnets::cpu {
namespace {

// inner == 1: each row of D elements is contiguous (logits [N, classes], dim = -1).
void rows(const float* x, float* y, int64_t outer, int64_t D, bool log) {
  parallelFor(outer, grainFor(3 * D), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float* xr = x + r * D;
      float* yr = y + r * D;
      float mx = xr[0];
      for (int64_t i = 1; i < D; ++i) mx = std::max(mx, xr[i]);
      float sum = 0.0f;
      if (log) {
        for (int64_t i = 0; i < D; ++i) sum += std::exp(xr[i] - mx);
        // (x - max) - log(sum), not x - (max + log(sum)): the latter loses the small digits of large logits.
        const float lse = std::log(sum);
        for (int64_t i = 0; i < D; ++i) yr[i] = (xr[i] - mx) - lse;
      } else {
        for (int64_t i = 0; i < D; ++i) sum += (yr[i] = std::exp(xr[i] - mx));
        const float inv = 1.0f / sum;
        for (int64_t i = 0; i < D; ++i) yr[i] *= inv;
      }
    }
  });
}

// inner > 1: the D elements of one softmax are `inner` apart. Work on tiles of up to kTile neighbouring
// softmaxes at once so the innermost loops run over contiguous memory; the per-softmax max and sum
// live in stack arrays.
void strided(const float* x, float* y, int64_t outer, int64_t D, int64_t inner, bool log) {
  constexpr int64_t kTile = 256;
  const int64_t tiles = (inner + kTile - 1) / kTile;
  parallelFor(outer * tiles, grainFor(3 * D * kTile), [&](int64_t b, int64_t e) {
    float mx[kTile], sum[kTile];
    for (int64_t task = b; task < e; ++task) {
      const int64_t o = task / tiles, i0 = (task % tiles) * kTile, len = std::min(kTile, inner - i0);
      const float* xo = x + o * D * inner + i0;
      float* yo = y + o * D * inner + i0;
      std::copy(xo, xo + len, mx);
      for (int64_t d = 1; d < D; ++d)
        for (int64_t i = 0; i < len; ++i) mx[i] = std::max(mx[i], xo[d * inner + i]);
      std::fill(sum, sum + len, 0.0f);
      for (int64_t d = 0; d < D; ++d) {
        const float* xd = xo + d * inner;
        float* yd = yo + d * inner;
        if (log) {
          for (int64_t i = 0; i < len; ++i) sum[i] += std::exp(xd[i] - mx[i]);
        } else {
          for (int64_t i = 0; i < len; ++i) sum[i] += (yd[i] = std::exp(xd[i] - mx[i]));
        }
      }
      if (log) {
        for (int64_t i = 0; i < len; ++i) sum[i] = std::log(sum[i]);  // now log Σ exp(x - max)
        for (int64_t d = 0; d < D; ++d)
          for (int64_t i = 0; i < len; ++i) yo[d * inner + i] = (xo[d * inner + i] - mx[i]) - sum[i];
      } else {
        for (int64_t i = 0; i < len; ++i) sum[i] = 1.0f / sum[i];
        for (int64_t d = 0; d < D; ++d)
          for (int64_t i = 0; i < len; ++i) yo[d * inner + i] *= sum[i];
      }
    }
  });
}

}  // namespace

void softmax(const float* x, float* y, int64_t outer, int64_t D, int64_t inner, bool log) {
  if (outer == 0 || D == 0 || inner == 0) return;
  if (inner == 1)
    rows(x, y, outer, D, log);
  else
    strided(x, y, outer, D, inner, log);
}

}  // namespace convnets::cpu
