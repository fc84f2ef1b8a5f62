// Dense layer: y = x·Wᵀ + b with x and torch-layout W both read in place along K (linear.cc).
#pragma once
#include <cstdint>

#include "core/cpu_features.h"

namespace convnets::cpu {

// x [rows, in], w [out, in] (torch layout), bias [out] or null → y [rows, out]; ReLU when asked.
// Register-tiled dot products, split over output features.
void linear(Isa isa, const float* x, const float* w, const float* bias, bool relu, int64_t rows, int64_t in,
            int64_t out, float* y);

}  // namespace convnets::cpu
