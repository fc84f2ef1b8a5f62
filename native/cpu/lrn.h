// Local response normalisation across channels (AlexNet), torch's definition:
//   b[c] = a[c] / (k + alpha/size * Σ_{c' = c - size/2 .. c + (size-1)/2} a[c']²)^beta
// with channels outside [0, C) contributing zero. x and y are (N, C, HW) contiguous.
#pragma once
#include <cstdint>

namespace convnets::cpu {

void localResponseNorm(const float* x, float* y, int64_t N, int64_t C, int64_t HW, int64_t size, float alpha,
                       float beta, float k);

}  // namespace convnets::cpu
