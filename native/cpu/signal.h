// The maths of convolution on plain float64 arrays (numpy.convolve / scipy.signal.convolve2d family).
// Both kernels compute a cross-correlation over a window of lags with zero fill outside `a`;
// ops.cc maps numpy's / scipy's modes (full, same, valid), operand swaps and kernel flips onto them.
#pragma once
#include <cstdint>

namespace convnets::cpu {

// out[t] = Σ_j a[t + lag0 + j] · v[j] over the j where 0 <= t + lag0 + j < na, for t in [0, nOut).
void correlate1d(const double* a, int64_t na, const double* v, int64_t nv, int64_t lag0, double* out, int64_t nOut);

// out[r][c] = Σ_{i,j} a[r + r0 + i][c + c0 + j] · v[i][j] (a is ah×aw, v is vh×vw, out is oh×ow, all
// row-major; terms outside a are zero).
void correlate2d(const double* a, int64_t ah, int64_t aw, const double* v, int64_t vh, int64_t vw, int64_t r0,
                 int64_t c0, double* out, int64_t oh, int64_t ow);

}  // namespace convnets::cpu
