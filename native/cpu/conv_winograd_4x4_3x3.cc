// Winograd F(4×4, 3×3) (Lavin & Gray, interpolation points 0, ±1, ±2, ∞): 36 multiplies per 16
// outputs instead of 144. Larger tiles amplify rounding, hence its looser tolerance (5e-4).
#include "cpu/conv_winograd.h"

namespace convnets::cpu {
namespace {

// G (6×3):
//   [  1/4     0     0   ]
//   [ -1/6  -1/6  -1/6   ]
//   [ -1/6   1/6  -1/6   ]
//   [  1/24  1/12  1/6   ]
//   [  1/24 -1/12  1/6   ]
//   [   0     0     1    ]
// U = G g Gᵀ: G applied to each column of g, then to each row of the result.
template <class T>
CN_ALWAYS_INLINE void weight1d(const T* g, int st, T* u, int su) {
  u[0] = g[0] * (1.0f / 4);
  u[su] = (g[0] + g[st] + g[2 * st]) * (-1.0f / 6);
  u[2 * su] = (g[0] - g[st] + g[2 * st]) * (-1.0f / 6);
  u[3 * su] = g[0] * (1.0f / 24) + g[st] * (1.0f / 12) + g[2 * st] * (1.0f / 6);
  u[4 * su] = g[0] * (1.0f / 24) - g[st] * (1.0f / 12) + g[2 * st] * (1.0f / 6);
  u[5 * su] = g[2 * st];
}
// One tile (T = float, the test hook) or 16 tiles, one per vector lane (T = WinoVec, prepare).
template <class T>
CN_ALWAYS_INLINE void weightTransformBody(const T* g, T* u) {
  T t[6 * 3];
  for (int j = 0; j < 3; ++j) weight1d(g + j, 3, t + j, 3);  // columns: t = G g (6×3)
  for (int i = 0; i < 6; ++i) weight1d(t + i * 3, 1, u + i * 6, 1);  // rows: u = t Gᵀ (6×6)
}
void weightTransform(const float* g, float* u) { weightTransformBody(g, u); }
CN_ALWAYS_INLINE void weightLanesBody(const WinoVec* g, WinoVec* u) { weightTransformBody(g, u); }

// Bᵀ (6×6):
//   [ 4   0  -5   0   1   0 ]
//   [ 0  -4  -4   1   1   0 ]
//   [ 0   4  -4  -1   1   0 ]
//   [ 0  -2  -1   2   1   0 ]
//   [ 0   2  -1  -2   1   0 ]
//   [ 0   4   0  -5   0   1 ]
// V = Bᵀ d B.
CN_ALWAYS_INLINE void input1d(const WinoVec* d, int sd, WinoVec* v, int sv) {
  const WinoVec d0 = d[0], d1 = d[sd], d2 = d[2 * sd], d3 = d[3 * sd], d4 = d[4 * sd], d5 = d[5 * sd];
  v[0] = 4.0f * d0 - 5.0f * d2 + d4;
  v[sv] = -4.0f * (d1 + d2) + d3 + d4;
  v[2 * sv] = 4.0f * (d1 - d2) - d3 + d4;
  v[3 * sv] = 2.0f * (d3 - d1) - d2 + d4;
  v[4 * sv] = 2.0f * (d1 - d3) - d2 + d4;
  v[5 * sv] = 4.0f * d1 - 5.0f * d3 + d5;
}
CN_ALWAYS_INLINE void inputTransformBody(const WinoVec* d, WinoVec* v) {
  WinoVec t[36];
  for (int j = 0; j < 6; ++j) input1d(d + j, 6, t + j, 6);      // columns: t = Bᵀ d
  for (int i = 0; i < 6; ++i) input1d(t + i * 6, 1, v + i * 6, 1);  // rows: v = t B
}

// Aᵀ (4×6):
//   [ 1   1   1   1   1   0 ]
//   [ 0   1  -1   2  -2   0 ]
//   [ 0   1   1   4   4   0 ]
//   [ 0   1  -1   8  -8   1 ]
// Y = Aᵀ M A.
CN_ALWAYS_INLINE void output1d(const WinoVec* mm, int sm, WinoVec* o, int so) {
  const WinoVec a = mm[sm] + mm[2 * sm], b = mm[sm] - mm[2 * sm];
  const WinoVec c = mm[3 * sm] + mm[4 * sm], e = mm[3 * sm] - mm[4 * sm];
  o[0] = mm[0] + a + c;
  o[so] = b + 2.0f * e;
  o[2 * so] = a + 4.0f * c;
  o[3 * so] = b + 8.0f * e + mm[5 * sm];
}
CN_ALWAYS_INLINE void outputTransformBody(const WinoVec* mm, WinoVec* o) {
  WinoVec t[4 * 6];
  for (int j = 0; j < 6; ++j) output1d(mm + j, 6, t + j, 6);      // columns: t = Aᵀ M (4×6)
  for (int i = 0; i < 4; ++i) output1d(t + i * 6, 1, o + i * 4, 1);  // rows: o = t A (4×4)
}

CN_ISA_VARIANTS(weightLanes, (const WinoVec* g, WinoVec* u), (g, u))
CN_ISA_VARIANTS(inputTransform, (const WinoVec* d, WinoVec* v), (d, v))
CN_ISA_VARIANTS(outputTransform, (const WinoVec* mm, WinoVec* o), (mm, o))

std::string supports(const ConvDesc& d) { return winogradSupports(winograd4x4_3x3(), d); }
int64_t workspace(const ConvDesc& d, Isa isa) { return winogradWorkspace(winograd4x4_3x3(), d, isa); }
void prepare(const ConvDesc& d, const float* w, Isa isa, ConvPrepared& out) {
  winogradPrepare(winograd4x4_3x3(), d, w, isa, out);
}
void run(const ConvDesc& d, const ConvPrepared& w, const float* x, const float* bias, bool relu, float* y) {
  winogradRun(winograd4x4_3x3(), d, w, x, bias, relu, y);
}

}  // namespace

const WinogradVariant& winograd4x4_3x3() {
  static const WinogradVariant v{"winograd_4x4_3x3", 4, 6, weightTransform,
                                    {weightLanesGeneric, weightLanesAvx2, weightLanesAvx512},
                                    {inputTransformGeneric, inputTransformAvx2, inputTransformAvx512},
                                    {outputTransformGeneric, outputTransformAvx2, outputTransformAvx512}};
  return v;
}

ConvAlgo convWinograd4x4_3x3() { return {"winograd_4x4_3x3", supports, workspace, prepare, run, ConvCaps()}; }

}  // namespace convnets::cpu
