#include "dispatch/conv_registry.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "dispatch/find_cache.h"
#include "dispatch/prepared_cache.h"
#include "core/error.h"
#include "core/random.h"
#include "core/threadpool.h"
#include "cpu/conv_algos.h"

namespace convnets {

const std::vector<ConvAlgo>& convAlgorithms() {
  // Order = listing order and the tie-break of 'find'. direct first: it runs everything (the reference).
  static const std::vector<ConvAlgo> algos = {cpu::convDirect(),          cpu::convIm2col(),
                                              cpu::convImplicitGemm(),    cpu::convGemm1x1(),
                                              cpu::convWinograd2x2_3x3(), cpu::convWinograd4x4_3x3(),
                                              cpu::convDirectNchwc()};
  return algos;
}

const ConvAlgo& convAlgorithm(const std::string& name) { return entryNamed(convAlgorithms(), name, "algorithm"); }

// 'auto' on the CPU: one line per rule; the measurements behind each are in bench/RESULTS-chooser.md
// ("CPU rules", same numbering), from bench/chooser.ts and bench/conv-layers.ts.
const ConvAlgo& chooseConvAuto(const ConvDesc& d) {
  const bool k3s1 = d.R == 3 && d.S == 3 && d.strideH == 1 && d.strideW == 1 && d.dilationH == 1 && d.dilationW == 1;
  // C1. 1×1 without padding: a plain GEMM on the input.
  if (d.R == 1 && d.S == 1 && !d.padH && !d.padW && !d.padBottom && !d.padRight) return convAlgorithm("gemm_1x1");
  // C2. Depthwise and other thin groups (< 8 rows or depth 1 waste the GEMM tile): direct.
  if (d.Kg() < 8 || d.Cg() < 2) return convAlgorithm("direct");
  if (k3s1 && d.Cg() >= 16 && d.Kg() >= 16) {
    const int64_t C = d.Cg(), K = d.Kg();
    // C3. 3×3/1, 16–63 input channels on ≤ 28² outputs: the direct NCHWc kernel (16 output channels × a row
    //     in registers; GoogLeNet's branch convs), else with groups the 9C-deep implicit GEMM when fanning out.
    if (d.outH * d.outW <= 28 * 28 && C < 64 && d.groups == 1) return convAlgorithm("direct_nchwc");
    if (d.outH * d.outW <= 28 * 28 && C >= 24 && C < 64 && K > 2 * C) return convAlgorithm("implicit_gemm");
    // C4. 3×3/1 from 8×8 outputs up: Winograd F(4×4).
    if (d.outH >= 8 && d.outW >= 8) return convAlgorithm("winograd_4x4_3x3");
    // C5. 3×3/1 on smaller maps (7×7): Winograd F(2×2).
    return convAlgorithm("winograd_2x2_3x3");
  }
  // C6. Stems (few input channels, equal strides): implicit GEMM.
  if (d.Cg() < 16 && d.strideH == d.strideW) return convAlgorithm("implicit_gemm");
  // C7. Everything else (strided 3×3, 5×5, dilation): im2col + GEMM.
  return convAlgorithm("im2col");
}

const ConvAlgo& chooseEagerConv(const ConvDesc& d, bool cached) {
  const ConvAlgo& best = chooseConvAuto(d);
  // Cached (warm) or about to be (cold: prepared once, then reused): the run time decides, as for a plan.
  // Whether this weight's entry can be kept (a live data() view) does not matter: a choice that did would
  // make the result depend on when the garbage collector ran.
  if (cached && preparedCacheEnabled()) return best;
  const bool f4 = std::strcmp(best.name, "winograd_4x4_3x3") == 0, f2 = std::strcmp(best.name, "winograd_2x2_3x3") == 0;
  if (!f4 && !f2) return best;  // the others prepare a packed copy of the weights: the same cost for every GEMM
  // Not cached (the cache is off, or a plan step whose weight is computed per run): every call prepares, and
  // Winograd's prepared weights are α² floats per (k, c) pair against the GEMMs' 9. A cost model in units of
  // one multiply-add of the GEMM per (k, c) pair: α²·(tiles + 54) for Winograd, 9·(outputs + 54) for the
  // implicit GEMM, writing one prepared float costing ~54 multiply-adds (one thread: F(4×4) on 512×512
  // prepared 37.7 MB in 6.6 ms while im2col's GEMM ran at 155 GFLOP/s). It ranked the sums measured in CPU
  // time (prepare + run, 1 thread, ms): 512×7²→512 implicit/im2col 3.1 < F(2×2) 4.2 < F(4×4) 7.0;
  // 256×13²→256 F(2×2) 1.5 < im2col 1.9 ≈ F(4×4) 1.9; 512×28²→512 F(4×4) 14.2 < F(2×2) 16.0 < im2col 24.6.
  constexpr double kPreparedFloat = 54;
  auto tiles = [&](int64_t m) { return double(d.N) * double((d.outH + m - 1) / m) * double((d.outW + m - 1) / m); };
  const double w4 = 36 * (tiles(4) + kPreparedFloat), w2 = 16 * (tiles(2) + kPreparedFloat);
  const double gemm = 9 * (double(d.N) * double(d.outH * d.outW) + kPreparedFloat);
  if (gemm < std::min(w4, w2)) return convAlgorithm("implicit_gemm");
  return w4 < w2 ? convAlgorithm("winograd_4x4_3x3") : convAlgorithm("winograd_2x2_3x3");
}

namespace {

std::string findKey(const ConvDesc& d) {
  return d.key() + " t" + std::to_string(getNumThreads()) + " " + isaName(activeIsa());
}

FindCache& findCache() {
  static FindCache* c = new FindCache();
  return *c;
}

double nowMs() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

std::vector<ConvTiming> findConv(const ConvDesc& d) {
  Tensor x = Tensor::empty({d.N, d.C, d.H, d.W});
  Tensor w = Tensor::empty(d.weightShape());
  Tensor b = Tensor::empty({d.K});
  Tensor y = Tensor::empty(d.outputShape());
  fillUniform(x, 1, -1.0f, 1.0f);
  fillUniform(w, 2, -0.1f, 0.1f);
  fillUniform(b, 3, -0.1f, 0.1f);
  const Isa isa = activeIsa();
  std::vector<ConvTiming> out;
  for (const ConvAlgo& a : convAlgorithms()) {
    if (!a.supports(d).empty()) continue;
    ConvPrepared p;
    a.prepare(d, w.data(), isa, p);
    a.run(d, p, x.data(), b.data(), true, y.data());  // warm-up: caches, workspace blocks
    // Best of a few runs: the minimum is the least disturbed by the noisy neighbours of these machines.
    double best = 1e300, total = 0;
    for (int rep = 0; rep < 5 && (rep < 2 || total < 200.0); ++rep) {
      double t0 = nowMs();
      a.run(d, p, x.data(), b.data(), true, y.data());
      double dt = nowMs() - t0;
      best = std::min(best, dt);
      total += dt;
    }
    out.push_back({a.name, best, a.workspaceBytes(d, isa)});
  }
  std::stable_sort(out.begin(), out.end(), [](const ConvTiming& p, const ConvTiming& q) { return p.timeMs < q.timeMs; });
  findCache().put(findKey(d), out.front().algo);
  return out;
}

const ConvAlgo& findConvCached(const ConvDesc& d) {
  if (auto hit = findCache().get(findKey(d))) return convAlgorithm(*hit);
  return convAlgorithm(findConv(d).front().algo);
}

void clearConvFindCache() { findCache().clear(); }

const ConvAlgo& resolveConvAlgo(const ConvDesc& d, const std::string& algo) {
  if (algo == "auto" || algo.empty()) return chooseConvAuto(d);
  if (algo == "find") return findConvCached(d);
  const ConvAlgo& a = convAlgorithm(algo);
  std::string why = a.supports(d);
  CN_CHECK(why.empty(), "conv2d: algorithm '", algo, "' cannot run this convolution: ", why);
  return a;
}

}  // namespace convnets
