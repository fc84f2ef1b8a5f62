// torch's interpolate on the CPU: separable resampling along one axis with the taps of core/interp_desc.h.
#pragma once
#include <cstdint>

#include "core/interp_desc.h"

namespace convnets::cpu {

// y [outer, a.out, inner] = x [outer, a.in, inner] resampled along the middle axis.
void resampleAxis(const float* x, float* y, int64_t outer, int64_t inner, const InterpAxis& a);

// y [planes, h.out, w.out] from x [planes, h.in, w.in]: width first, then height (torch's and PIL's
// order); an axis that interpIsIdentity() skips is not touched.
void interpolate(const float* x, float* y, int64_t planes, const InterpAxis& h, const InterpAxis& w);

}  // namespace convnets::cpu
