// Counter-based random numbers: element i of a seeded tensor depends only on (seed, i), so filling is
// parallel and reproducible on any thread count.
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace convnets {

// splitmix64: a bijective mixer; mix(key ^ counter) is a good counter-based generator (test data, dropout).
inline uint64_t splitmix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
// The top 24 random bits as a float in [0, 1) (exactly representable in float32).
inline float unitFloat(uint64_t bits) { return float(bits >> 40) * (1.0f / 16777216.0f); }

// Uniform in [low, high).
void fillUniform(Tensor& t, uint64_t seed, float low, float high);
// Normal(mean, std) by Box–Muller on pairs of counters.
void fillNormal(Tensor& t, uint64_t seed, float mean, float std);

}  // namespace convnets
