// DenseNet's transition on channel-blocked float32 (NCHWc, dispatch/ops_blocked.h) in one pass: the window ×
// window average pool (stride = window, no padding, floor) of the channel concatenation of the parts, each
// channel first mapped by x·scale[c] + shift[c] (then ReLU). What affine_pool.h does for NCHW planes, with the
// same summation order (so the same bits): compile()'s poolBeforePointwiseConv step inside a blocked region.
#pragma once
#include <cstdint>

namespace convnets::cpu {

// blocks: N·ceil(C/B) pointers, one per (image, channel block), each to H·W·B floats (the parts read in place).
// scale null: no map (then relu is ignored). y: [N, ceil(C/B), H/kh, W/kw, B], pad lanes written 0.
void affineAvgPoolBlocked(const float* const* blocks, int64_t N, int64_t C, int64_t H, int64_t W, int64_t kh,
                          int64_t kw, const float* scale, const float* shift, bool relu, float* y, int B);

}  // namespace convnets::cpu
