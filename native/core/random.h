// Counter-based random numbers: element i of a seeded tensor depends only on (seed, i), so filling is
// parallel and reproducible on any thread count.
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace convnets {

// Uniform in [low, high).
void fillUniform(Tensor& t, uint64_t seed, float low, float high);
// Normal(mean, std) by Box–Muller on pairs of counters.
void fillNormal(Tensor& t, uint64_t seed, float mean, float std);

}  // namespace convnets
