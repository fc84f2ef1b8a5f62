// The tensor-core kernels (native/cuda/conv_implicit_gemm_tc.cu, gemm_tc.cu) under emulation (emu.h; the
// mma.sync instructions by mma.cuh's CONVNETS_CUDA_EMU path, which rebuilds each warp's A and B from the
// fragment layouts) against a float64 reference on operands rounded the same way (TF32 rna, BF16 and FP16
// rne): what is left is fp32 accumulation, so the bound is 2e-6 relative L2, and every output element must
// have been written (outputs start as NaN). Both tile shapes, k split or not, groups, stride / padding /
// dilation, partial tiles, and the pack kernel's padding. Built and run by scripts/cuda-emu/run-tc.sh.
#include "emu.h"
#define CONVNETS_CUDA_EMU 1
#include "cuda/mma.cuh"
#include "cuda/tc_mainloop.cuh"

struct Conv2d {
  int64_t N = 0, C = 0, H = 0, W = 0, K = 0, R = 1, S = 1, OH = 0, OW = 0;
  int64_t strideH = 1, strideW = 1, padTop = 0, padLeft = 0, dilH = 1, dilW = 1, groups = 1;
};
#include "cuda/tc_types.h"
using convnets::cuda::TcGemm;
using convnets::cuda::TcPack;
namespace tc = convnets::cuda::tc;
using convnets::Precision;
using convnets::tcKTile;
using convnets::tcPaddedDepth;
#include "tc.inc"

using Vec = std::vector<float>;
using Dbl = std::vector<double>;
int fails = 0;

float roundAs(const char* prec, float f) {
  if (!strcmp(prec, "tf32")) return tc::bitsFloat(tc::hostTf32(f));
  if (!strcmp(prec, "bf16")) return tc::hostBf16ToFloat(tc::hostBf16(f));
  return tc::hostFp16ToFloat(tc::hostFp16(f));
}

void check(const std::string& what, const Vec& got, const Dbl& want, double tol) {
  double num = 0, den = 0;
  int nans = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(got[i])) {
      ++nans;
      continue;
    }
    num += (got[i] - want[i]) * (got[i] - want[i]);
    den += want[i] * want[i];
  }
  const double err = std::sqrt(num / (den ? den : 1));
  const bool ok = err <= tol && !nans && !want.empty();
  fails += !ok;
  printf("%-70s relerr %.2e nan %d %s\n", what.c_str(), err, nans, ok ? "OK" : "FAIL");
}

// Packs src with the kernel (emulated) and returns the packed words; checks padding is zero.
template <class P>
std::vector<typename P::Store> pack(const Vec& src, TcPack pk) {
  const int64_t ld = tcPaddedDepth(pk.cols, tcKTile(P::kPrecision));
  std::vector<typename P::Store> dst(pk.batch * pk.rows * ld, typename P::Store(0x5a5a));
  const int64_t total = int64_t(dst.size());
  dim3 grid{unsigned((total + 255) / 256), 1, 1};
  launch(grid, 256, [&] { k_gemm_tc::tcPackRowsKernel<P>(src.data(), pk, dst.data(), ld); });
  return dst;
}

using k_conv_implicit_gemm_tc::Gather;
template <class P, class T, Gather MODE = Gather::General>
void convCase(const char* prec, Conv2d p, bool relu, int64_t splits) {
  const int64_t Cg = p.C / p.groups, Kg = p.K / p.groups, depth = Cg * p.R * p.S, NP = p.N * p.OH * p.OW;
  Vec x = rnd(p.N * p.C * p.H * p.W), w = rnd(p.K * depth), bias = rnd(p.K);
  const auto wp = pack<P>(w, TcPack{1, p.K, depth, 0, depth, 1});
  const int64_t ld = tcPaddedDepth(depth, T::BK), kTiles = ld / T::BK;
  const int64_t tilesPer = (kTiles + splits - 1) / splits, kPerSplit = tilesPer * T::BK;
  splits = (kTiles + tilesPer - 1) / tilesPer;
  Vec y(p.N * p.K * p.OH * p.OW, NAN), ws(splits * p.K * NP, NAN);
  const int64_t mTiles = (Kg + T::BM - 1) / T::BM;
  dim3 grid{unsigned((NP + T::BN - 1) / T::BN), unsigned(mTiles * splits), unsigned(p.groups)};
  launch(grid, T::kThreads, [&] {
    k_conv_implicit_gemm_tc::convTcKernel<P, T, MODE>(x.data(), wp.data(), ld, bias.data(), y.data(), p, relu, 0, mTiles,
                                                 kPerSplit, splits > 1 ? ws.data() : nullptr);
  });
  if (splits > 1) {
    dim3 g2{unsigned((p.K * NP + 255) / 256), 1, 1};
    launch(g2, 256, [&] {
      k_conv_implicit_gemm_tc::tcSplitReduce(ws.data(), bias.data(), y.data(), p.K, NP, p.OH * p.OW, splits, relu);
    });
  }
  Dbl ref(y.size());
  for (int64_t n = 0; n < p.N; ++n)
    for (int64_t k = 0; k < p.K; ++k)
      for (int64_t oh = 0; oh < p.OH; ++oh)
        for (int64_t ow = 0; ow < p.OW; ++ow) {
          double acc = bias[k];
          const int64_t g = k / Kg;
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t r = 0; r < p.R; ++r)
              for (int64_t s = 0; s < p.S; ++s) {
                const int64_t h = oh * p.strideH - p.padTop + r * p.dilH, ww = ow * p.strideW - p.padLeft + s * p.dilW;
                if (h < 0 || h >= p.H || ww < 0 || ww >= p.W) continue;
                acc += double(roundAs(prec, x[((n * p.C + g * Cg + c) * p.H + h) * p.W + ww])) *
                       roundAs(prec, w[((k * Cg + c) * p.R + r) * p.S + s]);
              }
          ref[((n * p.K + k) * p.OH + oh) * p.OW + ow] = relu ? std::max(acc, 0.0) : acc;
        }
  char buf[256];
  snprintf(buf, sizeof buf, "conv %s%s %dx%d N%ld C%ld %ldx%ld K%ld %ldx%ld s%ld p%ld d%ld g%ld split%ld%s", prec,
           MODE == Gather::Pointwise4 ? " pointwise4" : MODE == Gather::Pointwise ? " pointwise" : "", T::BM,
           T::BN, p.N, p.C, p.H, p.W, p.K, p.R, p.S, p.strideH, p.padTop, p.dilH, p.groups, splits, relu ? " relu" : "");
  check(buf, y, ref, 2e-6);
}

template <class P>
void gemmCase(const char* prec, int64_t M, int64_t N, int64_t K, int64_t batch, bool broadcastB, bool linearLayout) {
  Vec a = rnd(batch * M * K), b = rnd((broadcastB ? 1 : batch) * K * N), bias = rnd(M);
  // A rows: a[b][m][k]; B rows: b as [K][N] transposed (matmul) or [N][K] (linear).
  const auto ap = pack<P>(a, TcPack{batch, M, K, M * K, K, 1});
  const auto bp = linearLayout ? pack<P>(b, TcPack{broadcastB ? 1 : batch, N, K, N * K, K, 1})
                               : pack<P>(b, TcPack{broadcastB ? 1 : batch, N, K, K * N, 1, N});
  Vec c(batch * M * N, NAN);
  TcGemm g;
  g.M = M; g.N = N; g.K = K; g.batch = batch; g.broadcastB = broadcastB; g.C = c.data(); g.strideC = M * N;
  // linear stores C[n][m] (sm = 1, sn = M) with bias and ReLU; matmul C[m][n].
  g.sm = linearLayout ? 1 : N;
  g.sn = linearLayout ? M : 1;
  g.bias = linearLayout ? bias.data() : nullptr;
  g.relu = linearLayout;
  using T = tc::TcTile<P, 64, 64, 2, 2>;
  const int64_t kTiles = (K + T::BK - 1) / T::BK, splits = kTiles >= 6 ? 3 : 1;
  const int64_t tilesPer = (kTiles + splits - 1) / splits, nSplits = (kTiles + tilesPer - 1) / tilesPer;
  Vec ws(nSplits * batch * M * N, NAN);
  const int64_t mTiles = (M + 63) / 64;
  dim3 grid{unsigned((N + 63) / 64), unsigned(mTiles * nSplits), unsigned(batch)};
  launch(grid, T::kThreads, [&] {
    k_gemm_tc::gemmTcKernel<P, T>(ap.data(), bp.data(), g, mTiles, tilesPer * T::BK, nSplits > 1 ? ws.data() : nullptr);
  });
  if (nSplits > 1) {
    dim3 g2{unsigned((batch * M * N + 255) / 256), 1, 1};
    launch(g2, 256, [&] { k_gemm_tc::tcGemmReduce(ws.data(), g, nSplits); });
  }
  Dbl ref(c.size());
  for (int64_t z = 0; z < batch; ++z)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) {
        double acc = linearLayout ? bias[m] : 0.0;
        for (int64_t k = 0; k < K; ++k) {
          const float bv = linearLayout ? b[((broadcastB ? 0 : z) * N + n) * K + k] : b[((broadcastB ? 0 : z) * K + k) * N + n];
          acc += double(roundAs(prec, a[(z * M + m) * K + k])) * roundAs(prec, bv);
        }
        if (linearLayout) acc = std::max(acc, 0.0);
        ref[z * M * N + (linearLayout ? n * M + m : m * N + n)] = acc;
      }
  char buf[200];
  snprintf(buf, sizeof buf, "gemm %s %s M%ld N%ld K%ld batch%ld%s split%ld", prec, linearLayout ? "linear" : "matmul",
           M, N, K, batch, broadcastB ? " sharedB" : "", nSplits);
  check(buf, c, ref, 2e-6);
}

Conv2d shape(int64_t N, int64_t C, int64_t H, int64_t W, int64_t K, int64_t R, int64_t S, int64_t st, int64_t pad,
             int64_t dil, int64_t g) {
  Conv2d p{N, C, H, W, K, R, S, 0, 0, st, st, pad, pad, dil, dil, g};
  p.OH = (H + 2 * pad - dil * (R - 1) - 1) / st + 1;
  p.OW = (W + 2 * pad - dil * (S - 1) - 1) / st + 1;
  return p;
}

template <class P>
void all(const char* prec) {
  using Small = tc::TcTile<P, 64, 64, 2, 2>;
  using Big = tc::TcTile<P, 128, 128, 2, 4>;
  using Wide = tc::TcTile<P, 64, 128, 2, 4>;
  convCase<P, Small>(prec, shape(2, 5, 9, 11, 19, 3, 3, 1, 1, 1, 1), true, 1);      // partial tiles, depth 45
  convCase<P, Small>(prec, shape(1, 8, 7, 9, 70, 1, 1, 2, 0, 1, 1), false, 1);      // strided 1×1, two m tiles
  convCase<P, Small>(prec, shape(2, 6, 10, 8, 12, 3, 2, 2, 1, 2, 3), true, 1);      // groups, dilation, 3×2
  convCase<P, Small>(prec, shape(1, 40, 5, 6, 24, 3, 3, 1, 1, 1, 1), true, 4);      // k split (depth 360)
  convCase<P, Small, Gather::Pointwise>(prec, shape(2, 70, 5, 7, 20, 1, 1, 1, 0, 1, 1), true, 1);   // 1×1, depth 70
  convCase<P, Small, Gather::Pointwise>(prec, shape(1, 150, 3, 5, 10, 1, 1, 1, 0, 1, 2), false, 2); // groups, split
  convCase<P, Small, Gather::Pointwise4>(prec, shape(3, 70, 4, 7, 20, 1, 1, 1, 0, 1, 1), true, 1);  // float4 pixels
  convCase<P, Wide, Gather::Pointwise4>(prec, shape(2, 150, 6, 6, 40, 1, 1, 1, 0, 1, 2), false, 2); // 64×128, groups
  convCase<P, Big, Gather::Pointwise4>(prec, shape(1, 33, 12, 12, 130, 1, 1, 1, 0, 1, 1), true, 1);  // 128×128
  convCase<P, Big>(prec, shape(1, 7, 13, 12, 130, 3, 3, 1, 1, 1, 1), true, 1);      // 128×128: two m tiles, 156 pixels
  convCase<P, Big>(prec, shape(2, 9, 6, 7, 33, 5, 5, 1, 2, 1, 1), false, 2);        // 5×5, split in two
  gemmCase<P>(prec, 70, 5, 100, 1, false, true);    // linear: 70 outputs, batch 5
  gemmCase<P>(prec, 20, 3, 600, 1, false, true);    // linear, K split in 3
  gemmCase<P>(prec, 65, 70, 200, 1, false, true);   // linear, 2×2 tiles of 64
  gemmCase<P>(prec, 33, 65, 47, 2, false, false);   // batched matmul, partial tiles
  gemmCase<P>(prec, 17, 9, 40, 3, true, false);     // 3-D a times a shared 2-D b
}

int main() {
  // Rounding itself against known values: 1 + 2^-11 rounds to 1 in BF16 and to 1 + 2^-10 in FP16 (tie to even
  // → 1), TF32 ties away; FP16 overflow and subnormals.
  struct R { const char* prec; float in, want; };
  const R rounding[] = {{"bf16", 1.0f + 1.0f / 256, 1.0f}, {"bf16", 1.0f + 3.0f / 256, 1.0f + 1.0f / 64},
                        {"fp16", 1.0f + 1.0f / 2048, 1.0f}, {"fp16", 1.0f + 3.0f / 2048, 1.0f + 1.0f / 512},
                        {"tf32", 1.0f + 1.0f / 2048, 1.0f + 1.0f / 1024}, {"fp16", 70000.0f, INFINITY},
                        {"fp16", 65504.0f, 65504.0f}, {"fp16", 1e-7f, 1.1920929e-7f}, {"fp16", -3e-8f, -5.9604645e-8f},
                        {"bf16", -2.5f, -2.5f}, {"tf32", 3.0e38f, 3.0e38f * 0 + tc::bitsFloat(tc::hostTf32(3.0e38f))}};
  for (const R& r : rounding) {
    const float got = roundAs(r.prec, r.in);
    const bool ok = got == r.want;
    fails += !ok;
    printf("round %s %.9g -> %.9g (want %.9g) %s\n", r.prec, r.in, got, r.want, ok ? "OK" : "FAIL");
  }
  all<tc::Tf32>("tf32");
  all<tc::Bf16>("bf16");
  all<tc::Fp16>("fp16");
  printf("%d failures\n", fails);
  return fails ? 1 : 0;
}
