// 2-D pooling on NCHW float32 (torch semantics). Every output element is written.
#pragma once
#include <cstdint>

#include "core/pool_desc.h"

namespace convnets::cpu {

// Max over the in-bounds window elements; NaN anywhere in a window gives NaN (like torch); a window with
// no in-bounds element (possible only with dilation) gives -inf.
void maxPool2d(const float* x, float* y, const Pool2dDesc& d);
// Mean over the window. Divisor (torch): with countIncludePad, the window clipped to the padded input
// (so ceil-mode windows that run past the padding divide by their clipped size); without, the number of
// in-bounds elements. Dilation must be 1.
void avgPool2d(const float* x, float* y, const Pool2dDesc& d, bool countIncludePad);
// One output row (OW floats) of a kw-wide (2 or 3), stride-2, dilation-1 max pool with left padding pw,
// from the nRows in-bounds input rows (W floats each) of its window; scratch holds W floats
// (pool_row_avx512.cc).
void maxRowS2Avx512(const float* const* rows, int nRows, int64_t W, int64_t kw, int64_t pw, float* yr, int64_t OW,
                    float* scratch);
// "Same" 3×3 stride-1 max pooling of one H×W plane as a flat array in one pass (pool_row_avx512.cc):
// interior[2k] and [2k + 1] are the lanes of flat vector k (positions 16k..16k+15) not in the first and
// not in the last column of their row.
void maxPoolSame3Avx512(const float* x, float* y, int64_t H, int64_t W, const uint16_t* interior);
// Output cell (i, j) averages rows [floor(i*H/OH), ceil((i+1)*H/OH)) × columns likewise (torch).
void adaptiveAvgPool2d(const float* x, float* y, int64_t planes, int64_t H, int64_t W, int64_t OH, int64_t OW);

}  // namespace convnets::cpu
