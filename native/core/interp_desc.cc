// Host half of core/interp_desc.h: torch's scale for each axis and the number of taps a table needs.
#include "core/interp_desc.h"

#include <cmath>

namespace convnets {

InterpAxis makeInterpAxis(int64_t in, int64_t out, InterpMode mode, bool alignCorners, bool antialias,
                          double scaleFactor) {
  InterpAxis a;
  a.in = in, a.out = out, a.mode = mode, a.alignCorners = alignCorners, a.antialias = antialias;
  // torch's area_pixel_compute_scale / compute_scales_value (float for float tensors).
  const bool interpolating = mode == InterpMode::Linear || mode == InterpMode::Cubic;
  if (interpolating && alignCorners)
    a.scale = out > 1 ? float(in - 1) / float(out - 1) : 0.0f;
  else
    a.scale = scaleFactor > 0.0 ? float(1.0 / scaleFactor) : float(in) / float(out);
  switch (mode) {
    case InterpMode::Nearest:
    case InterpMode::NearestExact: a.taps = 1; break;
    case InterpMode::Linear: a.taps = 2; break;
    case InterpMode::Cubic: a.taps = 4; break;
  }
  if (antialias) {
    const float half = float(a.taps) * 0.5f;  // the filter's support at scale 1: 1 (triangle), 2 (cubic)
    a.support = a.scale >= 1.0f ? half * a.scale : half;
    a.taps = int32_t(std::ceil(a.support)) * 2 + 1;
  }
  return a;
}

bool interpIsIdentity(const InterpAxis& a) {
  if (a.in != a.out) return false;
  if (a.mode == InterpMode::Nearest) return true;                           // torch's shortcut
  if (a.mode == InterpMode::Linear && !a.antialias) return true;            // likewise
  return a.scale == 1.0f;  // cubic and antialiased filters at scale 1 weight only the pixel itself
}

}  // namespace convnets
