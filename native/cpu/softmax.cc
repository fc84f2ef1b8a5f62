// We never unmask floating-point exceptions, so there are no traps to preserve; with GCC's default
// -ftrapping-math the selects in expNonPositive stay branches and its loops do not vectorise (checked
// with -fopt-info-vec). Local to this file rather than a build flag, and placed before every #include:
// functions parsed under other options would no longer be inlined here (std::max became a call).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif

#include "cpu/softmax.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/threadpool.h"
#include "cpu/grain.h"

namespace convnets::cpu {
namespace {

// e^x for x <= 0 (softmax's shifted logits), written so the compiler vectorises it (std::exp is a scalar
// libm call): Cephes' expf — x = n·ln2 + r with |r| <= ln2/2, a degree-6 polynomial for e^r, and 2^n
// built in the exponent bits. Relative error below 2e-7. Results that would be subnormal (x < -87.34,
// flushed to zero anyway) give 0; NaN gives NaN. No branches and no float→int conversion, so the loops
// that call it vectorise.
inline float expNonPositive(float x) {
  constexpr float kLow = -87.33654f;  // ln 2^-126: keeps 2^n a normal float
  const float xc = x < kLow ? kLow : x;  // NaN stays NaN
  // Adding 1.5·2^23 rounds x·log2(e) to an integer n held in the low mantissa bits of t.
  const float t = xc * 1.44269504f + 12582912.0f;
  const float n = t - 12582912.0f;
  const float r = (xc - n * 0.693359375f) - n * -2.12194440e-4f;  // ln 2 in two parts: r stays exact
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float er = p * (r * r) + r + 1.0f;
  uint32_t tb;
  std::memcpy(&tb, &t, sizeof tb);
  const uint32_t bits = (tb - 0x4B400000u + 127u) << 23;  // (n + 127) << 23; 0x4B400000 = bits of 1.5·2^23
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  const float v = er * scale;  // computed unconditionally, so the select below is a blend, not a branch
  return x < kLow ? 0.0f : v;
}

// Max and sum of a row with 8 independent accumulators: a single float accumulator is a serial chain
// the compiler may not vectorise (it would reorder the additions).
float rowMax(const float* x, int64_t n) {
  float m[8];
  std::fill(m, m + 8, x[0]);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) m[k] = std::max(m[k], x[i + k]);
  for (; i < n; ++i) m[0] = std::max(m[0], x[i]);
  return *std::max_element(m, m + 8);
}

float rowSum(const float* x, int64_t n) {
  float s[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) s[k] += x[i + k];
  for (; i < n; ++i) s[0] += x[i];
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

// inner == 1: each row of D elements is contiguous (logits [N, classes], dim = -1).
void rows(const float* x, float* y, int64_t outer, int64_t D, bool log) {
  parallelFor(outer, grainFor(3 * D), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float* xr = x + r * D;
      float* yr = y + r * D;
      const float mx = rowMax(xr, D);
      for (int64_t i = 0; i < D; ++i) yr[i] = expNonPositive(xr[i] - mx);
      const float sum = rowSum(yr, D);
      if (log) {
        // (x - max) - log(sum), not x - (max + log(sum)): the latter loses the small digits of large logits.
        const float lse = std::log(sum);
        for (int64_t i = 0; i < D; ++i) yr[i] = (xr[i] - mx) - lse;
      } else {
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
          for (int64_t i = 0; i < len; ++i) sum[i] += expNonPositive(xd[i] - mx[i]);
        } else {
          for (int64_t i = 0; i < len; ++i) sum[i] += (yd[i] = expNonPositive(xd[i] - mx[i]));
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
