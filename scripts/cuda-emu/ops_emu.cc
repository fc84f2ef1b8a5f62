// The other kernels (pool, softmax, LRN, batch norm, concat, direct conv, elementwise) under emulation,
// against the CPU kernels of native/cpu (linked in) or a float64 reference, on awkward shapes.
#include "core/pool_desc.h"
#include "cpu/concat.h"
#include "cpu/lrn.h"
#include "cpu/pool.h"
#include "cpu/softmax.h"
using namespace convnets;
#include "emu.h"
struct Conv2d {  // as in native/cuda/kernels.h
  int64_t N = 0, C = 0, H = 0, W = 0, K = 0, R = 1, S = 1, OH = 0, OW = 0;
  int64_t strideH = 1, strideW = 1, padTop = 0, padLeft = 0, dilH = 1, dilW = 1, groups = 1;
};
#include "ops.inc"

int fails = 0;
void cmp(const char* what, const std::vector<float>& got, const std::vector<float>& ref, double tol = 1e-5) {
  double num = 0, den = 0; int nan = 0;
  for (size_t i = 0; i < ref.size(); ++i) { if (std::isnan(got[i]) != std::isnan(ref[i])) ++nan; else if (!std::isnan(ref[i])) { num += (got[i]-ref[i])*(got[i]-ref[i]); den += double(ref[i])*ref[i]; } }
  double e = std::sqrt(num / (den ? den : 1));
  bool ok = e <= tol && !nan;
  fails += !ok;
  printf("%-50s relerr %.2e nanmismatch %d %s\n", what, e, nan, ok ? "OK" : "FAIL");
}

void pool(int64_t N, int64_t C, int64_t H, int64_t W, int64_t k0, int64_t k1, int64_t s0, int64_t s1, int64_t p0, int64_t p1, int64_t d0, int64_t d1, bool ceil) {
  auto out = [&](int64_t in, int64_t k, int64_t s, int64_t p, int64_t d) {
    int64_t num = in + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0);
    int64_t o = (num >= 0 ? num / s : -((-num + s - 1) / s)) + 1;
    if (ceil && (o - 1) * s >= in + p) --o;
    return o;
  };
  Pool2dDesc d; d.N = N; d.C = C; d.H = H; d.W = W; d.kh = k0; d.kw = k1; d.sh = s0; d.sw = s1; d.ph = p0; d.pw = p1; d.dh = d0; d.dw = d1;
  d.OH = out(H, k0, s0, p0, d0); d.OW = out(W, k1, s1, p1, d1);
  auto x = rnd(N * C * H * W);
  int64_t total = N * C * d.OH * d.OW;
  std::vector<float> y(total, NAN), r(total);
  launch(dim3{3, 1, 1}, 256, [&] { k_pool::maxPoolKernel<int32_t>(x.data(), y.data(), d, total); });
  cpu::maxPool2d(x.data(), r.data(), d);
  char buf[200]; snprintf(buf, 200, "maxPool %ldx%ld k%ld,%ld s%ld,%ld p%ld,%ld d%ld,%ld c%d", H, W, k0, k1, s0, s1, p0, p1, d0, d1, ceil);
  cmp(buf, y, r, 0);
  std::fill(y.begin(), y.end(), NAN);
  launch(dim3{3, 1, 1}, 256, [&] { k_pool::maxPoolKernel<int64_t>(x.data(), y.data(), d, total); });
  cmp((std::string(buf) + " int64").c_str(), y, r, 0);
  if (d0 == 1 && d1 == 1) for (int cip = 0; cip < 2; ++cip) {
    std::fill(y.begin(), y.end(), NAN);
    launch(dim3{2, 1, 1}, 256, [&] { k_pool::avgPoolKernel<int32_t>(x.data(), y.data(), d, cip, total); });
    cpu::avgPool2d(x.data(), r.data(), d, cip);
    snprintf(buf, 200, "avgPool %ldx%ld k%ld,%ld s%ld,%ld p%ld,%ld c%d cip%d", H, W, k0, k1, s0, s1, p0, p1, ceil, cip);
    cmp(buf, y, r);
  }
}

int main() {
  pool(3, 5, 13, 11, 3, 3, 2, 2, 0, 0, 1, 1, false);
  pool(3, 5, 14, 9, 3, 3, 2, 2, 1, 1, 1, 1, true);
  pool(2, 3, 11, 12, 3, 2, 1, 2, 1, 1, 2, 3, false);
  pool(3, 4, 10, 13, 3, 3, 2, 2, 1, 1, 1, 1, true);
  pool(2, 3, 9, 7, 2, 3, 2, 1, 0, 0, 1, 1, true);
  { // adaptive
    int64_t P = 7, H = 7, W = 11, OH = 3, OW = 5;
    auto x = rnd(P * H * W); std::vector<float> y(P * OH * OW, NAN), r(P * OH * OW);
    launch(dim3{1, 1, 1}, 256, [&] { k_pool::adaptiveAvgPoolKernel(x.data(), y.data(), H, W, OH, OW, P * OH * OW); });
    cpu::adaptiveAvgPool2d(x.data(), r.data(), P, H, W, OH, OW); cmp("adaptive 7x11->3x5", y, r);
    OH = 9; OW = 13; y.assign(P * OH * OW, NAN); r.resize(P * OH * OW);
    launch(dim3{2, 1, 1}, 256, [&] { k_pool::adaptiveAvgPoolKernel(x.data(), y.data(), H, W, OH, OW, P * OH * OW); });
    cpu::adaptiveAvgPool2d(x.data(), r.data(), P, H, W, OH, OW); cmp("adaptive 7x11->9x13", y, r);
  }
  for (auto [outer, D, inner] : std::vector<std::array<int64_t, 3>>{{3, 1000, 1}, {7, 33, 1}, {2, 5, 21}, {5, 3, 1}, {1, 3, 4}}) {
    for (int log = 0; log < 2; ++log) {
      auto x = rnd(outer * D * inner, -4, 4); std::vector<float> y(x.size(), NAN), r(x.size());
      if (inner == 1) launch(dim3{2, 1, 1}, 256, [&] { k_softmax::softmaxRowKernel(x.data(), y.data(), outer, D, log); });
      else launch(dim3{1, 1, 1}, 256, [&] { k_softmax::softmaxStridedKernel(x.data(), y.data(), outer, D, inner, log); });
      cpu::softmax(x.data(), r.data(), outer, D, inner, log);
      char buf[100]; snprintf(buf, 100, "softmax %ld,%ld,%ld log%d", outer, D, inner, log); cmp(buf, y, r);
    }
  }
  for (auto [C, size] : std::vector<std::array<int64_t, 2>>{{7, 5}, {9, 4}, {3, 5}}) {
    int64_t N = 3, HW = 30; auto x = rnd(N * C * HW, -3, 3); std::vector<float> y(x.size(), NAN), r(x.size());
    float alpha = 1e-2f, beta = 0.75f, k = 2.f; if (size == 4) { alpha = 0.1f; beta = 0.6f; k = 1.f; }
    launch(dim3{2, 1, 1}, 256, [&] { k_lrn::lrnKernel(x.data(), y.data(), C, HW, size, alpha / float(size), beta, k, N * C * HW); });
    cpu::localResponseNorm(x.data(), r.data(), N, C, HW, size, alpha, beta, k);
    char buf[100]; snprintf(buf, 100, "lrn C%ld size%ld", C, size); cmp(buf, y, r);
  }
  { // batch norm vs double reference
    int64_t N = 3, C = 13, HW = 35; auto x = rnd(N * C * HW), m = rnd(C), v = rnd(C, 0.5, 1.5), w = rnd(C), b = rnd(C);
    std::vector<float> y(x.size(), NAN), r(x.size());
    launch(dim3{1, 5, 1}, 256, [&] { k_norm::batchNormKernel<false>(x.data(), y.data(), C, HW, N * C, m.data(), v.data(), w.data(), b.data(), 1e-3f, true); });
    for (int64_t i = 0; i < N * C * HW; ++i) { int64_t c = (i / HW) % C; double t = (x[i] - m[c]) / std::sqrt(double(v[c]) + 1e-3) * w[c] + b[c]; r[i] = float(t > 0 ? t : 0); }
    cmp("batchnorm relu (grid.y 5 < planes 39)", y, r);
  }
  { // batch norm, float4 planes (HW % 4 == 0)
    int64_t N = 2, C = 7, HW = 36; auto x = rnd(N * C * HW), m = rnd(C), v = rnd(C, 0.5, 1.5), w = rnd(C), b = rnd(C);
    std::vector<float> y(x.size(), NAN), r(x.size());
    launch(dim3{1, 5, 1}, 256, [&] { k_norm::batchNormKernel<true>(x.data(), y.data(), C, HW, N * C, m.data(), v.data(), w.data(), b.data(), 1e-3f, true); });
    for (int64_t i = 0; i < N * C * HW; ++i) { int64_t c = (i / HW) % C; double t = (x[i] - m[c]) / std::sqrt(double(v[c]) + 1e-3) * w[c] + b[c]; r[i] = float(t > 0 ? t : 0); }
    cmp("batchnorm relu float4 (grid.y 5 < planes 14)", y, r);
  }
  { // concat of 40 inputs vs cpu
    int64_t outer = 3; std::vector<std::vector<float>> xs; std::vector<const float*> ptrs; std::vector<int64_t> cols; int64_t total = 0;
    for (int i = 0; i < 40; ++i) { xs.push_back(rnd((1 + i % 4) * 6 * outer)); cols.push_back((1 + i % 4) * 6); total += cols.back(); }
    for (auto& v : xs) ptrs.push_back(v.data());
    std::vector<float> y(outer * total, NAN), r(outer * total);
    int64_t offset = 0;
    for (int first = 0; first < 40; first += 32) {
      k_concat::ConcatBatch b{}; int n = 0; int64_t largest = 0;
      for (int i = first; i < 40 && i < first + 32; ++i) { b.src[n] = ptrs[i]; b.cols[n] = cols[i]; b.offset[n] = offset; offset += cols[i]; largest = std::max(largest, cols[i]); ++n; }
      launch(dim3{1, unsigned(n), 1}, 256, [&] { k_concat::concatKernel<float, int32_t>(b, outer, total, y.data()); });
    }
    cpu::concat(ptrs, cols, outer, r.data());
    cmp("concat 40 inputs", y, r, 0);
  }
  // conv direct vs double reference
  struct CC { int64_t N, C, H, W, K, R, S, sh, sw, pt, pl, pb, pr, dh, dw, g; bool bias, relu; };
  for (CC c : std::vector<CC>{{3,5,9,11,7,3,3,1,1,1,1,1,1,1,1,1,true,false},{3,5,13,12,6,3,3,2,2,1,2,1,2,2,2,1,true,true},
                               {2,6,8,7,6,3,3,1,1,1,1,1,1,1,1,2,true,false},{3,5,10,9,5,3,3,2,2,1,1,1,1,1,1,5,true,false},
                               {2,3,9,8,5,4,2,1,1,1,0,2,1,1,1,1,false,false},{3,9,11,13,6,5,3,2,1,2,0,2,0,1,2,3,true,false}}) {
    int64_t OH = (c.H + c.pt + c.pb - c.dh * (c.R - 1) - 1) / c.sh + 1, OW = (c.W + c.pl + c.pr - c.dw * (c.S - 1) - 1) / c.sw + 1;
    Conv2d p; p.N = c.N; p.C = c.C; p.H = c.H; p.W = c.W; p.K = c.K; p.R = c.R; p.S = c.S; p.OH = OH; p.OW = OW;
    p.strideH = c.sh; p.strideW = c.sw; p.padTop = c.pt; p.padLeft = c.pl; p.dilH = c.dh; p.dilW = c.dw; p.groups = c.g;
    int64_t Cg = c.C / c.g, Kg = c.K / c.g;
    auto x = rnd(c.N * c.C * c.H * c.W), w = rnd(c.K * Cg * c.R * c.S), b = rnd(c.K);
    std::vector<float> y(c.N * c.K * OH * OW, NAN), r(y.size());
    int64_t kbpg = (Kg + 3) / 4, total = c.N * kbpg * c.g * OH * OW;
    launch(dim3{2, 1, 1}, 256, [&] { k_conv_direct::convDirectKernel(x.data(), w.data(), c.bias ? b.data() : nullptr, y.data(), p, c.relu, kbpg, total); });
    for (int64_t n = 0; n < c.N; ++n) for (int64_t k = 0; k < c.K; ++k) for (int64_t oh = 0; oh < OH; ++oh) for (int64_t ow = 0; ow < OW; ++ow) {
      int64_t g = k / Kg; double s = c.bias ? b[k] : 0;
      for (int64_t ci = 0; ci < Cg; ++ci) for (int64_t rr = 0; rr < c.R; ++rr) for (int64_t ss = 0; ss < c.S; ++ss) {
        int64_t h = oh * c.sh - c.pt + rr * c.dh, ww = ow * c.sw - c.pl + ss * c.dw;
        if (h < 0 || h >= c.H || ww < 0 || ww >= c.W) continue;
        s += double(x[((n * c.C + g * Cg + ci) * c.H + h) * c.W + ww]) * w[((k * Cg + ci) * c.R + rr) * c.S + ss];
      }
      if (c.relu && s < 0) s = 0;
      r[((n * c.K + k) * OH + oh) * OW + ow] = float(s);
    }
    char buf[100]; snprintf(buf, 100, "conv N%ld C%ld K%ld %ldx%ld g%ld s%ld,%ld d%ld,%ld", c.N, c.C, c.K, c.R, c.S, c.g, c.sh, c.sw, c.dh, c.dw); cmp(buf, y, r);
  }
  { // elementwise + dropout (vector body + tail)
    int64_t n = 4099; auto a = rnd(n), b = rnd(n); std::vector<float> y(n, NAN), r(n);
    launch(dim3{2, 1, 1}, 256, [&] { k_elementwise::addKernel(a.data(), b.data(), y.data(), n, true, true); });
    for (int64_t i = 0; i < n; ++i) r[i] = std::max(a[i] + b[i], 0.f);
    cmp("add relu 4099 vec", y, r, 0);
    std::fill(y.begin(), y.end(), NAN);
    launch(dim3{2, 1, 1}, 256, [&] { k_elementwise::reluKernel(a.data(), y.data(), n, true); });
    for (int64_t i = 0; i < n; ++i) r[i] = std::max(a[i], 0.f);
    cmp("relu 4099 vec", y, r, 0);
  }
  printf("%d failures\n", fails);
  return fails != 0;
}
