// 2-D pooling on channel-blocked float32 (NCHWc, dispatch/ops_blocked.h), torch semantics per channel:
// the same windows, divisors and bits as the NCHW kernels (pool.h). d.C is the real channel count; x is
// [N, ceil(C/B), H, W, B] and y [N, ceil(C/B), OH, OW, B], every element of y written, pad lanes 0.
#pragma once
#include <cstdint>

#include "core/pool_desc.h"

namespace convnets::cpu {

// Max over the in-bounds window elements (padding is -inf); NaN wins. Every window must hold an in-bounds
// element: the pad lanes are then a max of 0s (an empty window, possible only with dilation, would give
// -inf there, and the real channel count that would tell pad lanes apart is not in the blocked shape).
void maxPool2dBlocked(const float* x, float* y, const Pool2dDesc& d, int B);
// Mean over the window, torch's divisors (pool_window.h avgSpan). Dilation must be 1.
void avgPool2dBlocked(const float* x, float* y, const Pool2dDesc& d, bool countIncludePad, int B);
// d.OH × d.OW cells, each the mean of torch's adaptive window (pool_window.h); kernel/stride/padding unused.
void adaptiveAvgPool2dBlocked(const float* x, float* y, const Pool2dDesc& d, int B);

}  // namespace convnets::cpu
