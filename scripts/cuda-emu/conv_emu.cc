// The CUDA registry's convolution kernels (native/cuda/conv_{implicit_gemm,im2col,gemm_1x1,winograd}.cu)
// under emulation (emu.h: one std::thread per CUDA thread) against a float64 direct convolution: the
// implicit-GEMM kernel whole; im2col columns and the 1×1 subsampling against their definitions; Winograd's
// weight, input and output transforms with the α² GEMMs done here in float64 with the strides
// conv_winograd.cu passes to groupedGemm. Awkward shapes: odd sizes, groups, stride/padding/dilation,
// asymmetric 'same', partial tiles, several m/q tiles. Built and run by scripts/cuda-emu/run-conv.sh.
#include "emu.h"

struct Conv2d {
  int64_t N = 0, C = 0, H = 0, W = 0, K = 0, R = 1, S = 1, OH = 0, OW = 0;
  int64_t strideH = 1, strideW = 1, padTop = 0, padLeft = 0, dilH = 1, dilW = 1, groups = 1;
};
constexpr int64_t kMaxGridYZ = 65535;
#include "conv.inc"

using Vec = std::vector<float>;

std::vector<double> reference(const Conv2d& p, const Vec& x, const Vec& w, const Vec* bias, bool relu) {
  const int64_t Cg = p.C / p.groups, Kg = p.K / p.groups;
  std::vector<double> y(p.N * p.K * p.OH * p.OW);
  for (int64_t n = 0; n < p.N; ++n)
    for (int64_t k = 0; k < p.K; ++k)
      for (int64_t oh = 0; oh < p.OH; ++oh)
        for (int64_t ow = 0; ow < p.OW; ++ow) {
          double acc = bias ? (*bias)[k] : 0.0;
          const int64_t g = k / Kg;
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t r = 0; r < p.R; ++r)
              for (int64_t s = 0; s < p.S; ++s) {
                const int64_t h = oh * p.strideH - p.padTop + r * p.dilH, ww = ow * p.strideW - p.padLeft + s * p.dilW;
                if (h < 0 || h >= p.H || ww < 0 || ww >= p.W) continue;
                acc += double(x[((n * p.C + g * Cg + c) * p.H + h) * p.W + ww]) * w[((k * Cg + c) * p.R + r) * p.S + s];
              }
          y[((n * p.K + k) * p.OH + oh) * p.OW + ow] = relu ? std::max(acc, 0.0) : acc;
        }
  return y;
}

int fails = 0;
void check(const char* what, const Conv2d& p, const Vec& got, const std::vector<double>& want, double tol) {
  double num = 0, den = 0;
  int nans = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(got[i])) ++nans;
    num += (got[i] - want[i]) * (got[i] - want[i]);
    den += want[i] * want[i];
  }
  const double err = std::sqrt(num / (den ? den : 1));
  const bool ok = err <= tol && !nans;
  fails += !ok;
  printf("%-26s N%ld C%ld %ldx%ld K%ld %ldx%ld s%ldx%ld p%ldx%ld d%ldx%ld g%ld -> %ldx%ld: relerr %.2e nan %d %s\n", what,
         p.N, p.C, p.H, p.W, p.K, p.R, p.S, p.strideH, p.strideW, p.padTop, p.padLeft, p.dilH, p.dilW, p.groups, p.OH,
         p.OW, err, nans, ok ? "OK" : "FAIL");
}

Conv2d shape(int64_t N, int64_t C, int64_t H, int64_t W, int64_t K, int64_t R, int64_t S, int64_t sh, int64_t sw,
             int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t g, int64_t padBottom = -1, int64_t padRight = -1) {
  Conv2d p{N, C, H, W, K, R, S, 0, 0, sh, sw, ph, pw, dh, dw, g};
  padBottom = padBottom < 0 ? ph : padBottom;
  padRight = padRight < 0 ? pw : padRight;
  p.OH = (H + ph + padBottom - (dh * (R - 1) + 1)) / sh + 1;
  p.OW = (W + pw + padRight - (dw * (S - 1) + 1)) / sw + 1;
  return p;
}

void implicitGemm(const Conv2d& p, const Vec& x, const Vec& w, const Vec& b, bool relu) {
  using namespace k_conv_implicit_gemm;
  Vec y(p.N * p.K * p.OH * p.OW, NAN);
  const int64_t Kg = p.K / p.groups, NP = p.N * p.OH * p.OW;
  const dim3 grid{unsigned((NP + BQ - 1) / BQ), unsigned((Kg + BM - 1) / BM), unsigned(p.groups)};
  const float* xp = x.data(); const float* wp = w.data(); const float* bp = b.data(); float* yp = y.data();
  launch(grid, kIgThreads, [=] { implicitGemmKernel(xp, wp, bp, yp, p, relu, 0); });
  check("implicit_gemm", p, y, reference(p, x, w, &b, relu), 1e-5);
}

// im2col's columns for images [n0, n0 + nb) against the definition.
void im2col(const Conv2d& p, const Vec& x, int64_t n0, int64_t nb) {
  const int64_t P = p.OH * p.OW, CRS = p.C * p.R * p.S, total = nb * CRS * P;
  Vec col(total, NAN);
  const float* xp = x.data(); float* cp = col.data();
  launch(dim3{3, 1, 1}, 64, [=] { k_conv_im2col::im2colKernel(xp, cp, p, n0, total); });
  std::vector<double> want(total);
  for (int64_t img = 0; img < nb; ++img)
    for (int64_t c = 0; c < p.C; ++c)
      for (int64_t r = 0; r < p.R; ++r)
        for (int64_t s = 0; s < p.S; ++s)
          for (int64_t oh = 0; oh < p.OH; ++oh)
            for (int64_t ow = 0; ow < p.OW; ++ow) {
              const int64_t h = oh * p.strideH - p.padTop + r * p.dilH, ww = ow * p.strideW - p.padLeft + s * p.dilW;
              const bool in = h >= 0 && h < p.H && ww >= 0 && ww < p.W;
              want[((img * p.C + c) * p.R * p.S + r * p.S + s) * P + oh * p.OW + ow] =
                  in ? x[(((n0 + img) * p.C + c) * p.H + h) * p.W + ww] : 0.0;
            }
  check("im2col columns", p, col, want, 0);
}

void subsample(const Conv2d& p, const Vec& x, int64_t n0, int64_t nb) {
  const int64_t P = p.OH * p.OW, total = nb * p.C * P;
  Vec out(total, NAN);
  const float* xp = x.data(); float* op = out.data();
  launch(dim3{2, 1, 1}, 64, [=] { k_conv_gemm_1x1::subsampleKernel(xp, op, p, n0, total); });
  std::vector<double> want(total);
  for (int64_t i = 0; i < nb * p.C; ++i)
    for (int64_t oh = 0; oh < p.OH; ++oh)
      for (int64_t ow = 0; ow < p.OW; ++ow)
        want[i * P + oh * p.OW + ow] = x[((n0 * p.C + i) * p.H + oh * p.strideH) * p.W + ow * p.strideW];
  check("1x1 subsample", p, out, want, 0);
}

template <int M>
void winograd(const Conv2d& p, const Vec& x, const Vec& w, const Vec& b, bool relu, int64_t chunk) {
  using namespace k_conv_winograd;
  constexpr int A = M + 2;
  const int64_t Cg = p.C / p.groups, Kg = p.K / p.groups;
  Vec u(A * A * p.K * Cg, NAN), y(p.N * p.K * p.OH * p.OW, NAN);
  const float* wp = w.data(); float* up = u.data();
  const int64_t K = p.K;
  launch(dim3{2, 1, 1}, 64, [=] { winogradWeightKernel<M>(wp, up, K, Cg); });
  const int64_t tilesW = (p.OW + M - 1) / M, tpi = ((p.OH + M - 1) / M) * tilesW;
  for (int64_t n0 = 0; n0 < p.N; n0 += chunk) {
    const int64_t nb = std::min(chunk, p.N - n0), tiles = nb * tpi;
    Vec v(A * A * p.C * tiles, NAN), mm(A * A * p.K * tiles, NAN);
    const float* xp = x.data(); float* vp = v.data();
    launch(dim3{3, 1, 1}, 64, [=] { winogradInputKernel<M>(xp, vp, p, n0, nb, tilesW, tpi); });
    // The GEMMs conv_winograd.cu asks groupedGemm for: M[e, g·Kg + m, t] = Σ_c U[e, g·Kg + m, c] · V[e, g·Cg + c, t].
    for (int64_t e = 0; e < A * A; ++e)
      for (int64_t g = 0; g < p.groups; ++g)
        for (int64_t m = 0; m < Kg; ++m)
          for (int64_t t = 0; t < tiles; ++t) {
            double acc = 0;
            for (int64_t c = 0; c < Cg; ++c)
              acc += double(u[e * p.K * Cg + g * Kg * Cg + m * Cg + c]) * v[e * p.C * tiles + g * Cg * tiles + c * tiles + t];
            mm[e * p.K * tiles + g * Kg * tiles + m * tiles + t] = float(acc);
          }
    const float* mp = mm.data(); const float* bp = b.data(); float* yp = y.data();
    launch(dim3{3, 1, 1}, 64, [=] { winogradOutputKernel<M>(mp, bp, yp, p, relu, n0, nb, tilesW, tpi); });
  }
  check(M == 2 ? "winograd_2x2_3x3" : "winograd_4x4_3x3", p, y, reference(p, x, w, &b, relu), M == 2 ? 1e-5 : 5e-5);
}

int main() {
  const Conv2d shapes[] = {
      shape(3, 5, 9, 11, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1),
      shape(2, 33, 15, 17, 70, 3, 3, 1, 1, 1, 1, 1, 1, 1),   // 2 m-tiles, partial Winograd tiles
      shape(2, 8, 11, 9, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2),      // groups
      shape(3, 12, 9, 9, 12, 3, 3, 1, 1, 1, 1, 1, 1, 12),    // depthwise
      shape(2, 6, 13, 7, 9, 5, 3, 2, 3, 2, 1, 1, 2, 3),      // stride, padding, dilation, groups
      shape(1, 4, 8, 8, 5, 2, 2, 1, 1, 0, 0, 1, 1, 1, 1, 1), // 'same' with an even kernel (pad bottom/right)
      shape(1, 130, 12, 12, 65, 3, 3, 2, 2, 1, 1, 1, 1, 1),  // deep K, strided
      shape(3, 17, 10, 13, 19, 1, 1, 2, 2, 0, 0, 1, 1, 1),   // strided 1×1
  };
  uint64_t seed = 1;
  for (const Conv2d& p : shapes) {
    gen.seed(seed++);
    const Vec x = rnd(p.N * p.C * p.H * p.W), w = rnd(p.K * (p.C / p.groups) * p.R * p.S, -0.5f, 0.5f), b = rnd(p.K);
    implicitGemm(p, x, w, b, seed % 2 == 0);
    im2col(p, x, 0, p.N);
    if (p.N > 1) im2col(p, x, 1, p.N - 1);
    if (p.R == 1 && p.S == 1) subsample(p, x, p.N > 1 ? 1 : 0, p.N > 1 ? p.N - 1 : 1);
    if (p.R == 3 && p.S == 3 && p.strideH == 1 && p.strideW == 1 && p.dilH == 1 && p.dilW == 1) {
      for (int64_t chunk : {int64_t(1), p.N}) {
        winograd<2>(p, x, w, b, true, chunk);
        winograd<4>(p, x, w, b, false, chunk);
      }
    }
  }
  printf("%d failures\n", fails);
  return fails ? 1 : 0;
}
