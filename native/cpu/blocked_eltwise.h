// Elementwise ops and channel concatenation on channel-blocked float32 (NCHWc, dispatch/ops_blocked.h).
// Pad lanes (channels past C in the last block) are 0 in every input and written 0 in every output.
#pragma once
#include <cstdint>

namespace convnets::cpu {

// y = max(x, 0) over n floats (n a multiple of 8, as every blocked tensor's size; relu(0) = 0 keeps pad
// lanes 0). Flat: the block does not matter.
void reluBlocked(const float* x, float* y, int64_t n);
// y = a + b (then ReLU) over n floats (0 + 0 keeps pad lanes 0).
void addBlocked(const float* a, const float* b, float* y, int64_t n, bool relu);
// x, y [N, ceil(C/B), H, W, B]: y = x·scale[c] + shift[c] (then ReLU) for c < C; pad lanes written 0.
void affineBlocked(const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W, const float* scale,
                   const float* shift, bool relu, int B);
// y [N, ceil(ΣC/B), H, W, B] = the channel concatenation of nParts parts [N, ceil(channels[i]/B), H, W, B].
void catBlocked(const float* const* parts, const int64_t* channels, int64_t nParts, float* y, int64_t N, int64_t H,
                int64_t W, int B);

}  // namespace convnets::cpu
