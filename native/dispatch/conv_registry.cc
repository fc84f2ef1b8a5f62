#include "dispatch/conv_registry.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

#include "dispatch/cuda_conv_registry.h"
#include "dispatch/cuda_ops.h"
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
                                              cpu::convWinograd2x2_3x3(), cpu::convWinograd4x4_3x3()};
  return algos;
}

const ConvAlgo& convAlgorithm(const std::string& name) {
  std::string known;
  for (const ConvAlgo& a : convAlgorithms()) {
    if (name == a.name) return a;
    known += std::string(known.empty() ? "" : ", ") + a.name;
  }
  fail("conv2d: unknown algorithm '", name, "' (expected 'auto', 'find' or one of: ", known, ")");
}

// Rules from bench/chooser.ts, bench/conv-layers.ts and single-thread CPU-time comparisons on the 143
// distinct layers of the five networks (AMD Zen 5, AVX-512, batch 1, 2 threads; times in ms).
const ConvAlgo& chooseConvAuto(const ConvDesc& d) {
  const bool k3s1 = d.R == 3 && d.S == 3 && d.strideH == 1 && d.strideW == 1 && d.dilationH == 1 && d.dilationW == 1;
  // 1×1 without padding: a plain GEMM on the input. gemm_1x1 beat im2col on every 1×1 layer measured
  // (e.g. 928×14²→128: 0.30 vs 0.42; 832×7²→128: 0.080 vs 0.107; strided 1024×14²→2048: 1.36 vs 1.47).
  if (d.R == 1 && d.S == 1 && !d.padH && !d.padW && !d.padBottom && !d.padRight) return convAlgorithm("gemm_1x1");
  // Depthwise and other thin groups: a GEMM with < 8 rows (or a depth of 1) wastes most of the
  // 12×32 microkernel tile; direct convolution vectorises over output channels instead.
  if (d.Kg() < 8 || d.Cg() < 2) return convAlgorithm("direct");
  if (k3s1 && d.Cg() >= 16 && d.Kg() >= 16) {
    // 3×3 stride 1 with ≥ 16 channels: Winograd or a 9C-deep GEMM. With 3 input channels the transforms dominate
    // (3×224²→64: im2col 3.1, w4x4 6.0), hence the channel bound. The rules below come from
    // bench/chooser.ts: every algorithm timed with cold caches, as a layer runs inside a network, where its
    // prepared weights were last touched a forward pass ago (2 threads; im2col / w2x2 / w4x4 in ms).
    const int64_t C = d.Cg(), K = d.Kg();
    // A few input channels fanning out (K > 2C) on small images: Winograd's GEMM has depth C only and its
    // output transform grows with K, so a 9C-deep GEMM wins: im2col did in both of two runs (32×28²→96:
    // 0.317 / 0.453 / 0.353; 24×14²→64: 0.151 / 0.207 / 0.173; 32×7²→128: 0.123 / 0.183 / 0.234), and
    // implicit_gemm, the same GEMM without the packing, beat im2col on each (cold caches, 2 threads:
    // 32×28²→96 0.227 vs 0.263; 24×14²→64 0.107 vs 0.129; 32×7²→128 0.113 vs 0.122; 48×7²→128 0.118 vs
    // 0.124). Not with 16 channels, where F(4×4) won both runs (16×14²→48: 0.114 / 0.174 / 0.076).
    if (d.outH * d.outW <= 28 * 28 && C >= 24 && C < 64 && K > 2 * C) return convAlgorithm("implicit_gemm");
    // F(4×4) does 2.25× fewer multiplies than F(2×2) and wins from 13×13 up (64×224²→64: 15.6 / 15.4 / 9.3;
    // 128×28²→128: 1.00 / 0.98 / 0.82). On 13×13 / 14×14 its weight stream (4× the layer's; F(2×2): 1.8×)
    // makes it a toss-up with F(2×2): two runs disagreed by more than the gap (512×14²→512: w2x2 2.41 vs
    // 2.75, then 3.59 vs 3.19). On 7×7 its 8×8 tiling pads 31% and leaves 4 tiles, so F(2×2) wins
    // (512×7²→512: 1.21 vs 1.93; 160×7²→320: 0.415 vs 0.554).
    if (d.outH >= 8 && d.outW >= 8) return convAlgorithm("winograd_4x4_3x3");
    // implicit_gemm (9C deep, 7·9 columns, no transforms) beat F(2×2) on 7×7 below 384 channels until the
    // Winograd input transform stopped being redone per output-channel slice; since then F(2×2) wins or
    // ties (cold caches, 2 threads, w2x2 vs implicit: 512×7²→512 0.757 / 0.976; 192×7²→384 0.302 / 0.337;
    // 160×7²→320 0.247 / 0.249; 128×7²→32 0.089 / 0.116).
    return convAlgorithm("winograd_2x2_3x3");
  }
  // Stems (few input channels: 7×7/2, 11×11/4, VGG's 3-channel 3×3): the implicit GEMM, whose only extra
  // work is one copy of the 3-channel input, beat im2col, whose packing dominates at depth 27–363 (cold
  // caches, 2 threads: 7×7/2 1.10 vs 1.44; 11×11/4 0.77 vs 1.20; 3×224²→64 3×3 1.41 vs 1.90).
  if (d.Cg() < 16 && d.strideH == d.strideW) return convAlgorithm("implicit_gemm");
  // Everything else (strided 3×3, 5×5, dilation): im2col + GEMM, which beat direct everywhere measured
  // (11×11/4 stem: 1.4 vs 7; 128×56²→128 3×3/2: 1.8 vs 13.7). implicit_gemm tied with it on ResNet's 3×3/2
  // layers (0.93–1.03×) and AlexNet's 5×5 (0.91–1.04×), in isolation and inside ResNet-50.
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

struct FindCache {
  std::mutex mu;
  std::map<std::string, std::string> winners;  // bounded: cleared when it reaches kMax entries
  static constexpr size_t kMax = 4096;
};
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
  FindCache& c = findCache();
  std::lock_guard<std::mutex> lock(c.mu);
  if (c.winners.size() >= FindCache::kMax) c.winners.clear();
  c.winners[findKey(d)] = out.front().algo;
  return out;
}

const ConvAlgo& findConvCached(const ConvDesc& d) {
  {
    FindCache& c = findCache();
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.winners.find(findKey(d));
    if (it != c.winners.end()) return convAlgorithm(it->second);
  }
  return convAlgorithm(findConv(d).front().algo);
}

void clearConvFindCache() {
  FindCache& c = findCache();
  std::lock_guard<std::mutex> lock(c.mu);
  c.winners.clear();
}

const ConvAlgo& resolveConvAlgo(const ConvDesc& d, const std::string& algo) {
  if (algo == "auto" || algo.empty()) return chooseConvAuto(d);
  if (algo == "find") return findConvCached(d);
  const ConvAlgo& a = convAlgorithm(algo);
  std::string why = a.supports(d);
  CN_CHECK(why.empty(), "conv2d: algorithm '", algo, "' cannot run this convolution: ", why);
  return a;
}

}  // namespace convnets
