// Winograd F(2×2, 3×3) (Lavin & Gray): 16 multiplies per 4 outputs instead of 36; small tiles keep
// rounding close to direct convolution (tolerance 1e-4).
#include "cpu/conv_winograd.h"

namespace convnets::cpu {
namespace {

// G (4×3):
//   [  1     0     0   ]
//   [ 1/2   1/2   1/2  ]
//   [ 1/2  -1/2   1/2  ]
//   [  0     0     1   ]
// U = G g Gᵀ.
template <class T>
CN_ALWAYS_INLINE void weight1d(const T* g, int st, T* u, int su) {
  u[0] = g[0];
  u[su] = (g[0] + g[st] + g[2 * st]) * 0.5f;
  u[2 * su] = (g[0] - g[st] + g[2 * st]) * 0.5f;
  u[3 * su] = g[2 * st];
}
// One tile (T = float, the test hook) or 16 tiles, one per vector lane (T = WinoVec, prepare).
template <class T>
CN_ALWAYS_INLINE void weightTransformBody(const T* g, T* u) {
  T t[4 * 3];
  for (int j = 0; j < 3; ++j) weight1d(g + j, 3, t + j, 3);
  for (int i = 0; i < 4; ++i) weight1d(t + i * 3, 1, u + i * 4, 1);
}
void weightTransform(const float* g, float* u) { weightTransformBody(g, u); }
CN_ALWAYS_INLINE void weightLanesBody(const WinoVec* g, WinoVec* u) { weightTransformBody(g, u); }

// Bᵀ (4×4):
//   [ 1   0  -1   0 ]
//   [ 0   1   1   0 ]
//   [ 0  -1   1   0 ]
//   [ 0   1   0  -1 ]
// V = Bᵀ d B.
CN_ALWAYS_INLINE void input1d(const WinoVec* d, int sd, WinoVec* v, int sv) {
  v[0] = d[0] - d[2 * sd];
  v[sv] = d[sd] + d[2 * sd];
  v[2 * sv] = d[2 * sd] - d[sd];
  v[3 * sv] = d[sd] - d[3 * sd];
}
CN_ALWAYS_INLINE void inputTransformBody(const WinoVec* d, WinoVec* v) {
  WinoVec t[16];
  for (int j = 0; j < 4; ++j) input1d(d + j, 4, t + j, 4);
  for (int i = 0; i < 4; ++i) input1d(t + i * 4, 1, v + i * 4, 1);
}

// Aᵀ (2×4):
//   [ 1   1   1   0 ]
//   [ 0   1  -1  -1 ]
// Y = Aᵀ M A.
CN_ALWAYS_INLINE void output1d(const WinoVec* mm, int sm, WinoVec* o, int so) {
  o[0] = mm[0] + mm[sm] + mm[2 * sm];
  o[so] = mm[sm] - mm[2 * sm] - mm[3 * sm];
}
CN_ALWAYS_INLINE void outputTransformBody(const WinoVec* mm, WinoVec* o) {
  WinoVec t[2 * 4];
  for (int j = 0; j < 4; ++j) output1d(mm + j, 4, t + j, 4);
  for (int i = 0; i < 2; ++i) output1d(t + i * 4, 1, o + i * 2, 1);
}

CN_ISA_VARIANTS(weightLanes, (const WinoVec* g, WinoVec* u), (g, u))
CN_ISA_VARIANTS(inputTransform, (const WinoVec* d, WinoVec* v), (d, v))
CN_ISA_VARIANTS(outputTransform, (const WinoVec* mm, WinoVec* o), (mm, o))

std::string supports(const ConvDesc& d) { return winogradSupports(winograd2x2_3x3(), d); }
int64_t workspace(const ConvDesc& d, Isa isa) { return winogradWorkspace(winograd2x2_3x3(), d, isa); }
void prepare(const ConvDesc& d, const float* w, Isa isa, ConvPrepared& out) {
  winogradPrepare(winograd2x2_3x3(), d, w, isa, out);
}
void run(const ConvDesc& d, const ConvPrepared& w, const float* x, const float* bias, bool relu, float* y) {
  winogradRun(winograd2x2_3x3(), d, w, x, bias, relu, y);
}

}  // namespace

const WinogradVariant& winograd2x2_3x3() {
  static const WinogradVariant v{"winograd_2x2_3x3", 2, 4, weightTransform,
                                    {weightLanesGeneric, weightLanesAvx2, weightLanesAvx512},
                                    {inputTransformGeneric, inputTransformAvx2, inputTransformAvx512},
                                    {outputTransformGeneric, outputTransformAvx2, outputTransformAvx512}};
  return v;
}

ConvAlgo convWinograd2x2_3x3() { return {"winograd_2x2_3x3", supports, workspace, prepare, run, ConvCaps()}; }

}  // namespace convnets::cpu
