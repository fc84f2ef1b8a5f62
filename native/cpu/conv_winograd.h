// The Winograd F(m×m, 3×3) engine shared by winograd_2x2_3x3 and winograd_4x4_3x3. Each variant
// supplies its three transforms (in its own file, each matrix written above its code); the engine
// does the tiling, writes the input transform straight into the packed GEMM B operand, runs α²
// independent GEMMs (one per transform-domain element ξ) and fuses bias + ReLU into the output
// transform. Transforms work on kLanes tiles at once (one vector lane per tile).
#pragma once
#include "cpu/conv_algos.h"

namespace convnets::cpu {

constexpr int kWinoLanes = 16;
// The 16-lane transforms are compiled for AVX-512, AVX2 and baseline x86-64 (GCC function multi-
// versioning; the loader picks the best clone the CPU runs, so the binary stays portable). Vector-
// extension code compiled without flags would run as 4-wide SSE.
#define CN_WINO_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
typedef float WinoVec __attribute__((vector_size(64)));  // 16 lanes (GCC vector extension)

struct WinogradVariant {
  const char* name;
  int m;      // output tile size
  int alpha;  // input tile size m + 2
  // g: 3×3 row-major → u: α×α row-major (U = G g Gᵀ), one tile.
  void (*weight)(const float* g, float* u);
  // d: α×α tiles (d[i·α + j], lanes = tiles) → v: α×α (V = Bᵀ d B).
  void (*input)(const WinoVec* d, WinoVec* v);
  // mm: α×α → o: m×m (Y = Aᵀ M A).
  void (*output)(const WinoVec* mm, WinoVec* o);
};

std::string winogradSupports(const WinogradVariant& v, const ConvDesc& d);
int64_t winogradWorkspace(const WinogradVariant& v, const ConvDesc& d, Isa isa);
void winogradPrepare(const WinogradVariant& v, const ConvDesc& d, const float* weight, Isa isa, ConvPrepared& out);
void winogradRun(const WinogradVariant& v, const ConvDesc& d, const ConvPrepared& w, const float* x, const float* bias,
                 bool relu, float* y);

const WinogradVariant& winograd2x2_3x3();
const WinogradVariant& winograd4x4_3x3();
// Test hook: applies one transform ('weight' | 'input' | 'output') of a variant to `count` tiles laid
// out one after another; returns the transformed tiles.
std::vector<float> winogradTransform(const std::string& variant, const std::string& which, const std::vector<float>& in);

}  // namespace convnets::cpu
