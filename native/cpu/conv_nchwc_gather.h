// The NCHWc convolution's input gather (conv_nchwc_gather.cc), used by conv_nchwc.cc only.
#pragma once
#include <cstdint>

#include "core/conv_desc.h"
#include "cpu/conv_nchwc.h"

namespace convnets::cpu {

// Image n of `in` → dst [ceil(C/B)][H + padH + padBottom][W + padW + padRight][B]: zero borders, zero lanes past
// C, the input affine applied to the real channels. Parallel over (block, row).
void gatherNchwc(const ConvDesc& d, int B, const NchwcInput& in, int64_t n, float* dst);

}  // namespace convnets::cpu
