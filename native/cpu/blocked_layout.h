// Reorders between NCHW and channel-blocked NCHWc ([N, ceil(C/B), H, W, B], dispatch/ops_blocked.h).
#pragma once
#include <cstdint>

namespace convnets::cpu {

// x [N, C, H, W] → y [N, ceil(C/B), H, W, B]; the pad lanes of the last block are written 0. B: 8 or 16.
void toBlocked(const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W, int B);
// xb [N, ceil(C/B), H, W, B] → y [N, C, H, W] (pad lanes dropped).
void fromBlocked(const float* xb, float* y, int64_t N, int64_t C, int64_t H, int64_t W, int B);

}  // namespace convnets::cpu
