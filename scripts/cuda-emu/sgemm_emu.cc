// SGEMM kernels (native/cuda/sgemm.cu) under emulation vs a float64 reference: every transpose pair,
// tails in M/N/K, float4 and scalar paths, batch, K = 0, small M (float4 and scalar), split K, padded
// leading dims left untouched.
#include "emu.h"
#include "sgemm.inc"

// Host part mirrors sgemm() in sgemm.cu.
bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }
bool vectorizable(const float* p, int64_t ld, int64_t stride, int64_t batch) {
  return aligned16(p) && ld % 4 == 0 && (batch == 1 || stride % 4 == 0);
}
template <bool TA, bool TB>
void tiled(Args a, dim3 grid, bool va, bool vb, bool vc) {
  int key = (va ? 4 : 0) | (vb ? 2 : 0) | (vc ? 1 : 0);
  switch (key) {
    case 0: launch(grid, 256, [=] { sgemmTiled<TA, TB, false, false, false>(a); }); break;
    case 7: launch(grid, 256, [=] { sgemmTiled<TA, TB, true, true, true>(a); }); break;
    case 5: launch(grid, 256, [=] { sgemmTiled<TA, TB, true, false, true>(a); }); break;
    case 2: launch(grid, 256, [=] { sgemmTiled<TA, TB, false, true, false>(a); }); break;
    default: launch(grid, 256, [=] { sgemmTiled<TA, TB, true, true, false>(a); }); break;
  }
}

// slices > 1: split K as sgemm() does when the tiles are few (slice depth rounded up to BK).
int run(bool ta, bool tb, int64_t M, int64_t N, int64_t K, int64_t batch, int64_t pad, int biasMode, bool relu,
        bool forceScalar, int64_t slices = 1) {
  int64_t lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
  int64_t sA = (ta ? K : M) * lda, sB = (tb ? N : K) * ldb, sC = M * ldc;
  std::vector<float> A(sA * batch + 1), B(sB * batch + 1), C(sC * batch + 1, NAN), bias(std::max(M, N));
  std::mt19937 g(42);
  std::uniform_real_distribution<float> u(-1, 1);
  for (auto& v : A) v = u(g);
  for (auto& v : B) v = u(g);
  for (auto& v : bias) v = u(g);
  const float* Ap = A.data() + (forceScalar ? 1 : 0);  // misaligned → scalar path
  Args a{M, N, K, Ap, lda, sA, B.data(), ldb, sB, C.data(), ldc, sC, bias.data(), biasMode, relu, 0, 0};
  a.kChunk = K;
  if (M <= kMaxSmallM) {
    a.batchOffset = 0;
    if (tb) {
      dim3 grid{unsigned((N + 7) / 8), unsigned(batch), 1};
      if (!ta && vectorizable(B.data(), ldb, sB, batch) && vectorizable(Ap, lda, sA, batch))
        launch(grid, 256, [=] { sgemmSmallMWarp<true>(a, ta); });
      else
        launch(grid, 256, [=] { sgemmSmallMWarp<false>(a, ta); });
    } else {
      dim3 grid{unsigned((N + 255) / 256), unsigned(batch), 1};
      launch(grid, 256, [=] { sgemmSmallMThread(a, ta); });
    }
  } else {
    int64_t tilesM = (M + 127) / 128, tilesN = (N + 127) / 128;
    a.tilesN = tilesN;
    dim3 grid{unsigned(tilesM * tilesN), 1, unsigned(batch)};
    bool va = vectorizable(Ap, lda, sA, batch), vb = vectorizable(B.data(), ldb, sB, batch),
         vc = vectorizable(C.data(), ldc, sC, batch);
    std::vector<float> ws;
    Args t = a;
    if (slices > 1) {
      t.kChunk = ((K + slices - 1) / slices + 7) / 8 * 8;
      slices = (K + t.kChunk - 1) / t.kChunk;
      ws.assign(size_t(slices * batch * M * N), NAN);
      t.C = ws.data(); t.ldc = N; t.strideC = M * N; t.sliceStride = batch * M * N; t.partial = true;
      grid.y = unsigned(slices);
      vc = vectorizable(ws.data(), N, M * N, batch);
    }
    if (!ta && !tb) tiled<false, false>(t, grid, va, vb, vc);
    else if (!ta && tb) tiled<false, true>(t, grid, va, vb, vc);
    else if (ta && !tb) tiled<true, false>(t, grid, va, vb, vc);
    else tiled<true, true>(t, grid, va, vb, vc);
    if (slices > 1) {
      const int64_t total = batch * M * N;
      const float* w = ws.data();
      launch(dim3{unsigned((total + 255) / 256), 1, 1}, 256, [=] { splitKReduce(a, w, slices, total); });
    }
  }
  double num = 0, den = 0;
  int bad = 0;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N + pad; ++n) {
        float got = C[b * sC + m * ldc + n];
        if (n >= N) { if (!std::isnan(got)) ++bad; continue; }  // padding must stay untouched
        double r = biasMode == 1 ? bias[m] : biasMode == 2 ? bias[n] : 0;
        for (int64_t k = 0; k < K; ++k) {
          double av = ta ? Ap[b * sA + k * lda + m] : Ap[b * sA + m * lda + k];
          double bv = tb ? B[b * sB + n * ldb + k] : B[b * sB + k * ldb + n];
          r += av * bv;
        }
        if (relu) r = std::max(r, 0.0);
        if (std::isnan(got)) ++bad;
        num += (got - r) * (got - r);
        den += r * r;
      }
  double err = std::sqrt(num / (den ? den : 1));
  printf("ta=%d tb=%d M=%ld N=%ld K=%ld batch=%ld pad=%ld bias=%d relu=%d scalar=%d: relerr %.2e bad %d %s\n", ta, tb,
         M, N, K, batch, pad, biasMode, relu, forceScalar, err, bad, (err < 1e-5 && !bad) ? "OK" : "FAIL");
  return (err < 1e-5 && !bad) ? 0 : 1;
}

int main() {
  int fails = 0;
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb) {
      fails += run(ta, tb, 130, 131, 19, 1, 0, 2, true, false);   // tails in M, N, K
      fails += run(ta, tb, 128, 256, 16, 2, 4, 1, false, false);  // exact tiles, float4, batch
      fails += run(ta, tb, 137, 129, 13, 1, 1, 0, false, false);  // odd leading dims → scalar
      fails += run(ta, tb, 140, 132, 12, 1, 0, 2, false, true);   // misaligned A → scalar A
      fails += run(ta, tb, 5, 77, 300, 2, 0, 2, true, false);     // small M
      fails += run(ta, tb, 129, 5, 0, 1, 0, 2, false, false);     // K = 0 → bias only
      fails += run(ta, tb, 4, 70, 1028, 1, 0, 2, true, false);    // small M, float4 rows when !ta && tb
      fails += run(ta, tb, 3, 37, 1030, 2, 0, 2, false, false);   // small M, K % 4 != 0 → scalar
      fails += run(ta, tb, 37, 70, 1200, 1, 0, 2, true, false, 4);   // split K, tails, bias + relu
      fails += run(ta, tb, 19, 21, 700, 3, 0, 1, false, false, 2);   // split K, batch, per-row bias
      fails += run(ta, tb, 130, 64, 611, 2, 4, 2, false, true, 3);   // split K, padded C, scalar A
    }
  printf("%d failures\n", fails);
  return fails != 0;
}
