// The Winograd F(m×m, 3×3) engine shared by winograd_2x2_3x3 and winograd_4x4_3x3. Each variant
// supplies its three transforms (in its own file, each matrix written above its code); the engine
// does the tiling, writes the input transform straight into the packed GEMM B operand, runs α²
// independent GEMMs (one per transform-domain element ξ) and fuses bias + ReLU into the output
// transform. Transforms work on kLanes tiles at once (one vector lane per tile).
#pragma once
#include "cpu/conv_algos.h"
#include "cpu/isa_variants.h"

namespace convnets::cpu {

constexpr int kWinoLanes = 16;
typedef float WinoVec __attribute__((vector_size(64)));  // 16 lanes (GCC vector extension)

struct WinogradVariant {
  const char* name;
  int m;      // output tile size
  int alpha;  // input tile size m + 2
  // g: 3×3 row-major → u: α×α row-major (U = G g Gᵀ), one tile.
  void (*weight)(const float* g, float* u);
  // The same on 16 tiles at once, one per lane (g[t], t < 9 → u[ξ]). One per Isa (generic, avx2, avx512).
  void (*weightLanes[3])(const WinoVec* g, WinoVec* u);
  // d: α×α tiles (d[i·α + j], lanes = tiles) → v: α×α (V = Bᵀ d B). One per Isa (generic, avx2, avx512).
  void (*input[3])(const WinoVec* d, WinoVec* v);
  // mm: α×α → o: m×m (Y = Aᵀ M A).
  void (*output[3])(const WinoVec* mm, WinoVec* o);
};

// A run of consecutive lanes [l0, l1) whose tiles are consecutive along one tile row; the first one's
// top-left input element is at plane[base] in the zero-padded plane (base < 0: lanes past the last tile).
struct WinoSegment {
  int l0, l1;
  int64_t base;
  // The same tiles in the output: the first one's top-left at yPlane[outBase], its row and column.
  int64_t outBase, oh0, ow0;
};
// Gathers 16 tiles (lanes) of one channel's padded plane (row stride PW) into dt[ξ·16 + lane]. The padded
// rows must extend m floats past the last tile's start + m (the B stretch reads whole m-float groups).
using WinoGatherFn = void (*)(const float* plane, int64_t PW, const WinoSegment* seg, int nseg, float* dt);
WinoGatherFn winogradGatherAvx512(int alpha);  // winograd_gather_avx512.cc
// Writes the m×m output tiles of 16 lanes (ot[i·m + j], bias and ReLU applied) to their places in one
// output channel (yPlane, OH×OW), cropped at the bottom and right edges.
using WinoScatterFn = void (*)(const WinoVec* ot, float* yPlane, int64_t OH, int64_t OW, const WinoSegment* seg, int nseg);
WinoScatterFn winogradScatterAvx512(int m);
// Writes the m×m output tiles of 16 lanes for all 16 channels of one block of a blocked (B = 16) output:
// ot[c·16 + i·m + j] (c < 16, lanes = tiles; bias applied, ReLU too unless residual); pixel (i, j) of lane l goes
// to y + pix[l] + i·rowStride + j·16 (one vector: the 16 channels), cropped to hn[l] × wn[l]. residual (null, or
// read at the same offsets) is added, then ReLU when relu.
using WinoBlockedStoreFn = void (*)(const WinoVec* ot, int lanes, const int64_t* pix, const int* hn, const int* wn,
                                    int64_t rowStride, float* y, const float* residual, bool relu);
WinoBlockedStoreFn winogradBlockedStoreAvx512(int m);
// The input side: n pixels of one row of a blocked (B = 16) channel block (pixel p's 16 channels at
// src[p·16]) into `channels` ≤ 16 plane rows dst + c·planeStride (n floats each).
using WinoUnblockFn = void (*)(const float* src, int64_t n, float* dst, int64_t planeStride, int channels);
WinoUnblockFn winogradUnblockAvx512();

// Where winogradRun reads its input and writes its output. The default is the registry's NCHW → NCHW. A
// channel-blocked (NCHWc, dispatch/ops_blocked.h) input or output has block inBlock / outBlock (8 or 16;
// groups 1): channel c of pixel (h, w) at [n][c / B][h][w][c % B]. Only the copy of the input into the
// zero-padded planes and the store of the output tiles change: tiling, transforms and GEMMs are the same, so
// a compiled blocked plan runs the layer without reordering around it (two copies).
struct WinoIO {
  int inBlock = 0;   // 0: NCHW input
  int outBlock = 0;  // 0: NCHW output; else its pad lanes (channels K.. of the last block) are written 0
  // Added before the ReLU, in the output's layout (ResNet's conv + identity + ReLU); may not alias y.
  const float* residual = nullptr;
  // A blocked input read from parts (part i: channels[i] channels, every count but the last a multiple of
  // inBlock) instead of x: a channel concatenation read in place. count 0: x.
  const float* const* parts = nullptr;
  const int64_t* channels = nullptr;
  int count = 0;
  // x·scale[c] + shift[c] (then ReLU) on every real input element before padding (padding stays 0).
  const InputAffine* affine = nullptr;
};

std::string winogradSupports(const WinogradVariant& v, const ConvDesc& d);
int64_t winogradWorkspace(const WinogradVariant& v, const ConvDesc& d, Isa isa);
void winogradPrepare(const WinogradVariant& v, const ConvDesc& d, const float* weight, Isa isa, ConvPrepared& out);
void winogradRun(const WinogradVariant& v, const ConvDesc& d, const ConvPrepared& w, const float* x, const float* bias,
                 bool relu, float* y, const WinoIO& io = WinoIO());

const WinogradVariant& winograd2x2_3x3();
const WinogradVariant& winograd4x4_3x3();
// Test hook: applies one transform ('weight' | 'input' | 'output') of a variant to `count` tiles laid
// out one after another; returns the transformed tiles.
std::vector<float> winogradTransform(const std::string& variant, const std::string& which, const std::vector<float>& in);

}  // namespace convnets::cpu
