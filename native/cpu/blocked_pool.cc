#include "cpu/blocked_pool.h"

#include <limits>

#include "core/threadpool.h"
#include "cpu/blocked_vec.h"
#include "cpu/grain.h"
#include "cpu/pool_window.h"

namespace convnets::cpu {
namespace {

using namespace blocked;

// Every kernel here handles output rows [b, e) of the N·ceil(C/B)·OH rows; one row of one block is OW
// pixels, each a B-lane vector, so a window is summed or maxed a whole pixel (B channels) at a time and
// needs no per-channel loop, no gather and no transposed copy.
struct RowOf {
  int64_t oh;        // the output row
  const float* xp;   // its (image, block) input plane
  float* yr;         // the output row itself
};
template <int B>
CN_ALWAYS_INLINE RowOf rowOf(const float* x, float* y, const Pool2dDesc& d, int64_t item) {
  const int64_t plane = item / d.OH, oh = item % d.OH;
  return {oh, x + plane * d.H * d.W * B, y + (plane * d.OH + oh) * d.OW * B};
}

// Max pooling runs CV's lanes at a time (blocked_vec.h: compares stay register wide), U = B / lanes vectors
// per pixel.
// Every window has an in-bounds element (the op refuses others), so pad lanes are a max of 0s: 0.

// Any window: taps checked per output pixel (the check is scalar and shared by the B lanes it guards).
template <int B, class CV>
CN_ALWAYS_INLINE void maxRowTaps(const RowOf& r, const Pool2dDesc& d) {
  constexpr int L = lanesOf<CV>(), U = B / L;
  for (int64_t ow = 0; ow < d.OW; ++ow) {
    CV acc[U];
    for (int u = 0; u < U; ++u) acc[u] = splat<CV>(-std::numeric_limits<float>::infinity());
    for (int64_t i = 0; i < d.kh; ++i) {
      const int64_t ih = r.oh * d.sh - d.ph + i * d.dh;
      if (ih < 0 || ih >= d.H) continue;
      const float* xr = r.xp + ih * d.W * B;
      for (int64_t j = 0; j < d.kw; ++j) {
        const int64_t iw = ow * d.sw - d.pw + j * d.dw;
        if (iw < 0 || iw >= d.W) continue;
        for (int u = 0; u < U; ++u) acc[u] = takeMax(load<CV>(xr + iw * B + L * u), acc[u]);
      }
    }
    for (int u = 0; u < U; ++u) store(r.yr + ow * B + L * u, acc[u]);
  }
}

// Window columns (and rows gathered) the separable path keeps on the stack.
constexpr int kRing = 16;
CN_ALWAYS_INLINE bool separable(const Pool2dDesc& d) { return d.dw == 1 && d.kw <= kRing && d.kh <= kRing; }

// Dilation 1 along W, as every torchvision pool: max is separable, so each input column's maximum over the
// window's rows is taken once and kept in a ring of the last kRing columns, and each output maxes kw of
// them. ResNet's and GoogLeNet's 3×3 pools: 1.5 (stride 2) or 1 (stride 1) column maxima of kh rows plus
// kw maxima per output instead of kh·kw taps, and no per-tap bounds checks.
template <int B, class CV>
CN_ALWAYS_INLINE void maxRowSeparable(const RowOf& r, const Pool2dDesc& d) {
  constexpr int L = lanesOf<CV>(), U = B / L;
  const float* rows[kRing];
  int n = 0;
  for (int64_t i = 0; i < d.kh; ++i) {
    const int64_t ih = r.oh * d.sh - d.ph + i * d.dh;
    if (ih >= 0 && ih < d.H) rows[n++] = r.xp + ih * d.W * B;
  }
  CV ring[kRing][U];
  int64_t next = 0;  // the first column whose maximum is not in the ring yet
  for (int64_t ow = 0; ow < d.OW; ++ow) {
    const int64_t w0 = ow * d.sw - d.pw, c0 = w0 > 0 ? w0 : 0, c1 = w0 + d.kw < d.W ? w0 + d.kw : d.W;
    for (next = next > c0 ? next : c0; next < c1; ++next) {
      // Each maximum starts from its first element (n >= 1 and c0 < c1: no empty window): takeMax(v, -inf)
      // is v, NaN included, so this skips a max per vector and gives the same bits.
      CV* m = ring[next & (kRing - 1)];
      for (int u = 0; u < U; ++u) m[u] = load<CV>(rows[0] + next * B + L * u);
      for (int k = 1; k < n; ++k)
        for (int u = 0; u < U; ++u) m[u] = takeMax(load<CV>(rows[k] + next * B + L * u), m[u]);
    }
    CV acc[U];
    for (int u = 0; u < U; ++u) acc[u] = ring[c0 & (kRing - 1)][u];
    for (int64_t iw = c0 + 1; iw < c1; ++iw)
      for (int u = 0; u < U; ++u) acc[u] = takeMax(ring[iw & (kRing - 1)][u], acc[u]);
    for (int u = 0; u < U; ++u) store(r.yr + ow * B + L * u, acc[u]);
  }
}

template <int B, class CV>
CN_ALWAYS_INLINE void maxRowsT(const float* x, float* y, const Pool2dDesc& d, int64_t b, int64_t e) {
  for (int64_t item = b; item < e; ++item) {
    const RowOf r = rowOf<B>(x, y, d, item);
    if (separable(d)) maxRowSeparable<B, CV>(r, d);
    else maxRowTaps<B, CV>(r, d);
  }
}
template <class CV>
CN_ALWAYS_INLINE void maxRowsBody(const float* x, float* y, const Pool2dDesc& d, int B, int64_t b, int64_t e) {
  if (B == 16) maxRowsT<16, CV>(x, y, d, b, e);
  else maxRowsT<8, CV>(x, y, d, b, e);
}
CN_BLOCKED_COMPARE_VARIANTS(maxRows, (const float* x, float* y, const Pool2dDesc& d, int B, int64_t b, int64_t e),
                  (x, y, d, B, b, e))

// Sums in the NCHW kernel's order (window rows, then columns, from 0) and divides by the same float
// product, so the two layouts agree bit for bit. Pad lanes: 0 / div = 0, and 0 for empty windows.
template <int B>
CN_ALWAYS_INLINE void avgRowsT(const float* x, float* y, const Pool2dDesc& d, bool countIncludePad, int64_t b,
                               int64_t e) {
  using V = typename Lanes<B>::F;
  for (int64_t item = b; item < e; ++item) {
    const RowOf r = rowOf<B>(x, y, d, item);
    const AvgSpan rows = avgSpan(r.oh, d.sh, d.ph, d.kh, d.H, countIncludePad);
    for (int64_t ow = 0; ow < d.OW; ++ow) {
      const AvgSpan cols = avgSpan(ow, d.sw, d.pw, d.kw, d.W, countIncludePad);
      V sum{};
      for (int64_t ih = rows.lo; ih < rows.hi; ++ih)
        for (int64_t iw = cols.lo; iw < cols.hi; ++iw) sum += load<V>(r.xp + (ih * d.W + iw) * B);
      const float div = rows.div * cols.div;
      store(r.yr + ow * B, div == 0.0f ? V{} : sum / div);
    }
  }
}
CN_ALWAYS_INLINE void avgRowsBody(const float* x, float* y, const Pool2dDesc& d, bool countIncludePad, int B,
                                  int64_t b, int64_t e) {
  if (B == 16) avgRowsT<16>(x, y, d, countIncludePad, b, e);
  else avgRowsT<8>(x, y, d, countIncludePad, b, e);
}
CN_ISA_VARIANTS(avgRows,
                (const float* x, float* y, const Pool2dDesc& d, bool countIncludePad, int B, int64_t b, int64_t e),
                (x, y, d, countIncludePad, B, b, e))

// torch's adaptive windows; divided twice, as the NCHW kernel (and torch) does, for the same bits.
template <int B>
CN_ALWAYS_INLINE void adaptiveRowsT(const float* x, float* y, const Pool2dDesc& d, int64_t b, int64_t e) {
  using V = typename Lanes<B>::F;
  for (int64_t item = b; item < e; ++item) {
    const RowOf r = rowOf<B>(x, y, d, item);
    const int64_t h0 = adaptiveStart(r.oh, d.H, d.OH), h1 = adaptiveEnd(r.oh, d.H, d.OH);
    for (int64_t ow = 0; ow < d.OW; ++ow) {
      const int64_t w0 = adaptiveStart(ow, d.W, d.OW), w1 = adaptiveEnd(ow, d.W, d.OW);
      V sum{};
      for (int64_t ih = h0; ih < h1; ++ih)
        for (int64_t iw = w0; iw < w1; ++iw) sum += load<V>(r.xp + (ih * d.W + iw) * B);
      store(r.yr + ow * B, sum / float(h1 - h0) / float(w1 - w0));
    }
  }
}
CN_ALWAYS_INLINE void adaptiveRowsBody(const float* x, float* y, const Pool2dDesc& d, int B, int64_t b, int64_t e) {
  if (B == 16) adaptiveRowsT<16>(x, y, d, b, e);
  else adaptiveRowsT<8>(x, y, d, b, e);
}
CN_ISA_VARIANTS(adaptiveRows, (const float* x, float* y, const Pool2dDesc& d, int B, int64_t b, int64_t e),
                (x, y, d, B, b, e))

// Output rows of all (image, block) planes; work per row from its taps, so a small pool (7×7 planes of a
// few blocks) runs as one chunk on the caller instead of waking every thread.
int64_t outputRows(const Pool2dDesc& d, int B) { return d.N * ((d.C + B - 1) / B) * d.OH; }

}  // namespace

void maxPool2dBlocked(const float* x, float* y, const Pool2dDesc& d, int B) {
  parallelFor(outputRows(d, B), grainFor(d.OW * B * d.kh * d.kw), [&](int64_t b, int64_t e) {
    CN_BLOCKED_ISA_CALL(maxRows, x, y, d, B, b, e);
  });
}

void avgPool2dBlocked(const float* x, float* y, const Pool2dDesc& d, bool countIncludePad, int B) {
  parallelFor(outputRows(d, B), grainFor(d.OW * B * d.kh * d.kw), [&](int64_t b, int64_t e) {
    CN_BLOCKED_ISA_CALL(avgRows, x, y, d, countIncludePad, B, b, e);
  });
}

void adaptiveAvgPool2dBlocked(const float* x, float* y, const Pool2dDesc& d, int B) {
  // A row of outputs reads about (H / OH + 1) input rows.
  const int64_t work = (d.H / d.OH + 1) * (d.W + d.OW) * B;
  parallelFor(outputRows(d, B), grainFor(work), [&](int64_t b, int64_t e) {
    CN_BLOCKED_ISA_CALL(adaptiveRows, x, y, d, B, b, e);
  });
}

}  // namespace convnets::cpu
