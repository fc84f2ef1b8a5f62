// The average pool that compile() moves in front of a 1×1 convolution (DenseNet's transitions:
// BN → ReLU → 1×1 conv → 2×2/2 average pool). A 1×1 conv acts on each pixel alone and an average pool on
// each channel alone, and both are linear, so pooling first gives the same result on a quarter of the
// pixels: the conv does 4× less work and its input pass reads the full-size activation once.
#pragma once
#include <cstdint>

namespace convnets::cpu {

// y[n, c] = the kh×kw average pool, stride = window, no padding, floor mode (OH = H / kh, OW = W / kw) of
// f(plane(n, c)), where f(v) = v·scale[c] + shift[c] (then max(·, 0) when relu), or f(v) = v when scale is
// null. planes: N·C pointers to H×W planes (a concatenation read in place); y: [N, C, OH, OW].
void affineAvgPool(const float* const* planes, int64_t N, int64_t C, int64_t H, int64_t W, int64_t kh, int64_t kw,
                   const float* scale, const float* shift, bool relu, float* y);

}  // namespace convnets::cpu
