// One axis of torch's `interpolate` (nearest, nearest-exact, bilinear, bicubic; antialias and
// align_corners): the scale and tap count chosen on the host, and the taps of each output index — the
// input indices it reads and their weights — written by interpTaps(), which the CPU kernel
// (cpu/interpolate.cc) and the CUDA kernel (cuda/interpolate.cu, on the device) both call, so the two
// devices share one formula. Resizing is separable: an [outer, in, inner] view is resampled along `in`
// into [outer, out, inner], width first, then height (as torch's separable kernel and PIL do).
//
// The formulas are torch's (aten/src/ATen/native/UpSample.h, cpu/UpSampleKernel.cpp), in float like
// torch's float path:
//   nearest        src = min(floor(o * scale), in - 1)            (out == in: o; out == 2 in: o >> 1)
//   nearest-exact  src = min(floor((o + 0.5) * scale), in - 1)
//   linear         x = scale (o + 0.5) - 0.5, clamped at 0 (alignCorners: x = scale o); taps floor(x) and
//                  floor(x) + 1 (not past the end) weighted 1 - t and t, t = x - floor(x)
//   cubic          same x without the clamp; taps floor(x) - 1 … floor(x) + 2 clamped into the input, Keys'
//                  cubic convolution with A = -0.75
//   antialias      PIL's resampling (torch's _upsample_*_aa): support = taps/2 · max(scale, 1) for the
//                  triangle (2 taps) or Keys' cubic with a = -0.5 (4 taps); input pixels [xmin, xmin+xsize)
//                  around center = scale (o + 0.5), weight filter((j - center + 0.5) / max(scale, 1)),
//                  normalised to sum 1.
// scale = in / out, or 1 / scaleFactor when the caller passed one (torch's scale_factor without
// recompute_scale_factor), or (in - 1) / (out - 1) with alignCorners (0 when out == 1).
#pragma once
#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define CN_HOST_DEVICE __host__ __device__
#else
#define CN_HOST_DEVICE
#endif

namespace convnets {

enum class InterpMode : int32_t { Nearest = 0, NearestExact = 1, Linear = 2, Cubic = 3 };

struct InterpAxis {
  int64_t in = 1, out = 1;
  float scale = 1.0f;    // source pixels per output pixel (see above)
  float support = 0.0f;  // antialias: half-width of the filter in input pixels
  int32_t taps = 1;      // entries per output index in a table (unused ones have weight 0)
  InterpMode mode = InterpMode::Nearest;
  bool alignCorners = false;
  bool antialias = false;
};

namespace interp_detail {

CN_HOST_DEVICE inline int64_t clampIndex(int64_t i, int64_t n) { return i < 0 ? 0 : (i > n - 1 ? n - 1 : i); }

// Keys' cubic convolution kernel: |x| <= 1 and 1 < |x| < 2.
CN_HOST_DEVICE inline float cubic1(float x, float A) { return ((A + 2.0f) * x - (A + 3.0f)) * x * x + 1.0f; }
CN_HOST_DEVICE inline float cubic2(float x, float A) { return ((A * x - 5.0f * A) * x + 8.0f * A) * x - 4.0f * A; }

CN_HOST_DEVICE inline float aaFilter(float x, InterpMode mode) {
  x = x < 0.0f ? -x : x;
  if (mode == InterpMode::Linear) return x < 1.0f ? 1.0f - x : 0.0f;
  constexpr float a = -0.5f;  // PIL's (and torch's antialiased) bicubic
  if (x < 1.0f) return cubic1(x, a);
  if (x < 2.0f) return cubic2(x, a);
  return 0.0f;
}

// torch's guard_index_and_lambda: index floor(x) kept below `in`, fraction clamped to [0, 1].
CN_HOST_DEVICE inline void indexAndLambda(float x, int64_t in, int64_t& i, float& t) {
  i = int64_t(floorf(x));
  if (i > in - 1) i = in - 1;
  t = x - float(i);
  t = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
}

}  // namespace interp_detail

// The `a.taps` input indices and weights output index `o` reads along this axis (indices always inside
// [0, a.in); padding entries repeat a valid index with weight 0).
CN_HOST_DEVICE inline void interpTaps(const InterpAxis& a, int64_t o, int32_t* idx, float* w) {
  using namespace interp_detail;
  for (int32_t k = 0; k < a.taps; ++k) idx[k] = 0, w[k] = 0.0f;
  if (a.antialias) {
    const float center = a.scale * (float(o) + 0.5f);
    const float inv = a.scale >= 1.0f ? 1.0f / a.scale : 1.0f;
    int64_t xmin = int64_t(center - a.support + 0.5f);
    xmin = xmin < 0 ? 0 : xmin;
    int64_t xend = int64_t(center + a.support + 0.5f);
    xend = xend > a.in ? a.in : xend;
    int64_t xsize = xend - xmin;
    xsize = xsize < 0 ? 0 : (xsize > a.taps ? a.taps : xsize);
    float total = 0.0f;
    for (int64_t j = 0; j < xsize; ++j) {
      const float v = aaFilter((float(j + xmin) - center + 0.5f) * inv, a.mode);
      idx[j] = int32_t(j + xmin);
      w[j] = v;
      total += v;
    }
    for (int64_t j = xsize; j < a.taps; ++j) idx[j] = int32_t(clampIndex(xmin, a.in));
    if (total != 0.0f)
      for (int64_t j = 0; j < xsize; ++j) w[j] /= total;
    return;
  }
  switch (a.mode) {
    case InterpMode::Nearest: {
      int64_t s;
      if (a.out == a.in) s = o;
      else if (a.out == 2 * a.in) s = o >> 1;
      else s = int64_t(floorf(float(o) * a.scale));
      idx[0] = int32_t(s < a.in - 1 ? s : a.in - 1);
      w[0] = 1.0f;
      return;
    }
    case InterpMode::NearestExact: {
      const int64_t s = int64_t(floorf(float((double(o) + 0.5) * double(a.scale))));  // torch: double product
      idx[0] = int32_t(s < a.in - 1 ? s : a.in - 1);
      w[0] = 1.0f;
      return;
    }
    case InterpMode::Linear: {
      if (a.out == a.in) {  // torch copies
        idx[0] = idx[1] = int32_t(o);
        w[0] = 1.0f;
        return;
      }
      float x = a.alignCorners ? a.scale * float(o) : a.scale * (float(o) + 0.5f) - 0.5f;
      if (x < 0.0f) x = 0.0f;
      int64_t i;
      float t;
      indexAndLambda(x, a.in, i, t);
      idx[0] = int32_t(i);
      idx[1] = int32_t(i < a.in - 1 ? i + 1 : i);
      w[0] = 1.0f - t;
      w[1] = t;
      return;
    }
    case InterpMode::Cubic: {
      const float x = a.alignCorners ? a.scale * float(o) : a.scale * (float(o) + 0.5f) - 0.5f;
      int64_t i;
      float t;
      indexAndLambda(x, a.in, i, t);
      constexpr float A = -0.75f;
      w[0] = cubic2(t + 1.0f, A);
      w[1] = cubic1(t, A);
      const float t2 = 1.0f - t;
      w[2] = cubic1(t2, A);
      w[3] = cubic2(t2 + 1.0f, A);
      for (int k = 0; k < 4; ++k) idx[k] = int32_t(clampIndex(i - 1 + k, a.in));
      return;
    }
  }
}

// Host side (core/interp_desc.cc): the axis for resizing `in` to `out`; scaleFactor > 0 is the caller's
// scale factor (torch's scale_factor without recompute_scale_factor), 0 when the output size was given.
InterpAxis makeInterpAxis(int64_t in, int64_t out, InterpMode mode, bool alignCorners, bool antialias,
                          double scaleFactor);
// Whether resampling this axis returns its input unchanged (torch's shortcuts, and scale 1), so the pass
// can be skipped.
bool interpIsIdentity(const InterpAxis& a);

}  // namespace convnets
