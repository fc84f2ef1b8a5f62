// im2col column packing for horizontal stride 2 with AVX-512 (ResNet's 3×3/2 layers, the 7×7/2 stem).
// A panel row splits into runs along output rows like the generic packer (im2col_runs.h), but each run is copied 16
// outputs at a time: two loads of 32 consecutive input floats (masked only where they would leave the row, so
// padding needs no copy and nothing outside the row is touched) and one even-lane permute, instead of scalar
// strided copies with bounds arithmetic and scalar tails, which cost about as much as the GEMM itself.
#include <immintrin.h>

#include <algorithm>

#include "cpu/conv_algos.h"
#include "cpu/im2col_runs.h"
#include "cpu/masked_avx512.h"

namespace convnets::cpu {
namespace {

// The per-run walk of im2col_runs.h, one 16-output chunk at a time: the general path (any kernel size).
void packRunsStride2(const ConvDesc& d, int nr, const float* xg, int64_t j0, int64_t nb, float* dst) {
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

// Columns of the last panel past the edge (w < nr) are left as they are: the kernels compute them but store
// only the first w columns (a mutation zeroing nothing there passed every test, so the fill was dead work).
// One 16-output chunk of a panel row: where it reads in a channel plane (the 32-float load base, only the
// lanes in `bits` are touched) and where it writes in the channel's rows of the panel.
struct Chunk {
  int64_t src;     // offset in the channel plane (may be out of the plane: those lanes are masked off)
  int32_t out;     // offset in the channel's R·S·nr block of the panel
  uint32_t bits;   // source lanes inside the input row (0: a padding row, the chunk is zeros)
  uint16_t store;  // output lanes in the run
};
// A panel row has at most nr / 16 + nr chunks (its runs' chunk counts, ⌈len / 16⌉ each, add up to at most
// that), so R·S ≤ 25 and nr ≤ 32 fit in 25 · 34.
constexpr int kMaxTaps = 25, kMaxChunks = kMaxTaps * (32 + 32 / 16);

}  // namespace

// Kernels up to 5×5 (ResNet's 3×3/2): the chunks of a panel do not depend on the channel, so they are
// worked out once per panel into a table, and each channel is then only loads, a permute and a store per
// chunk. The run walk above recomputed every chunk's bounds and masks per channel, and was 28 % of the
// 128×56²→128 3×3/2 layer (perf, 2 threads, hot) against 64 % for its GEMM.
void packColumnsStride2Avx512(const ConvDesc& d, int nr, const float* xg, int64_t j0, int64_t nb, float* dst) {
  const int64_t RS = d.R * d.S, depth = d.Cg() * RS, W = d.W, HW = d.H * W;
  if (RS > kMaxTaps || nr > 32) return packRunsStride2(d, nr, xg, j0, nb, dst);
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512 zero = _mm512_setzero_ps();
  Chunk chunks[kMaxChunks];
  int32_t lines[256];  // prefetch: the input lines a channel's chunks read (byte offsets, one per line)
  for (int64_t q = 0; q < (nb + nr - 1) / nr; ++q) {
    const int64_t jq = j0 + q * nr, w = std::min<int64_t>(nr, j0 + nb - jq);
    int n = 0, nLines = 0;
    for (int64_t jj = 0; jj < w;) {
      const int64_t j = jq + jj, oh = j / d.outW, ow = j % d.outW, len = std::min(w - jj, d.outW - ow);
      for (int64_t r = 0; r < d.R; ++r) {
        const int64_t ih = oh * d.strideH - d.padH + r * d.dilationH;
        const bool rowOk = ih >= 0 && ih < d.H;
        for (int64_t sc = 0; sc < d.S; ++sc) {
          const int64_t iw0 = ow * 2 - d.padW + sc * d.dilationW;
          for (int64_t t0 = 0; t0 < len; t0 += 16) {
            const int64_t base = iw0 + 2 * t0;
            const int64_t lo = std::clamp<int64_t>(-base, 0, 32), hi = std::clamp<int64_t>(W - base, 0, 32);
            const uint32_t bits = !rowOk || hi <= lo ? 0u : (hi == 32 ? 0xFFFFFFFFu : (1u << hi) - 1) & ~((1u << lo) - 1);
            chunks[n++] = {ih * W + base, int32_t((r * d.S + sc) * nr + jj + t0), bits,
                           uint16_t(len - t0 >= 16 ? 0xFFFF : (1u << (len - t0)) - 1)};
          }
        }
        // The row's lines, once per run (the S taps overlap): prefetched for the channel two ahead, since
        // these short stretches in every channel plane are invisible to the hardware prefetchers.
        if (rowOk) {
          const int64_t w0 = std::max<int64_t>(0, ow * 2 - d.padW);
          const int64_t w1 = std::min<int64_t>(W, (ow + len - 1) * 2 - d.padW + (d.S - 1) * d.dilationW + 1);
          for (int64_t b = (ih * W + w0) * 4 / 64 * 64; b < (ih * W + w1) * 4 && nLines < 256; b += 64)
            lines[nLines++] = int32_t(b);
        }
      }
      jj += len;
    }
    float* out = dst + q * depth * nr;
    for (int64_t c = 0; c < d.Cg(); ++c, out += RS * nr) {
      const float* xc = xg + c * HW;
      if (c + 2 < d.Cg()) {
        const char* xn = reinterpret_cast<const char*>(xc + 2 * HW);
        for (int i = 0; i < nLines; ++i) __builtin_prefetch(xn + lines[i]);
      }
      for (int i = 0; i < n; ++i) {
        const Chunk& k = chunks[i];
        __m512 v = zero;
        if (k.bits) {
          // Masked-off lanes are not accessed, so the address may point outside the plane.
          const float* src = reinterpret_cast<const float*>(reinterpret_cast<intptr_t>(xc) + k.src * 4);
          v = _mm512_permutex2var_ps(loadMaskedZ(__mmask16(k.bits), src), even, loadMaskedZ(__mmask16(k.bits >> 16), src + 16));
        }
        storeMasked(out + k.out, __mmask16(k.store), v);
      }
    }
  }
}

}  // namespace convnets::cpu
