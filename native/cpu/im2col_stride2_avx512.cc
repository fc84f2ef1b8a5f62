// im2col column packing for horizontal stride 2 with AVX-512 (ResNet's 3×3/2 layers, the 7×7/2 stem).
// A panel row splits into runs along output rows like the generic packer (im2col_runs.h), but each run is copied 16
// outputs at a time: two masked loads of 32 consecutive input floats (the mask zeroes padding and never
// touches memory outside the row) and one even-lane permute, instead of scalar strided copies with
// bounds arithmetic and scalar tails, which cost about as much as the GEMM itself.
#include <immintrin.h>

#include <algorithm>

#include "cpu/conv_algos.h"
#include "cpu/im2col_runs.h"
#include "cpu/masked_avx512.h"

namespace convnets::cpu {

void packColumnsStride2Avx512(const ConvDesc& d, int nr, const float* xg, int64_t j0, int64_t nb, float* dst) {
  const int64_t W = d.W;
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512 zero = _mm512_setzero_ps();
  forEachColumnRun(d, nr, xg, j0, nb, dst, [&](float* o, const float* xr, int64_t iw0, int64_t len) {
    for (int64_t t0 = 0; t0 < len; t0 += 16) {
      const __mmask16 store = __mmask16(len - t0 >= 16 ? 0xFFFF : (1u << (len - t0)) - 1);
      if (!xr) {
        _mm512_mask_storeu_ps(o + t0, store, zero);
        continue;
      }
      // Source lanes l = 0..31 read xr[base + l]; valid when 0 ≤ base + l < W.
      const int64_t base = iw0 + 2 * t0;
      const int64_t lo = std::clamp<int64_t>(-base, 0, 32), hi = std::clamp<int64_t>(W - base, 0, 32);
      const uint32_t bits = hi <= lo ? 0u : (hi == 32 ? 0xFFFFFFFFu : (1u << hi) - 1) & ~((1u << lo) - 1);
      // Masked-off lanes are not accessed, so the address may point outside the row.
      const float* src = reinterpret_cast<const float*>(reinterpret_cast<intptr_t>(xr) + base * 4);
      const __m512 a = loadMaskedZ(__mmask16(bits), src);
      const __m512 b = loadMaskedZ(__mmask16(bits >> 16), src + 16);
      storeMasked(o + t0, store, _mm512_permutex2var_ps(a, even, b));
    }
  });
}

}  // namespace convnets::cpu
