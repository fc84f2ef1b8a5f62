// Dense layer for few input rows (batch-1 inference): y = x·Wᵀ + b straight from W's rows.
#pragma once
#include <cstdint>

#include "core/cpu_features.h"

namespace convnets::cpu {

// Rows of x at or below which linearFewRows beats packing W for the GEMM: packing reads and writes all
// of W (vgg16's fc6 is 411 MB) to save work that only many rows would repeat.
constexpr int64_t kLinearFewRows = 4;

// x [rows, in], w [out, in] (torch layout), bias [out] or null → y [rows, out]; ReLU when asked.
// Memory-bound dot products of W's contiguous rows, split over output features.
void linearFewRows(Isa isa, const float* x, const float* w, const float* bias, bool relu, int64_t rows, int64_t in,
                   int64_t out, float* y);

}  // namespace convnets::cpu
