// torch.nn.functional.interpolate on the CPU (cpu/interpolate.h). Each axis gets a table of taps (input
// index, weight) per output index from core/interp_desc.h — the same function the CUDA kernel runs — and
// is resampled in its own pass: along rows (inner == 1: a gather per output pixel) or across rows (inner
// > 1: whole rows scaled and added, contiguous and vectorisable).
#include "cpu/interpolate.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/threadpool.h"
#include "cpu/grain.h"

namespace convnets::cpu {

void resampleAxis(const float* x, float* y, int64_t outer, int64_t inner, const InterpAxis& a) {
  if (outer == 0 || inner == 0 || a.out == 0) return;
  const int64_t T = a.taps;
  std::vector<int32_t> idx(size_t(a.out * T));
  std::vector<float> w(size_t(a.out * T));
  for (int64_t o = 0; o < a.out; ++o) interpTaps(a, o, idx.data() + o * T, w.data() + o * T);
  if (inner == 1) {
    parallelFor(outer, grainFor(a.out * T), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const float* xr = x + r * a.in;
        float* yr = y + r * a.out;
        for (int64_t o = 0; o < a.out; ++o) {
          const int32_t* io = idx.data() + o * T;
          const float* wo = w.data() + o * T;
          float s = wo[0] * xr[io[0]];
          for (int64_t k = 1; k < T; ++k) s += wo[k] * xr[io[k]];
          yr[o] = s;
        }
      }
    });
    return;
  }
  parallelFor(outer * a.out, grainFor(inner * T), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t p = t / a.out, o = t % a.out;
      const float* xp = x + p * a.in * inner;
      float* yr = y + t * inner;
      const int32_t* io = idx.data() + o * T;
      const float* wo = w.data() + o * T;
      const float* x0 = xp + int64_t(io[0]) * inner;
      for (int64_t i = 0; i < inner; ++i) yr[i] = wo[0] * x0[i];
      for (int64_t k = 1; k < T; ++k) {
        const float wk = wo[k];
        const float* xk = xp + int64_t(io[k]) * inner;
        for (int64_t i = 0; i < inner; ++i) yr[i] += wk * xk[i];
      }
    }
  });
}

void interpolate(const float* x, float* y, int64_t planes, const InterpAxis& h, const InterpAxis& w) {
  const bool doW = !interpIsIdentity(w), doH = !interpIsIdentity(h);
  if (!doW && !doH) {
    std::memcpy(y, x, size_t(planes * h.in * w.in) * sizeof(float));
    return;
  }
  if (!doH) return resampleAxis(x, y, planes * h.in, 1, w);
  if (!doW) return resampleAxis(x, y, planes, w.in, h);
  std::vector<float> tmp(size_t(planes * h.in * w.out));
  resampleAxis(x, tmp.data(), planes * h.in, 1, w);
  resampleAxis(tmp.data(), y, planes, w.out, h);
}

}  // namespace convnets::cpu
