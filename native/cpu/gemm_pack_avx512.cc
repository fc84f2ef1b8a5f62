// AVX-512 packing of a row-major A panel (rows read along K) into the microkernel's layout, where
// element (i, k) goes to out[k·width + i]: a transpose. The scalar gather in gemm.cc reads `width`
// rows one float at a time (12 interleaved streams) and took 0.4–0.5 ms of a 7 ms 1024³ GEMM; here
// 16 k at a time are loaded as one vector per row and transposed in registers.
#include <immintrin.h>

#include "cpu/gemm.h"
#include "cpu/transpose_avx512.h"

// GCC 12 warns that _mm512_undefined_ps() (inside the shuffle intrinsics) is used uninitialised: it is
// undefined on purpose.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace convnets::cpu {
namespace {

// One full panel of `width` ≤ 16 rows (row stride ws), `depth` columns read contiguously.
void packRowsTransposed(int64_t depth, const float* in, int64_t ws, int width, float* out) {
  const __mmask16 rows = __mmask16((1u << width) - 1);
  int64_t d = 0;
  for (; d + 16 <= depth; d += 16) {
    __m512 r[16];
    for (int i = 0; i < 16; ++i) r[i] = i < width ? _mm512_loadu_ps(in + i * ws + d) : _mm512_setzero_ps();
    // The rows are `width` streams a row stride apart: ask for each one's line 4 blocks ahead.
    for (int i = 0; i < width; ++i) _mm_prefetch(reinterpret_cast<const char*>(in + i * ws + d + 64), _MM_HINT_T0);
    transpose16(r);
    // Whole-vector stores, in order: the lanes past `width` land where the next step's store writes
    // next (masked stores were slow, masked_avx512.h); only the last step's must not spill.
    for (int j = 0; j < 15; ++j) _mm512_storeu_ps(out + (d + j) * width, r[j]);
    _mm512_mask_storeu_ps(out + (d + 15) * width, rows, r[15]);
  }
  for (; d < depth; ++d)
    for (int i = 0; i < width; ++i) out[d * width + i] = in[i * ws + d];
}

}  // namespace

PackRowsFn packRowsTransposedAvx512() { return packRowsTransposed; }

}  // namespace convnets::cpu
