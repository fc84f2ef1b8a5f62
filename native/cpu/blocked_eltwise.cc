#include "cpu/blocked_eltwise.h"

#include <cstring>

#include "core/threadpool.h"
#include "cpu/blocked_vec.h"
#include "cpu/grain.h"

namespace convnets::cpu {
namespace {

using namespace blocked;

// ---- relu, add: the blocked tensor as one flat array of B-lane vectors --------------------------------

// Chunks of 16K floats (64 KB), as activation.cc: a thread's slice stays in L2.
constexpr int64_t kFlatGrain = 1 << 14;

// CV's lanes at a time whatever the block (n is a multiple of 8; compares stay register wide,
// blocked_vec.h). relu passes b = null: one operand read, no add.
template <class CV>
CN_ALWAYS_INLINE void addRangeBody(const float* a, const float* b, float* y, bool relu, int64_t s, int64_t e) {
  for (int64_t i = s; i < e; i += lanesOf<CV>()) {
    CV v = load<CV>(a + i);
    if (b) v += load<CV>(b + i);
    if (relu) v = reluOf(v);
    store(y + i, v);
  }
}
CN_BLOCKED_COMPARE_VARIANTS(addRange, (const float* a, const float* b, float* y, bool relu, int64_t s, int64_t e),
                  (a, b, y, relu, s, e))

// Over groups of 8 floats so every chunk starts on a vector.
void addOrRelu(const float* a, const float* b, float* y, int64_t n, bool relu) {
  parallelFor(n / 8, kFlatGrain / 8, [=](int64_t s, int64_t e) {
    CN_BLOCKED_ISA_CALL(addRange, a, b, y, relu, s * 8, e * 8);
  });
}

// ---- affine: one scale and one shift vector per channel block -----------------------------------------

template <int B, class CV>
CN_ALWAYS_INLINE void affineRowsT(const float* x, float* y, int64_t C, int64_t H, int64_t W, const float* scale,
                                  const float* shift, bool relu, int64_t b, int64_t e) {
  constexpr int L = lanesOf<CV>(), U = B / L;  // register-wide units of a pixel (for the relu compares)
  const int64_t CB = (C + B - 1) / B;
  for (int64_t item = b; item < e; ++item) {
    const int64_t cb = (item / H) % CB;
    // Pad lanes get scale 0 and shift 0: 0·0 + 0 keeps them 0.
    CV sc[U] = {}, sh[U] = {};
    for (int l = 0; l < B && cb * B + l < C; ++l) sc[l / L][l % L] = scale[cb * B + l], sh[l / L][l % L] = shift[cb * B + l];
    const float* xr = x + item * W * B;
    float* yr = y + item * W * B;
    for (int64_t w = 0; w < W; ++w)
      for (int u = 0; u < U; ++u) {
        CV v = load<CV>(xr + w * B + L * u) * sc[u] + sh[u];
        if (relu) v = reluOf(v);
        store(yr + w * B + L * u, v);
      }
  }
}
template <class CV>
CN_ALWAYS_INLINE void affineRowsBody(const float* x, float* y, int64_t C, int64_t H, int64_t W, const float* scale,
                                     const float* shift, bool relu, int B, int64_t b, int64_t e) {
  if (B == 16) affineRowsT<16, CV>(x, y, C, H, W, scale, shift, relu, b, e);
  else affineRowsT<8, CV>(x, y, C, H, W, scale, shift, relu, b, e);
}
CN_BLOCKED_COMPARE_VARIANTS(affineRows,
                  (const float* x, float* y, int64_t C, int64_t H, int64_t W, const float* scale, const float* shift,
                   bool relu, int B, int64_t b, int64_t e),
                  (x, y, C, H, W, scale, shift, relu, B, b, e))

// ---- cat: output blocks assembled from lane segments of the parts --------------------------------------

// The lanes [l0, l1) of an output block that come from one part: its channels c0.. sit in source block sb
// from lane s0 on, running into block sb + 1 when s0 + (l1 - l0) > B. Lane l of the output takes lane
// idx[l] of the pair (block sb, block sb + 1): one two-source shuffle per segment and pixel (a vpermt2ps on
// AVX-512), masked to the segment's lanes and or-ed into the output vector.
template <int B>
struct Segment {
  const float* src;  // block sb of the part for image n, row h, pixel 0
  bool next;         // also reads block sb + 1 (planeFloats further on)
  typename Lanes<B>::I idx, mask;
};

// Fills seg with the segments of output block ob for image n, row h; returns their count (at most B: each
// holds at least one lane). Also says whether the block is one whole source block copied as is.
template <int B>
CN_ALWAYS_INLINE int segmentsOf(const float* const* parts, const int64_t* channels, int64_t nParts, int64_t ob,
                                int64_t n, int64_t h, int64_t H, int64_t W, Segment<B>* seg, bool* whole) {
  const int64_t g0 = ob * B;
  int count = 0;
  *whole = false;
  for (int64_t i = 0, off = 0; i < nParts && off < g0 + B; off += channels[i], ++i) {
    const int64_t lo = g0 > off ? g0 : off, hi = g0 + B < off + channels[i] ? g0 + B : off + channels[i];
    if (lo >= hi) continue;
    const int64_t c0 = lo - off, sb = c0 / B, s0 = c0 % B, l0 = lo - g0, l1 = hi - g0;
    const int64_t blocks = (channels[i] + B - 1) / B;
    Segment<B>& s = seg[count++];
    s.src = parts[i] + ((n * blocks + sb) * H + h) * W * B;
    s.next = s0 + (l1 - l0) > B;
    for (int l = 0; l < B; ++l) {
      const bool in = l >= l0 && l < l1;
      s.idx[l] = in ? int32_t(s0 + l - l0) : 0;
      s.mask[l] = in ? -1 : 0;
    }
    // Lanes from 0 of an aligned source block: lanes past l1 are then the part's pad lanes (0) and, when
    // this is the block's only segment, the output's pad lanes too.
    *whole = count == 1 && l0 == 0 && s0 == 0;
  }
  return count;
}

template <int B>
CN_ALWAYS_INLINE void catRowsT(const float* const* parts, const int64_t* channels, int64_t nParts, float* y,
                               int64_t OCB, int64_t H, int64_t W, int64_t b, int64_t e) {
  using V = typename Lanes<B>::F;
  using I = typename Lanes<B>::I;
  const int64_t planeFloats = H * W * B;
  Segment<B> seg[B];
  for (int64_t item = b; item < e; ++item) {
    const int64_t h = item % H, ob = (item / H) % OCB, n = item / H / OCB;
    float* yr = y + item * W * B;
    bool whole = false;
    const int count = segmentsOf<B>(parts, channels, nParts, ob, n, h, H, W, seg, &whole);
    // One segment filling the block from lane 0 of an aligned source block: the source row is the output
    // row (its pad lanes, if any, are 0 and so are the output's). DenseNet's concatenations are all this.
    if (count == 1 && whole) {
      std::memcpy(yr, seg[0].src, size_t(W * B) * sizeof(float));
      continue;
    }
    for (int64_t w = 0; w < W; ++w) {
      V out{};
      for (int k = 0; k < count; ++k) {
        const V a = load<V>(seg[k].src + w * B);
        const V nb = seg[k].next ? load<V>(seg[k].src + planeFloats + w * B) : V{};
        // Segments own disjoint lanes: masking and or-ing needs no compare (blocked_vec.h).
        out = (V)(((I)__builtin_shuffle(a, nb, seg[k].idx) & seg[k].mask) | (I)out);
      }
      store(yr + w * B, out);
    }
  }
}
CN_ALWAYS_INLINE void catRowsBody(const float* const* parts, const int64_t* channels, int64_t nParts, float* y,
                                  int64_t OCB, int64_t H, int64_t W, int B, int64_t b, int64_t e) {
  if (B == 16) catRowsT<16>(parts, channels, nParts, y, OCB, H, W, b, e);
  else catRowsT<8>(parts, channels, nParts, y, OCB, H, W, b, e);
}
CN_ISA_VARIANTS(catRows,
                (const float* const* parts, const int64_t* channels, int64_t nParts, float* y, int64_t OCB, int64_t H,
                 int64_t W, int B, int64_t b, int64_t e),
                (parts, channels, nParts, y, OCB, H, W, B, b, e))

}  // namespace

void reluBlocked(const float* x, float* y, int64_t n) { addOrRelu(x, nullptr, y, n, true); }

void addBlocked(const float* a, const float* b, float* y, int64_t n, bool relu) { addOrRelu(a, b, y, n, relu); }

// Rows of (image, block): one scale/shift vector per row, built from the per-channel arrays.
void affineBlocked(const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W, const float* scale,
                   const float* shift, bool relu, int B) {
  const int64_t rows = N * ((C + B - 1) / B) * H;
  parallelFor(rows, grainFor(W * B), [&](int64_t b, int64_t e) {
    CN_BLOCKED_ISA_CALL(affineRows, x, y, C, H, W, scale, shift, relu, B, b, e);
  });
}

void catBlocked(const float* const* parts, const int64_t* channels, int64_t nParts, float* y, int64_t N, int64_t H,
                int64_t W, int B) {
  int64_t C = 0;
  for (int64_t i = 0; i < nParts; ++i) C += channels[i];
  const int64_t OCB = (C + B - 1) / B;
  parallelFor(N * OCB * H, grainFor(W * B), [&](int64_t b, int64_t e) {
    CN_BLOCKED_ISA_CALL(catRows, parts, channels, nParts, y, OCB, H, W, B, b, e);
  });
}

}  // namespace convnets::cpu
