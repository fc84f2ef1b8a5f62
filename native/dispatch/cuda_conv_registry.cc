// The CUDA convolution registry (dispatch/cuda_conv_registry.h): host logic only. Each entry's prepare and
// launch are in dispatch/cuda_bridge/conv_bridge.cc (declared in dispatch/cuda_ops.h; stubbed by
// dispatch/cuda_ops_off.cc in a build without nvcc), over the kernels of native/cuda/conv_*.cu.
#include "dispatch/cuda_conv_registry.h"

#include <algorithm>
#include <map>
#include <mutex>

#include "core/cuda_api.h"
#include "dispatch/cuda_ops.h"
#include "core/error.h"
#include "core/random.h"
#include "dispatch/find_cache.h"

namespace convnets {
namespace {

// ---- supports() and scratch of each entry ------------------------------------------------------------

std::string anyConv(const ConvDesc&) { return ""; }
int64_t noScratch(const ConvDesc&) { return 0; }

// im2col: columns [C·R·S, OH·OW] per image (all groups).
int64_t im2colPerImage(const ConvDesc& d) { return d.C * d.R * d.S * d.outH * d.outW * int64_t(sizeof(float)); }

std::string gemm1x1Supports(const ConvDesc& d) { return needsPointwise("gemm_1x1", d); }
// Stride 1 reads the input in place; a strided 1×1 first subsamples a chunk of images to [C, OH·OW].
int64_t gemm1x1PerImage(const ConvDesc& d) {
  if (d.strideH == 1 && d.strideW == 1) return 0;
  return d.C * d.outH * d.outW * int64_t(sizeof(float));
}

std::string winograd2Supports(const ConvDesc& d) { return needs3x3Stride1("winograd_2x2_3x3", d); }
std::string winograd4Supports(const ConvDesc& d) { return needs3x3Stride1("winograd_4x4_3x3", d); }
// Transformed inputs V [α², C, tiles] and products M [α², K, tiles] of one image.
int64_t winogradPerImage(const ConvDesc& d, int m) {
  const int64_t a2 = int64_t(m + 2) * (m + 2);
  return a2 * (d.C + d.K) * cudaWinogradTilesPerImage(d, m) * int64_t(sizeof(float));
}
int64_t winograd2PerImage(const ConvDesc& d) { return winogradPerImage(d, 2); }
int64_t winograd4PerImage(const ConvDesc& d) { return winogradPerImage(d, 4); }

// Tensor cores: the reduced precisions only (fp32 stays exact on the CUDA cores); any shape and groups.
std::string tcSupports(const ConvDesc& d) {
  if (d.precision == Precision::Fp32)
    return "implicit_gemm_tc runs on tensor cores: it needs precision 'tf32', 'bf16' or 'fp16' (fp32 stays exact "
           "on the CUDA cores)";
  return "";
}
// Partial sums of a k split (core/precision.h's tcSplitFor, the kernel's own choice), for the whole run.
int64_t tcScratch(const ConvDesc& d) {
  if (d.precision == Precision::Fp32) return 0;
  const TcSplit sp = tcSplitFor(d.Kg(), d.N * d.outH * d.outW, d.Cg() * d.R * d.S, d.groups, true,
                                tcKTile(d.precision));
  return sp.splits > 1 ? sp.splits * d.K * d.N * d.outH * d.outW * int64_t(sizeof(float)) : 0;
}

// Compute capability major·10 + minor of each device, asked once (cudaGetDeviceProperties takes ms).
int computeCapability(Device device) {
  static std::mutex mu;
  static std::map<int, int> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(device.index);
  if (it != cache.end()) return it->second;
  const cudart::DeviceInfo info = cudart::deviceInfo(device.index);
  return cache[device.index] = info.major * 10 + info.minor;
}

std::string withUnit(int64_t bytes) { return std::to_string(bytes) + " bytes"; }

// ---- find cache -------------------------------------------------------------------------------------

std::string findKey(const ConvDesc& d, Device device, int64_t limit) {
  return d.key() + " " + device.str() + " ws" + std::to_string(limit);
}
FindCache& findCache() {
  static FindCache* c = new FindCache();
  return *c;
}

Device checkedCudaDevice(Device device, const char* op) {
  CN_CHECK(device.isCuda(), op, ": expected a CUDA device, got ", device.str());
  const cudart::Availability av = cudart::availability();
  CN_CHECK(av.available, op, ": CUDA is not available: ", av.reason);
  CN_CHECK(device.index >= 0 && device.index < cudart::deviceCount(), op, ": ", device.str(), " does not exist (",
           cudart::deviceCount(), " CUDA device(s))");
  return device;
}

}  // namespace

int64_t cudaConvImagesPerChunk(const CudaConvAlgo& a, const ConvDesc& d) {
  const int64_t perImage = a.chunked ? a.scratchBytes(d) : 0;
  if (d.N <= 1 || perImage <= 0) return std::max<int64_t>(d.N, 1);
  return std::clamp<int64_t>(kCudaChunkBytes / perImage, 1, d.N);
}

int64_t cudaConvWorkspaceBytes(const CudaConvAlgo& a, const ConvDesc& d) {
  return a.chunked ? cudaConvImagesPerChunk(a, d) * a.scratchBytes(d) : a.scratchBytes(d);
}

int64_t cudaWinogradTilesPerImage(const ConvDesc& d, int m) {
  return ((d.outH + m - 1) / m) * ((d.outW + m - 1) / m);
}

const std::vector<CudaConvAlgo>& cudaConvAlgorithms() {
  // Order = listing order and the tie-break of 'find'. direct first: it runs everything (the GPU
  // reference). Groups: every entry supports them (im2col, implicit_gemm, gemm_1x1 and Winograd run one
  // GEMM per group, so depthwise works but is slow there; 'auto' sends thin groups to direct).
  using namespace cuda_ops;
  static const std::vector<CudaConvAlgo> algos = {
      {"direct", anyConv, noScratch, false, convPrepareAsStored, convLaunchDirect, ConvCaps()},
      {"im2col", anyConv, im2colPerImage, true, convPrepareAsStored, convLaunchIm2col, ConvCaps()},
      {"implicit_gemm", anyConv, noScratch, false, convPrepareAsStored, convLaunchImplicitGemm, ConvCaps()},
      {"gemm_1x1", gemm1x1Supports, gemm1x1PerImage, true, convPrepareAsStored, convLaunchGemm1x1, ConvCaps()},
      {"winograd_2x2_3x3", winograd2Supports, winograd2PerImage, true, convPrepareWinograd2, convLaunchWinograd2, ConvCaps()},
      {"winograd_4x4_3x3", winograd4Supports, winograd4PerImage, true, convPrepareWinograd4, convLaunchWinograd4, ConvCaps()},
      {"implicit_gemm_tc", tcSupports, tcScratch, false, convPrepareTc, convLaunchTc, ConvCaps().onTensorCores()},
  };
  return algos;
}

const CudaConvAlgo& cudaConvAlgorithm(const std::string& name) {
  return entryNamed(cudaConvAlgorithms(), name, "CUDA algorithm");
}

std::string cudaConvSupports(const CudaConvAlgo& a, const ConvDesc& d, int64_t workspaceLimit) {
  std::string why = a.supports(d);
  if (!why.empty()) return why;
  const int64_t ws = cudaConvWorkspaceBytes(a, d);
  if (workspaceLimit >= 0 && ws > workspaceLimit)
    return std::string(a.name) + " needs " + withUnit(ws) + " of workspace, more than the limit of " +
           withUnit(workspaceLimit);
  return "";
}

std::string cudaConvSupportsOn(const CudaConvAlgo& a, const ConvDesc& d, int64_t workspaceLimit, Device device) {
  std::string why = cudaConvSupports(a, d, workspaceLimit);
  if (!why.empty() || !a.caps.tensorCores) return why;
  const int cc = computeCapability(device);
  if (cc < 80)
    return std::string(a.name) + " needs tensor cores of sm_80 or newer; " + device.str() + " is sm_" +
           std::to_string(cc);
  return "";
}

// 'auto' on CUDA: one line per rule; the measurements behind each are in bench/RESULTS-chooser.md ("CUDA
// rules", same numbering), from scripts/gpu-check.sh on an H200 (bench/RESULTS-gpu.md has the raw tables).
const CudaConvAlgo& chooseCudaConvAuto(const ConvDesc& d, int64_t workspaceLimit, bool tensorCores) {
  auto ok = [&](const char* name) { return cudaConvSupports(cudaConvAlgorithm(name), d, workspaceLimit).empty(); };
  // G1. A reduced precision on sm_80+: tensor cores for every layer but thin groups.
  if (tensorCores && d.precision != Precision::Fp32 && d.Kg() >= 8 && d.Cg() >= 2 && ok("implicit_gemm_tc"))
    return cudaConvAlgorithm("implicit_gemm_tc");
  const bool k3s1 = d.R == 3 && d.S == 3 && d.strideH == 1 && d.strideW == 1 && d.dilationH == 1 && d.dilationW == 1;
  // G2. 1×1 without padding: a GEMM on the input as it lies (or a subsampled copy).
  if (d.R == 1 && d.S == 1 && ok("gemm_1x1")) return cudaConvAlgorithm("gemm_1x1");
  // G3. Depthwise and other thin groups: direct, one thread per output.
  if (d.Kg() < 8 || d.Cg() < 2) return cudaConvAlgorithm("direct");
  // G4. 3×3/1 from 16 input channels: Winograd, F(4×4) from 128 4×4 output tiles in all, else F(2×2).
  if (k3s1 && d.Cg() >= 16 && d.Kg() >= 32) {
    const int64_t tiles4 = d.N * ((d.outH + 3) / 4) * ((d.outW + 3) / 4);
    if (tiles4 >= 128 && ok("winograd_4x4_3x3")) return cudaConvAlgorithm("winograd_4x4_3x3");
    if (ok("winograd_2x2_3x3")) return cudaConvAlgorithm("winograd_2x2_3x3");
    if (ok("winograd_4x4_3x3")) return cudaConvAlgorithm("winograd_4x4_3x3");
  }
  // G5. Deep reductions (C·R·S ≥ 512: strided 3×3, 5×5): im2col, whose SGEMM splits K.
  if (d.Cg() * d.R * d.S >= 512 && ok("im2col")) return cudaConvAlgorithm("im2col");
  // G6. Everything else (stems): implicit GEMM, which needs no workspace and so serves any limit.
  return cudaConvAlgorithm("implicit_gemm");
}

std::vector<ConvTiming> findCudaConv(const ConvDesc& d, Device device, int64_t workspaceLimit) {
  checkedCudaDevice(device, "findConvAlgorithm");
  Tensor x = Tensor::empty({d.N, d.C, d.H, d.W});
  Tensor w = Tensor::empty(d.weightShape());
  Tensor b = Tensor::empty({d.K});
  fillUniform(x, 1, -1.0f, 1.0f);
  fillUniform(w, 2, -0.1f, 0.1f);
  fillUniform(b, 3, -0.1f, 0.1f);
  const Tensor xd = x.to(device), wd = w.to(device), bd = b.to(device);
  Tensor y = Tensor::empty(d.outputShape(), device);
  std::vector<ConvTiming> out;
  for (const CudaConvAlgo& a : cudaConvAlgorithms()) {
    if (!cudaConvSupportsOn(a, d, workspaceLimit, device).empty()) continue;
    const Tensor p = a.prepare(d, wd);
    out.push_back({a.name, cuda_ops::convTimeMs(a, d, xd, p, bd, y), cudaConvWorkspaceBytes(a, d)});
  }
  CN_CHECK(!out.empty(), "findConvAlgorithm: no CUDA algorithm fits the workspace limit of ", withUnit(workspaceLimit));
  std::stable_sort(out.begin(), out.end(), [](const ConvTiming& p, const ConvTiming& q) { return p.timeMs < q.timeMs; });
  findCache().put(findKey(d, device, workspaceLimit), out.front().algo);
  return out;
}

const CudaConvAlgo& resolveCudaConvAlgo(const ConvDesc& d, const std::string& algo, Device device,
                                        int64_t workspaceLimit) {
  if (algo == "auto" || algo.empty())
    return chooseCudaConvAuto(d, workspaceLimit, d.precision != Precision::Fp32 && computeCapability(device) >= 80);
  if (algo == "find") {
    if (auto hit = findCache().get(findKey(d, device, workspaceLimit))) return cudaConvAlgorithm(*hit);
    return cudaConvAlgorithm(findCudaConv(d, device, workspaceLimit).front().algo);
  }
  const CudaConvAlgo& a = cudaConvAlgorithm(algo);
  std::string why = cudaConvSupportsOn(a, d, workspaceLimit, device);
  CN_CHECK(why.empty(), "conv2d: algorithm '", algo, "' cannot run this convolution on CUDA: ", why);
  return a;
}

void clearCudaConvFindCache() { findCache().clear(); }

Tensor cudaConv2d(const ConvDesc& d, const Tensor& input, const Tensor& weight, const Tensor& bias, bool relu,
                  const std::string& algo, int64_t workspaceLimit) {
  const CudaConvAlgo& a = resolveCudaConvAlgo(d, algo, input.device(), workspaceLimit);
  Tensor y = Tensor::empty(d.outputShape(), input.device());
  if (y.numel() == 0) return y;
  cuda_ops::convRun(a, d, input, a.prepare(d, weight), bias, relu, y);
  return y;
}

}  // namespace convnets
